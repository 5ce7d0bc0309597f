import Foundation
import LiveKitProtocol
import MediaTransport

/// One participant of a room. Only its room's actor touches it.
final class Participant {
    let sid: String
    let identity: String
    var name: String
    var metadata: String
    var attributes: [String: String]
    var permission: Livekit_ParticipantPermission
    var state: Livekit_ParticipantInfo.State = .joined
    let kind: Livekit_ParticipantInfo.Kind
    let joinedAt: Date
    var version: UInt32 = 1
    var autoSubscribe: Bool
    let clientInfo: Livekit_ClientInfo
    var sink: SignalSink
    /// Published (or requested) tracks by sid; requests wait here until the publisher's offer.
    var tracks: [String: PublishedTrack] = [:]
    let subscriber: SubscriberConnection
    let publisher: PublisherConnection
    /// Track sids this participant asked for (or got by auto-subscribe).
    var desiredSubscriptions: Set<String> = []
    /// When the signalling connection dropped without a leave; the session is kept for resume.
    var disconnectedAt: Date?
    var lastSeen = Date()
    var quality = ParticipantQuality()
    /// Set for a WHIP publisher or WHEP viewer: no signalling connection, one peer connection,
    /// alive while its transport is (Room+HTTPSessions).
    var httpSession: HTTPSessionKind?
    /// The WHIP/WHEP resource id (RFC 9725 §4.2): random, unlike the participant sid, which
    /// everyone in the room learns.
    var httpSessionID: String?
    /// Entity tag of its ICE session (RFC 9725 §4.3.1), new after each restart.
    var httpSessionETag: String?

    init(sid: String, request: JoinRequest, sink: SignalSink, subscriber: SubscriberConnection,
         publisher: PublisherConnection) {
        self.sid = sid
        self.identity = request.identity
        self.name = request.name
        self.metadata = request.metadata
        self.attributes = request.attributes
        self.permission = request.permission
        self.kind = request.kind
        self.autoSubscribe = request.autoSubscribe
        self.clientInfo = request.clientInfo
        self.sink = sink
        self.subscriber = subscriber
        self.publisher = publisher
        self.joinedAt = Date()
    }

    var isHidden: Bool { permission.hidden }

    var info: Livekit_ParticipantInfo {
        var info = Livekit_ParticipantInfo()
        info.sid = sid
        info.identity = identity
        info.name = name
        info.metadata = metadata
        info.attributes = attributes
        info.state = state
        info.permission = permission
        info.kind = kind
        info.joinedAt = Int64(joinedAt.timeIntervalSince1970)
        info.joinedAtMs = unixMilliseconds(joinedAt)
        info.version = version
        info.tracks = tracks.values.filter(\.isNegotiated).map(\.info).sorted { $0.sid < $1.sid }
        info.isPublisher = !info.tracks.isEmpty
        info.clientProtocol = clientInfo.clientProtocol
        return info
    }

    @discardableResult
    func send(_ message: Livekit_SignalResponse.OneOf_Message, encoding: SharedEncoding? = nil) -> SignalSink.Delivery {
        sink.send(message, encoding: encoding)
    }
}
