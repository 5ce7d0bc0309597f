import AccessTokens
import LiveKitProtocol
import Store

/// Everything a verified join brings: who, with which grants, from which client.
public struct JoinRequest: Sendable {
    public var identity: String
    public var name: String
    public var metadata: String
    public var attributes: [String: String]
    public var grant: VideoGrant
    public var kind: Livekit_ParticipantInfo.Kind
    public var autoSubscribe: Bool
    public var adaptiveStream: Bool
    public var clientInfo: Livekit_ClientInfo
    /// `reconnect=1&sid=PA_...`: the client wants to resume this session.
    public var resumeSid: String?

    public init(identity: String, name: String = "", metadata: String = "", attributes: [String: String] = [:],
                grant: VideoGrant, kind: Livekit_ParticipantInfo.Kind = .standard, autoSubscribe: Bool = true,
                adaptiveStream: Bool = false, clientInfo: Livekit_ClientInfo = Livekit_ClientInfo(), resumeSid: String? = nil) {
        self.identity = identity
        self.name = name
        self.metadata = metadata
        self.attributes = attributes
        self.grant = grant
        self.kind = kind
        self.autoSubscribe = autoSubscribe
        self.adaptiveStream = adaptiveStream
        self.clientInfo = clientInfo
        self.resumeSid = resumeSid
    }

    /// What the store keeps about the client.
    var storeClientInfo: ClientInfo {
        var info = ClientInfo()
        info.sdk = "\(clientInfo.sdk)"
        info.version = clientInfo.version.isEmpty ? nil : clientInfo.version
        info.protocol = Int(clientInfo.protocol)
        info.os = clientInfo.os.isEmpty ? nil : clientInfo.os
        info.osVersion = clientInfo.osVersion.isEmpty ? nil : clientInfo.osVersion
        info.deviceModel = clientInfo.deviceModel.isEmpty ? nil : clientInfo.deviceModel
        info.browser = clientInfo.browser.isEmpty ? nil : clientInfo.browser
        info.address = clientInfo.address.isEmpty ? nil : clientInfo.address
        return info
    }

    /// LiveKit's ParticipantPermission from the token's video grant.
    var permission: Livekit_ParticipantPermission {
        var p = Livekit_ParticipantPermission()
        p.canPublish = grant.canPublishEffective
        p.canSubscribe = grant.canSubscribeEffective
        p.canPublishData = grant.canPublishDataEffective
        p.canUpdateMetadata = grant.canUpdateOwnMetadataEffective
        p.hidden = grant.hidden ?? false
        p.recorder = grant.recorder ?? false
        p.agent = grant.agent ?? false
        p.canSubscribeMetrics = grant.canSubscribeMetricsEffective
        let listed = grant.canPublishSources ?? []
        p.canPublishSources = listed.compactMap { Livekit_TrackSource(grantName: $0.lowercased()) }
        // A source list naming nothing we know must not turn into "every source allowed".
        if !listed.isEmpty && p.canPublishSources.isEmpty { p.canPublish = false }
        return p
    }
}

public enum JoinError: Error, Equatable, Sendable, CustomStringConvertible {
    case roomFull
    case roomNotFound
    case roomClosed
    case resumeUnknown
    case internalError(String)

    public var description: String {
        switch self {
        case .roomFull: return "room is full"
        case .roomNotFound: return "room does not exist and this server does not create rooms on join"
        case .roomClosed: return "room is closing"
        case .resumeUnknown: return "no session to resume"
        case .internalError(let m): return "internal error: \(m)"
        }
    }
}

extension Livekit_TrackSource {
    /// Grant names (`canPublishSources`) to LiveKit's enum.
    init?(grantName: String) {
        switch grantName {
        case "camera": self = .camera
        case "microphone": self = .microphone
        case "screen_share": self = .screenShare
        case "screen_share_audio": self = .screenShareAudio
        default: return nil
        }
    }
}
