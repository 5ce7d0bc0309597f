import LiveKitProtocol

/// The room's webhook events (see `RoomEvents`). Each builds its infos only when a sink is
/// wired, so a server without webhooks pays nothing. Hidden participants (recorders, agents)
/// are reported too, as livekit-server does.
extension Room {
    /// `room_started`, from the new room's settings (nobody is in it yet). Nonisolated: the
    /// manager calls it as it creates the room, so it is queued before anyone's join.
    nonisolated func emitRoomStarted(metadata: String) {
        context.events?.emit(.roomStarted, room: settingsInfo(metadata: metadata))
    }

    func emitParticipantJoined(_ participant: Participant) {
        guard let events = context.events else { return }
        events.emit(.participantJoined, room: info, participant: participant.info)
    }

    /// `track_unpublished` for each of its tracks, then `participant_left`, as LiveKit sends them.
    func emitParticipantLeft(_ left: Livekit_ParticipantInfo) {
        guard let events = context.events else { return }
        let room = info
        for track in left.tracks { events.emit(.trackUnpublished, room: room, participant: left, track: track) }
        events.emit(.participantLeft, room: room, participant: left)
    }

    func emitTrackPublished(_ tracks: [PublishedTrack], of participant: Participant) {
        guard let events = context.events else { return }
        let room = info, publisher = participant.info
        for track in tracks { events.emit(.trackPublished, room: room, participant: publisher, track: track.info) }
    }

    func emitTrackUnpublished(_ track: PublishedTrack, of participant: Participant) {
        guard let events = context.events, track.isNegotiated else { return }
        events.emit(.trackUnpublished, room: info, participant: participant.info, track: track.info)
    }

    func emitRoomFinished() {
        context.events?.emit(.roomFinished, room: info)
    }
}
