// LiveKit's `video` grant, as carried in access tokens.
//
// The JSON keys are LiveKit's own (camelCase, as livekit/protocol `auth.VideoGrant` and the
// livekit-api SDKs write them). Every field is optional: `nil` means "absent from the token",
// which matters because several permissions default to *allowed* when absent. Read
// permissions through the `…Effective` accessors, which apply LiveKit's defaults
// (livekit/protocol auth/grants.go `GetCanPublish`, `GetCanPublishData`, …).

/// A track source named in `canPublishSources`.
public enum TrackSource: String, Sendable, CaseIterable, Codable {
    case camera
    case microphone
    case screenShare = "screen_share"
    case screenShareAudio = "screen_share_audio"
}

public struct VideoGrant: Codable, Sendable, Equatable {
    // Actions on rooms.
    public var roomCreate: Bool?
    public var roomList: Bool?
    public var roomRecord: Bool?

    // Actions on a particular room.
    public var roomAdmin: Bool?
    public var roomJoin: Bool?
    public var room: String?

    // Permissions within a room (LiveKit: nil means allowed, see the accessors).
    public var canPublish: Bool?
    public var canSubscribe: Bool?
    public var canPublishData: Bool?
    /// Track sources the holder may publish ("camera", "microphone", "screen_share",
    /// "screen_share_audio"). When non-empty it restricts `canPublish` to these sources.
    public var canPublishSources: [String]?
    public var canUpdateOwnMetadata: Bool?

    /// Admin over all ingresses.
    public var ingressAdmin: Bool?

    /// Participant is invisible to the others.
    public var hidden: Bool?
    /// Participant is a recorder (deprecated in LiveKit, still honoured).
    public var recorder: Bool?
    /// Holder may register as an agent worker.
    public var agent: Bool?

    public var canSubscribeMetrics: Bool?
    /// Room this participant may be forwarded to.
    public var destinationRoom: String?

    public init(
        roomCreate: Bool? = nil,
        roomList: Bool? = nil,
        roomRecord: Bool? = nil,
        roomAdmin: Bool? = nil,
        roomJoin: Bool? = nil,
        room: String? = nil,
        canPublish: Bool? = nil,
        canSubscribe: Bool? = nil,
        canPublishData: Bool? = nil,
        canPublishSources: [String]? = nil,
        canUpdateOwnMetadata: Bool? = nil,
        ingressAdmin: Bool? = nil,
        hidden: Bool? = nil,
        recorder: Bool? = nil,
        agent: Bool? = nil,
        canSubscribeMetrics: Bool? = nil,
        destinationRoom: String? = nil
    ) {
        self.roomCreate = roomCreate
        self.roomList = roomList
        self.roomRecord = roomRecord
        self.roomAdmin = roomAdmin
        self.roomJoin = roomJoin
        self.room = room
        self.canPublish = canPublish
        self.canSubscribe = canSubscribe
        self.canPublishData = canPublishData
        self.canPublishSources = canPublishSources
        self.canUpdateOwnMetadata = canUpdateOwnMetadata
        self.ingressAdmin = ingressAdmin
        self.hidden = hidden
        self.recorder = recorder
        self.agent = agent
        self.canSubscribeMetrics = canSubscribeMetrics
        self.destinationRoom = destinationRoom
    }
}

// MARK: - LiveKit's defaults

extension VideoGrant {
    /// `canPublish`, absent = allowed (LiveKit `GetCanPublish`).
    public var canPublishEffective: Bool { canPublish ?? true }

    /// `canSubscribe`, absent = allowed (LiveKit `GetCanSubscribe`).
    public var canSubscribeEffective: Bool { canSubscribe ?? true }

    /// `canPublishData`, absent = whatever `canPublishEffective` says (LiveKit
    /// `GetCanPublishData`): allowed unless the token also says `canPublish: false`.
    public var canPublishDataEffective: Bool { canPublishData ?? canPublishEffective }

    /// `canUpdateOwnMetadata`, absent = denied (LiveKit `GetCanUpdateOwnMetadata`).
    public var canUpdateOwnMetadataEffective: Bool { canUpdateOwnMetadata ?? false }

    /// `canSubscribeMetrics`, absent = denied (LiveKit `GetCanSubscribeMetrics`).
    public var canSubscribeMetricsEffective: Bool { canSubscribeMetrics ?? false }

    /// Whether a track from `source` may be published (LiveKit `GetCanPublishSource`):
    /// never when `canPublishEffective` is false; otherwise any source when
    /// `canPublishSources` is absent or empty, else only the listed ones (compared
    /// case-insensitively, as LiveKit lower-cases both sides).
    public func canPublish(source: TrackSource) -> Bool {
        guard canPublishEffective else { return false }
        guard let sources = canPublishSources, !sources.isEmpty else { return true }
        return sources.contains { $0.lowercased() == source.rawValue }
    }
}
