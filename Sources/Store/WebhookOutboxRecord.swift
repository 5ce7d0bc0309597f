import Foundation
import GRDB

/// One webhook event for one endpoint in the outbox (`webhook_outbox`). A row is pending until
/// the endpoint answers 2xx (then it is deleted) or it gets older than the notifier's maximum
/// age (then it stays, `failed`, with the last error, for the operator).
public struct WebhookOutboxRecord: Codable, Hashable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "webhook_outbox"

    public enum Status: String, Codable, Hashable, Sendable {
        case pending, failed
    }

    /// Insertion order: the delivery order within a lane (url, orderingKey). Nil before insert.
    public var seq: Int64?
    /// The event's `id` (`EV_...`), the same for every endpoint it goes to.
    public var eventID: String
    public var url: String
    /// Events with the same key (the room's name) reach an endpoint in the order they happened.
    public var orderingKey: String
    /// `room_started`, `participant_joined`, ... (also inside the body; here for the operator).
    public var event: String
    /// The request body, exactly as signed and sent.
    public var body: String
    public var createdAt: Date
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var status: Status
    public var finishedAt: Date?

    public init(eventID: String, url: String, orderingKey: String, event: String, body: String, createdAt: Date = Date()) {
        self.eventID = eventID
        self.url = url
        self.orderingKey = orderingKey
        self.event = event
        self.body = body
        self.createdAt = createdAt
        attempts = 0
        nextAttemptAt = createdAt
        status = .pending
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case seq, url, event, body, attempts, status
        case eventID = "event_id"
        case orderingKey = "ordering_key"
        case createdAt = "created_at"
        case nextAttemptAt = "next_attempt_at"
        case lastError = "last_error"
        case finishedAt = "finished_at"
    }
    public typealias Columns = CodingKeys

    public mutating func didInsert(_ inserted: InsertionSuccess) {
        seq = inserted.rowID
    }
}
