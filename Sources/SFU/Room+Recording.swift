import LiveKitProtocol

/// A recording attached to the room, and the taps the room installed for it (by track sid).
struct RecorderAttachment {
    let recorder: any RoomRecorder
    var taps: [String: (producer: Producer, tap: any RecordingTap)] = [:]
}

/// Server-side recordings: the room hands each recording the producers of its source's tracks
/// (now and as they are published), removes the taps when the source goes away, and tells
/// participants through `Room.active_recording`.
extension Room {
    /// Attaches `recorder` and taps the tracks of its source that are already published.
    public func addRecorder(_ recorder: any RoomRecorder) throws(RecordingAttachError) {
        guard !closed else { throw .roomClosed }
        guard recorders[recorder.egressID] == nil else { throw .alreadyAttached }
        switch recorder.source {
        case .track(let sid):
            guard let (_, track) = publishedTrack(sid: sid), track.producer != nil else { throw .trackNotFound }
        case .participant(let identity, _):
            guard participant(identity: identity) != nil else { throw .participantNotFound }
        }
        let wasRecording = !recorders.isEmpty
        recorders[recorder.egressID] = RecorderAttachment(recorder: recorder)
        for participant in participants.values {
            for track in participant.tracks.values { offer(track, of: participant, to: recorder.egressID) }
        }
        if !wasRecording { broadcastRoomUpdate() }
        logger.info("recording attached", metadata: ["egress": "\(recorder.egressID)", "source": "\(recorder.source)"])
    }

    /// Detaches a recording (StopEgress, a failed recording): its taps come off and it is told
    /// `detached(reason)` on the media loop. Returns false if it was not attached.
    @discardableResult
    public func removeRecorder(egressID: String, reason: RecordingEndReason) -> Bool {
        guard recorders[egressID] != nil else { return false }
        detachRecorder(egressID, reason: reason)
        return true
    }

    /// Whether a recording is running in this room (LiveKit's `Room.active_recording`).
    public var isRecording: Bool { !recorders.isEmpty }

    /// A negotiated (published) track, for checking a recording request.
    public func publishedTrackDescription(sid: String) -> PublishedTrackDescription? {
        guard let (participant, track) = publishedTrack(sid: sid), track.isNegotiated else { return nil }
        return PublishedTrackDescription(trackSid: sid, kind: track.kind, mimeType: track.info.mimeType,
                                         source: track.info.source, participantIdentity: participant.identity)
    }

    // MARK: Room events

    /// Newly negotiated tracks: offered to the recordings of their source; with `auto_record`,
    /// a participant recording starts with the participant's first camera or microphone track.
    func recordingTracksPublished(_ tracks: [PublishedTrack], of participant: Participant) {
        if autoRecord, !participant.isHidden, let factory = context.autoRecorderFactory,
           tracks.contains(where: { !Self.isScreenShare($0.info.source) }),
           !recorders.values.contains(where: { $0.recorder.source == .participant(identity: participant.identity, screenShare: false) }),
           let recorder = factory.makeParticipantRecorder(room: self, identity: participant.identity) {
            do {
                try addRecorder(recorder)  // offers it every published track, these included
            } catch {
                logger.error("auto recording not attached: \(error)", metadata: ["participant": "\(participant.identity)"])
                recorder.detached(.failed)
            }
        }
        for egressID in recorders.keys {
            for track in tracks { offer(track, of: participant, to: egressID) }
        }
    }

    /// A track was unpublished: a track recording ends, a participant recording keeps going.
    func recordingTrackUnpublished(_ trackSid: String) {
        for (egressID, attachment) in recorders {
            if case .track(let sid) = attachment.recorder.source, sid == trackSid {
                detachRecorder(egressID, reason: .trackUnpublished)
            } else if let entry = attachment.taps[trackSid] {
                recorders[egressID]?.taps[trackSid] = nil
                let producer = entry.producer, tap = entry.tap
                context.transports.execute { producer.removeTap(tap) }
                attachment.recorder.trackRemoved(trackSid)
            }
        }
    }

    /// A participant left: its participant recordings and the recordings of its tracks end.
    func recordingParticipantLeft(_ participant: Participant) {
        for (egressID, attachment) in recorders {
            switch attachment.recorder.source {
            case .participant(let identity, _) where identity == participant.identity:
                detachRecorder(egressID, reason: .participantLeft)
            case .track(let sid) where participant.tracks[sid] != nil:
                detachRecorder(egressID, reason: .trackUnpublished)
            default:
                break
            }
        }
    }

    /// The room closes: every recording ends.
    func recordingRoomClosed() {
        for egressID in recorders.keys { detachRecorder(egressID, reason: .roomClosed) }
        if autoRecord { context.autoRecorderFactory?.roomClosed(roomSid: sid) }
    }

    // MARK: Plumbing

    private func offer(_ track: PublishedTrack, of participant: Participant, to egressID: String) {
        guard let attachment = recorders[egressID], attachment.taps[track.sid] == nil,
              let producer = track.producer, Self.matches(attachment.recorder.source, track: track, of: participant) else { return }
        let transports = context.transports
        let recorded = RecordedTrack(
            trackSid: track.sid, kind: track.kind, mimeType: track.info.mimeType, source: track.info.source,
            participantIdentity: participant.identity, participantSid: participant.sid, muted: track.info.muted,
            requestKeyframe: { transports.execute { producer.requestKeyframe(now: .now) } })
        guard let tap = attachment.recorder.tap(for: recorded) else { return }
        recorders[egressID]?.taps[track.sid] = (producer, tap)
        transports.execute { producer.addTap(tap) }
    }

    private func detachRecorder(_ egressID: String, reason: RecordingEndReason) {
        guard let attachment = recorders.removeValue(forKey: egressID) else { return }
        let taps = Array(attachment.taps.values), recorder = attachment.recorder
        // Taps come off on the media loop; `detached` follows there, so no packet is pushed after it.
        context.transports.execute {
            for entry in taps { entry.producer.removeTap(entry.tap) }
            recorder.detached(reason)
        }
        if recorders.isEmpty && !closed { broadcastRoomUpdate() }
        logger.info("recording detached", metadata: ["egress": "\(egressID)", "reason": "\(reason.rawValue)"])
    }

    private static func matches(_ source: RecordingSource, track: PublishedTrack, of participant: Participant) -> Bool {
        switch source {
        case .track(let sid):
            return track.sid == sid
        case .participant(let identity, let screenShare):
            return participant.identity == identity && isScreenShare(track.info.source) == screenShare
        }
    }

    private static func isScreenShare(_ source: Livekit_TrackSource) -> Bool {
        source == .screenShare || source == .screenShareAudio
    }
}
