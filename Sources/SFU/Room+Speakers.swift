import LiveKitProtocol

/// Active speakers (LiveKit's `speakers_changed`): every `speakerUpdateInterval` the room closes
/// an observation interval on each audio producer's level meter (RFC 6464 levels, smoothed) and
/// tells everyone when the set or the order of speakers changed. Speakers who stopped are sent
/// with `active = false`, as LiveKit does, so clients clear them.
extension Room {
    func updateActiveSpeakers() async {
        guard !closed else { return }
        var producers: [(sid: String, producer: Producer)] = []
        for participant in participants.values where !participant.isHidden {
            for track in participant.tracks.values where track.kind == .audio {
                if let producer = track.producer { producers.append((participant.sid, producer)) }
            }
        }
        guard !producers.isEmpty || !activeSpeakers.isEmpty else { return }
        let audio = producers
        let levels: [String: Float] = await withCheckedContinuation { continuation in
            context.transports.execute {
                var levels: [String: Float] = [:]
                for (sid, producer) in audio {
                    let level = producer.audioLevel.closeInterval()
                    if producer.audioLevel.isSpeaking(level) { levels[sid] = max(levels[sid] ?? 0, Float(level)) }
                }
                continuation.resume(returning: levels)
            }
        }
        // Participants may have left during the hop to the media thread.
        let current = levels.filter { participants[$0.key] != nil }
        let order = { (speakers: [String: Float]) in speakers.sorted { $0.value > $1.value }.map(\.key) }
        guard order(current) != order(activeSpeakers) else {
            activeSpeakers = current
            return
        }
        var changed = Livekit_SpeakersChanged()
        for (sid, level) in current.sorted(by: { $0.value > $1.value }) {
            var info = Livekit_SpeakerInfo()
            info.sid = sid
            info.level = level
            info.active = true
            changed.speakers.append(info)
        }
        for sid in activeSpeakers.keys where current[sid] == nil {
            var info = Livekit_SpeakerInfo()
            info.sid = sid
            info.level = 0
            info.active = false
            changed.speakers.append(info)
        }
        activeSpeakers = current
        let encoding = SharedEncoding()
        for participant in participants.values {
            if participant.send(.speakersChanged(changed), encoding: encoding) == .overflow { slowConsumer(participant) }
        }
    }
}
