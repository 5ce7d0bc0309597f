import Foundation
import GRDB

/// Well-known reason strings. Reasons are stored as free TEXT, so callers may use others,
/// but sticking to these keeps operator queries (`GROUP BY leave_reason`) meaningful.
/// They mirror LiveKit's `DisconnectReason` / room lifecycle, in snake_case.
public enum StoreReason {
    // Room creation.
    /// Created explicitly through the RoomService API.
    public static let createdByAPI = "api"
    /// Auto-created by the first participant joining.
    public static let createdOnJoin = "join"

    // Room close.
    public static let roomDeleted = "room_deleted"
    public static let emptyTimeout = "empty_timeout"
    public static let departureTimeout = "departure_timeout"

    // Session end.
    public static let clientInitiated = "client_initiated"
    public static let participantRemoved = "participant_removed"
    /// A newer session with the same identity joined the same room (set by `recordJoin`).
    public static let duplicateIdentity = "duplicate_identity"
    /// The room closed under the participant (set by `closeRoom`).
    public static let roomClosed = "room_closed"
    public static let signalClosed = "signal_close"
    public static let connectionTimeout = "connection_timeout"
    public static let joinFailure = "join_failure"
    public static let serverShutdown = "server_shutdown"

    /// Rows left open by a crash and closed at the next start (`markUnfinishedClosed`).
    public static let serverRestart = "server_restart"
}

/// One incarnation of a room: created once, closed at most once. A name can be reused by a
/// new room (new sid) after the previous one closed.
public struct RoomRecord: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "room"

    public var sid: String
    public var name: String
    public var createdAt: Date
    public var closedAt: Date?
    /// Seconds the room may stay empty before it is closed (LiveKit `empty_timeout`).
    public var emptyTimeout: Int
    /// Seconds the room stays open after the last participant left (LiveKit `departure_timeout`).
    public var departureTimeout: Int
    /// 0 means unlimited.
    public var maxParticipants: Int
    public var metadata: String
    public var creationReason: String
    public var closeReason: String?

    public var isOpen: Bool { closedAt == nil }

    /// Lifetime of a closed room; nil while open.
    public var duration: TimeInterval? { closedAt.map { $0.timeIntervalSince(createdAt) } }

    public init(sid: String, name: String, createdAt: Date, closedAt: Date? = nil,
                emptyTimeout: Int, departureTimeout: Int, maxParticipants: Int,
                metadata: String, creationReason: String, closeReason: String? = nil) {
        self.sid = sid
        self.name = name
        self.createdAt = createdAt
        self.closedAt = closedAt
        self.emptyTimeout = emptyTimeout
        self.departureTimeout = departureTimeout
        self.maxParticipants = maxParticipants
        self.metadata = metadata
        self.creationReason = creationReason
        self.closeReason = closeReason
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case sid, name, metadata
        case createdAt = "created_at"
        case closedAt = "closed_at"
        case emptyTimeout = "empty_timeout"
        case departureTimeout = "departure_timeout"
        case maxParticipants = "max_participants"
        case creationReason = "creation_reason"
        case closeReason = "close_reason"
    }
    public typealias Columns = CodingKeys
}

/// What the client SDK reported at join (LiveKit `ClientInfo`, the fields worth keeping).
/// Stored as JSON in `participant_session.client_info`, so operators can
/// `GROUP BY json_extract(client_info, '$.sdk')`.
public struct ClientInfo: Codable, Hashable, Sendable {
    /// e.g. "js", "swift", "android", "go", "rust".
    public var sdk: String?
    public var version: String?
    public var `protocol`: Int?
    public var os: String?
    public var osVersion: String?
    public var deviceModel: String?
    public var browser: String?
    public var browserVersion: String?
    /// Client address as seen by the server.
    public var address: String?

    public init(sdk: String? = nil, version: String? = nil, protocol: Int? = nil, os: String? = nil,
                osVersion: String? = nil, deviceModel: String? = nil, browser: String? = nil,
                browserVersion: String? = nil, address: String? = nil) {
        self.sdk = sdk
        self.version = version
        self.protocol = `protocol`
        self.os = os
        self.osVersion = osVersion
        self.deviceModel = deviceModel
        self.browser = browser
        self.browserVersion = browserVersion
        self.address = address
    }

    enum CodingKeys: String, CodingKey {
        case sdk, version, `protocol`, os, browser, address
        case osVersion = "os_version"
        case deviceModel = "device_model"
        case browserVersion = "browser_version"
    }
}

/// One connection of one identity to one room: from join to leave. A participant that
/// reconnects with a fresh sid, or joins again later, gets a new session row.
public struct ParticipantSessionRecord: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "participant_session"

    public var sid: String
    public var roomSid: String
    public var identity: String
    public var name: String
    public var metadata: String
    public var joinedAt: Date
    public var leftAt: Date?
    public var leaveReason: String?
    public var clientInfo: ClientInfo?

    public var isActive: Bool { leftAt == nil }

    /// Time in the room for an ended session; nil while active.
    public var duration: TimeInterval? { leftAt.map { $0.timeIntervalSince(joinedAt) } }

    public init(sid: String, roomSid: String, identity: String, name: String, metadata: String,
                joinedAt: Date, leftAt: Date? = nil, leaveReason: String? = nil,
                clientInfo: ClientInfo? = nil) {
        self.sid = sid
        self.roomSid = roomSid
        self.identity = identity
        self.name = name
        self.metadata = metadata
        self.joinedAt = joinedAt
        self.leftAt = leftAt
        self.leaveReason = leaveReason
        self.clientInfo = clientInfo
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case sid, identity, name, metadata
        case roomSid = "room_sid"
        case joinedAt = "joined_at"
        case leftAt = "left_at"
        case leaveReason = "leave_reason"
        case clientInfo = "client_info"
    }
    public typealias Columns = CodingKeys
}

/// What `markUnfinishedClosed` did.
public struct RecoveryReport: Hashable, Sendable {
    public var roomsClosed: Int
    public var sessionsClosed: Int
    public init(roomsClosed: Int, sessionsClosed: Int) {
        self.roomsClosed = roomsClosed
        self.sessionsClosed = sessionsClosed
    }
}
