import LiveKitProtocol

/// What the server API (Twirp RoomService) can do to a room's participants.
extension Room {
    public enum AdminError: Error, Equatable, Sendable {
        case participantNotFound
        case trackNotFound
    }

    /// RemoveParticipant: the participant is told (`leave`, PARTICIPANT_REMOVED) and removed.
    public func removeParticipant(identity: String) throws(AdminError) {
        guard let participant = participant(identity: identity) else { throw .participantNotFound }
        remove(participant, reason: .participantRemoved, notify: true)
    }

    /// MutePublishedTrack: mutes (or unmutes) a track; the publisher is told to mute locally.
    public func mutePublishedTrack(identity: String, trackSid: String, muted: Bool) throws(AdminError) -> Livekit_TrackInfo {
        guard let participant = participant(identity: identity) else { throw .participantNotFound }
        guard let info = setMuted(trackSid: trackSid, muted: muted, of: participant, byAdmin: true) else { throw .trackNotFound }
        return info
    }

    /// UpdateParticipant: metadata, name, attributes and, when given, permissions.
    public func updateParticipant(identity: String, metadata: String, name: String, attributes: [String: String],
                                  permission: Livekit_ParticipantPermission?) throws(AdminError) -> Livekit_ParticipantInfo {
        guard let participant = participant(identity: identity) else { throw .participantNotFound }
        if let permission {
            participant.permission = permission
            if !permission.canSubscribe {
                for sid in participant.subscriber.subscribedTrackSids { participant.subscriber.remove(trackSid: sid) }
                participant.desiredSubscriptions.removeAll()
                negotiateSubscriber(participant)
            }
        }
        apply(metadata: metadata, name: name, attributes: attributes, to: participant)
        return participant.info
    }

    /// UpdateSubscriptions: subscribe or unsubscribe a participant to tracks, as if it asked.
    public func updateSubscriptions(identity: String, trackSids: [String], participantTracks: [Livekit_ParticipantTracks],
                                    subscribe: Bool) throws(AdminError) {
        guard let participant = participant(identity: identity) else { throw .participantNotFound }
        var update = Livekit_UpdateSubscription()
        update.trackSids = trackSids
        update.participantTracks = participantTracks
        update.subscribe = subscribe
        updateSubscription(update, for: participant)
    }
}
