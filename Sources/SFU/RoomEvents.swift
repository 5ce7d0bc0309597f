import LiveKitProtocol

/// Receives what happens to rooms, participants, tracks and recordings, as LiveKit's webhook
/// events (`room_started`, `participant_joined`, ...). The server wires it to the webhook
/// notifier; the SFU knows nothing of HTTP. Called on the event queue's thread, one event at
/// a time in the order they happened; it may block (it writes to SQLite).
public protocol RoomEventSink: Sendable {
    func record(_ event: Livekit_WebhookEvent)
}

/// LiveKit's webhook event names.
public enum RoomEventName: String, Sendable, CaseIterable {
    case roomStarted = "room_started"
    case roomFinished = "room_finished"
    case participantJoined = "participant_joined"
    case participantLeft = "participant_left"
    case trackPublished = "track_published"
    case trackUnpublished = "track_unpublished"
    case egressStarted = "egress_started"
    case egressUpdated = "egress_updated"
    case egressEnded = "egress_ended"
}

/// Hands events to the sink in order, off the room actors: a room only builds the event and
/// queues it; the sink's SQLite write runs on a low-priority thread of its own (like the
/// session journal), so neither signalling nor media waits for it.
public final class RoomEvents: Sendable {
    private let sink: any RoomEventSink
    private let queue = BackgroundWorker(name: "sb-events")

    public init(sink: any RoomEventSink) {
        self.sink = sink
    }

    public func emit(_ name: RoomEventName, room: Livekit_Room? = nil, participant: Livekit_ParticipantInfo? = nil,
                     track: Livekit_TrackInfo? = nil, egress: Livekit_EgressInfo? = nil) {
        var event = Livekit_WebhookEvent()
        event.event = name.rawValue
        if let room { event.room = room }
        if let participant { event.participant = participant }
        if let track { event.track = track }
        if let egress { event.egressInfo = egress }
        let sink = self.sink, queued = event
        queue.submit { sink.record(queued) }
    }

    /// Returns once every event queued before the call reached the sink (tests, shutdown).
    public func drain() { queue.drain() }
}
