import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import Store

/// Defaults for rooms created by a join (LiveKit's `room.*` settings).
public struct RoomDefaults: Sendable {
    /// Seconds an empty room stays open before it closes (LiveKit `empty_timeout`).
    public var emptyTimeout: UInt32 = 300
    /// Seconds a room stays open after the last participant left (LiveKit `departure_timeout`).
    public var departureTimeout: UInt32 = 20
    /// 0 means no limit.
    public var maxParticipants: UInt32 = 0
    /// Whether a join may create its room (LiveKit's `room.auto_create`).
    public var autoCreate = true
    /// Record every participant that publishes, as a participant recording (`room.auto_record`).
    public var autoRecord = false
    /// Chat messages a participant receives when it joins (`room.chat_history`); 0: none.
    public var chatHistory = 50

    public init() {}
}

/// What every room and participant share: the media transport, the store, settings.
public struct SFUContext: Sendable {
    public let transports: TransportServer
    public let store: SwitchboardStore
    public let logger: Logger
    public var roomDefaults: RoomDefaults
    /// Seconds between the client's pings and before a silent client is dropped.
    public var pingInterval: Int32 = 5
    public var pingTimeout: Int32 = 15
    public var serverVersion: String
    /// ServerInfo.debug_info: what this server really is (serverVersion is what SDKs compare).
    public var serverDebugInfo = ""
    public var nodeID: String
    /// Session history writes, queued off the room actors.
    public let journal: SessionJournal
    /// Forwarding counters (retransmissions, NACKs, reports) for /metrics.
    public let stats = ForwardingStats()
    /// Where chat attachments are written (nil: they are forwarded but not kept).
    public var chatAttachmentsDirectory: String?
    /// Data channel counters (packets relayed and dropped) for /metrics.
    public let dataStats = DataChannelStats()
    /// Active speaker updates: how often levels are evaluated and `speakers_changed` may be sent.
    public var speakerUpdateInterval: Duration = .milliseconds(200)
    /// Connection-quality window (LiveKit updates about every 2 s... 5 s).
    public var qualityUpdateInterval: Duration = .seconds(2)
    /// STUN/TURN servers for clients (JoinResponse, ReconnectResponse, WHIP/WHEP Link headers).
    public var iceServers: [ICEServer] = []
    /// The most any subscriber's bandwidth estimate or probe may reach (bit/s).
    public var maxSubscriberBitrate: Int64 = 8_000_000
    /// Participants per quality level, as of the last window (for /metrics).
    public let qualityCounts = QualityCounts()
    /// Starts the recordings of rooms with `auto_record` (the egress manager); nil: never.
    public var autoRecorderFactory: (any AutoRecorderFactory)?
    /// Room, participant and track events for webhooks; nil: nobody listens.
    public var events: RoomEvents?

    public init(transports: TransportServer, store: SwitchboardStore, logger: Logger,
                roomDefaults: RoomDefaults = RoomDefaults(), serverVersion: String) {
        self.transports = transports
        self.store = store
        self.logger = logger
        journal = SessionJournal(store: store, logger: logger)
        self.roomDefaults = roomDefaults
        self.serverVersion = serverVersion
        self.nodeID = "ND_" + String(SIDs.participant().dropFirst(3))
    }

    var serverInfo: Livekit_ServerInfo {
        var info = Livekit_ServerInfo()
        info.edition = .standard
        info.version = serverVersion
        info.debugInfo = serverDebugInfo
        info.protocol = 16
        info.nodeID = nodeID
        return info
    }
}

/// Milliseconds since 1970, as LiveKit's `*_ms` fields carry time.
func unixMilliseconds(_ date: Date = Date()) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
