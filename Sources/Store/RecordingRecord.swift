import Foundation
import GRDB

/// One server-side recording (a LiveKit egress): what was recorded, where the file is, and
/// how it ended. Rows outlive their room; `file_path` is relative to the recordings directory.
public struct RecordingRecord: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "recording"

    /// Lifecycle, as LiveKit's `EgressStatus` names it, plus `recovered` for a file repaired at
    /// start-up after the process died while recording.
    public enum Status: String, Codable, Hashable, Sendable, CaseIterable {
        case starting, active, ending, complete, failed, recovered

        /// Still recording (or finishing): a row in this state at start-up is a crash leftover.
        public var isUnfinished: Bool { self == .starting || self == .active || self == .ending }
    }

    /// A single track, or a participant's audio and video in one file.
    public enum Kind: String, Codable, Hashable, Sendable {
        case track, participant
    }

    public var id: String
    public var roomName: String
    public var roomSid: String
    public var participantIdentity: String
    public var kind: Kind
    /// Track sids recorded so far (a participant recording gains one per (re)publication).
    public var tracks: [String]
    /// `opus`, `vp8` or `vp8+opus`.
    public var codec: String
    public var filePath: String
    public var status: Status
    public var startedAt: Date
    public var endedAt: Date?
    public var durationMilliseconds: Int64?
    public var bytes: Int64?
    public var error: String?
    /// The start request as protobuf bytes (opaque to the store).
    public var request: Data?

    public init(id: String, roomName: String, roomSid: String = "", participantIdentity: String = "", kind: Kind,
                tracks: [String] = [], codec: String, filePath: String, status: Status = .starting,
                startedAt: Date = Date(), endedAt: Date? = nil, durationMilliseconds: Int64? = nil,
                bytes: Int64? = nil, error: String? = nil, request: Data? = nil) {
        self.id = id
        self.roomName = roomName
        self.roomSid = roomSid
        self.participantIdentity = participantIdentity
        self.kind = kind
        self.tracks = tracks
        self.codec = codec
        self.filePath = filePath
        self.status = status
        self.startedAt = startedAt
        self.endedAt = endedAt
        self.durationMilliseconds = durationMilliseconds
        self.bytes = bytes
        self.error = error
        self.request = request
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case id, kind, tracks, codec, status, bytes, error, request
        case roomName = "room_name"
        case roomSid = "room_sid"
        case participantIdentity = "participant_identity"
        case filePath = "file_path"
        case startedAt = "started_at"
        case endedAt = "ended_at"
        case durationMilliseconds = "duration_ms"
    }
    public typealias Columns = CodingKeys

    // `tracks` is a JSON array in a TEXT column (GRDB stores Codable arrays as JSON text).
}

/// How a recording ended, for `finishRecording`.
public struct RecordingOutcome: Sendable, Equatable {
    public var status: RecordingRecord.Status
    public var durationMilliseconds: Int64?
    public var bytes: Int64?
    public var error: String?

    public init(status: RecordingRecord.Status, durationMilliseconds: Int64? = nil, bytes: Int64? = nil,
                error: String? = nil) {
        self.status = status
        self.durationMilliseconds = durationMilliseconds
        self.bytes = bytes
        self.error = error
    }
}

/// A filter for `recordings(...)` (ListEgress).
public struct RecordingQuery: Sendable, Equatable {
    public var roomName: String?
    public var id: String?
    /// Only recordings still running (starting, active, ending).
    public var unfinishedOnly: Bool

    public init(roomName: String? = nil, id: String? = nil, unfinishedOnly: Bool = false) {
        self.roomName = roomName
        self.id = id
        self.unfinishedOnly = unfinishedOnly
    }
}
