import Foundation

/// The JSON manifest of a room recording (`auto_record`): every participant recording of the
/// room with its file, tracks and start on one time base, so a player can replay the room in
/// sync. Written next to the files (`<recordings>/<room>-<room sid>.json`) by
/// `RoomManifestWriter`; this is the document itself.
///
/// Time base: `start_unix_ns` is when the media at time zero of a participant's file was
/// captured, on the server's Unix clock. It comes from the publisher's RTCP sender reports
/// (the NTP time of that media) shifted by the publisher-to-server clock offset measured as the
/// report arrived, so publishers whose clocks disagree still line up (one-way network delay is
/// included, a few milliseconds). `start_offset_ms` is that minus the earliest start: start
/// each file `start_offset_ms` after the first one to replay the room.
public struct RoomManifest: Codable, Sendable, Equatable {
    public static let formatName = "switchboard.room-recording"

    public var format = RoomManifest.formatName
    public var version = 1
    public var room: Room
    /// `recording` while the room is recorded, `complete` once the room closed and every file
    /// is final, `recovered` when a crash cut it short (fixed up at the next start).
    public var status: Status
    public var startedAtUnixMs: Int64
    public var endedAtUnixMs: Int64?
    public var timeBase: TimeBase
    /// In the order the recordings started (a participant who rejoins gets a second entry).
    public var participants: [Participant] = []

    public enum Status: String, Codable, Sendable {
        case recording, complete, recovered
    }

    public struct Room: Codable, Sendable, Equatable {
        public var name: String
        public var sid: String
    }

    public struct TimeBase: Codable, Sendable, Equatable {
        /// Which clock `start_unix_ns` is on.
        public var clock = "server_unix_ns"
        /// The earliest `start_unix_ns` (offset 0); absent until a recording started.
        public var originUnixNs: Int64?
        public var about = """
            start_unix_ns: capture time of the media at time 0 of the file, on the server's Unix clock \
            (nanoseconds): the publisher's RTCP sender-report NTP time of that media plus the \
            publisher-to-server clock offset measured when the report arrived (one-way delay included). \
            sender_start_unix_ns: the same instant on the publisher's own NTP clock. \
            start_offset_ms = start_unix_ns - origin_unix_ns: play each file that long after the first.
            """
    }

    public struct Track: Codable, Sendable, Equatable {
        public var sid: String
        /// `audio` or `video`.
        public var kind: String
        public var mimeType: String
        /// LiveKit's track source (`camera`, `microphone`, ...).
        public var source: String
    }

    public struct Participant: Codable, Sendable, Equatable {
        public var egressId: String
        public var identity: String
        public var participantSid: String?
        /// Relative to the manifest's directory (the recordings directory).
        public var file: String
        /// The recording's status, as ListEgress has it in the store (`starting`, `active`,
        /// `ending`, `complete`, `failed`, `recovered`).
        public var status: String
        public var tracks: [Track] = []
        /// `sender_report` (both tracks mapped by RTCP sender reports) or `arrival` (a track
        /// had no report in time and was placed by arrival time).
        public var sync: String?
        public var startUnixNs: Int64?
        public var senderStartUnixNs: Int64?
        public var startOffsetMs: Int64?
        public var durationMs: Int64?
        public var bytes: Int64?
        public var error: String?
    }

    public init(roomName: String, roomSid: String, startedAt: Date) {
        room = Room(name: roomName, sid: roomSid)
        status = .recording
        startedAtUnixMs = Int64(startedAt.timeIntervalSince1970 * 1000)
        timeBase = TimeBase()
    }

    /// Recomputes the origin (the earliest start) and every offset from it.
    mutating func updateOffsets() {
        let origin = participants.compactMap(\.startUnixNs).min()
        timeBase.originUnixNs = origin
        for index in participants.indices {
            guard let origin, let start = participants[index].startUnixNs else { continue }
            participants[index].startOffsetMs = (start - origin) / 1_000_000
        }
    }

    /// Pretty-printed JSON with snake_case keys, in a stable order.
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self)
    }

    public static func decode(_ data: Data) throws -> RoomManifest {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(RoomManifest.self, from: data)
    }
}
