import LiveKitProtocol

/// What a recording records: one track, or a participant's camera and microphone (or its
/// screen share and screen-share audio) as they are published.
public enum RecordingSource: Sendable, Equatable {
    case track(sid: String)
    case participant(identity: String, screenShare: Bool)
}

/// Why a recording lost its source.
public enum RecordingEndReason: String, Sendable, Equatable {
    /// StopEgress, or the server shutting down.
    case stopped
    case trackUnpublished = "track_unpublished"
    case participantLeft = "participant_left"
    case roomClosed = "room_closed"
    /// The recording failed on its own (slow disk, write error) and asked to be detached.
    case failed
}

/// A published track offered to a recording.
public struct RecordedTrack: Sendable {
    public let trackSid: String
    public let kind: Livekit_TrackType
    /// `audio/opus`, `video/VP8`, ... as negotiated with the publisher.
    public let mimeType: String
    public let source: Livekit_TrackSource
    public let participantIdentity: String
    public let participantSid: String
    public let muted: Bool
    /// Asks the publisher for a keyframe (PLI): hops to the media loop, where the producer
    /// throttles requests per track. Cheap to call from any thread.
    public let requestKeyframe: @Sendable () -> Void

    public init(trackSid: String, kind: Livekit_TrackType, mimeType: String, source: Livekit_TrackSource,
                participantIdentity: String, participantSid: String, muted: Bool,
                requestKeyframe: @escaping @Sendable () -> Void) {
        self.trackSid = trackSid
        self.kind = kind
        self.mimeType = mimeType
        self.source = source
        self.participantIdentity = participantIdentity
        self.participantSid = participantSid
        self.muted = muted
        self.requestKeyframe = requestKeyframe
    }
}

/// A recording attached to a room (the room's side of an egress). The room offers it every
/// track of its source (`tap(for:)`), installs the returned taps on the tracks' producers, and
/// removes them when the source goes away or the recording is detached.
///
/// `tap(for:)` and `trackRemoved(_:)` are called on the room's actor; `detached(_:)` on the
/// media loop thread right after the last tap came off (so nothing is pushed after it) and
/// must only hand off work.
public protocol RoomRecorder: AnyObject, Sendable {
    var egressID: String { get }
    var source: RecordingSource { get }
    /// The tap for `track`, or nil to leave it out (a second camera, an unsupported codec).
    func tap(for track: RecordedTrack) -> (any RecordingTap)?
    /// A track given a tap was unpublished (its tap is already off); a republished track may follow.
    func trackRemoved(_ trackSid: String)
    /// Every tap is off the producers: finish the file.
    func detached(_ reason: RecordingEndReason)
}

/// Makes the participant recordings of rooms with `auto_record` (implemented by the server's
/// egress manager; called on the room's actor, so it must not wait on the room).
public protocol AutoRecorderFactory: Sendable {
    func makeParticipantRecorder(room: Room, identity: String) -> (any RoomRecorder)?
    /// An `auto_record` room closed (after its recorders were detached): its room recording
    /// ends once their files are final.
    func roomClosed(roomSid: String)
}

extension AutoRecorderFactory {
    public func roomClosed(roomSid: String) {}
}

/// A negotiated track, as a recording request needs to check it.
public struct PublishedTrackDescription: Sendable, Equatable {
    public let trackSid: String
    public let kind: Livekit_TrackType
    public let mimeType: String
    public let source: Livekit_TrackSource
    public let participantIdentity: String
}

/// Why a recording could not be attached to a room.
public enum RecordingAttachError: Error, Sendable, Equatable {
    case roomClosed
    case trackNotFound
    case participantNotFound
    case alreadyAttached
}
