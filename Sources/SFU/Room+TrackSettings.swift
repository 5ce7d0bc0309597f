import LiveKitProtocol

/// `update_track_settings` from a subscriber (LiveKit semantics): per subscribed video track,
/// `disabled` stops it for this subscriber only, and the size the client renders at (width/
/// height, e.g. from adaptive stream) or else `quality` picks the best simulcast layer it gets.
extension Room {
    func applyTrackSettings(_ settings: Livekit_UpdateTrackSettings, from participant: Participant) {
        let egress = participant.subscriber.egress
        for trackSid in settings.trackSids {
            guard let (_, track) = publishedTrack(sid: trackSid) else { continue }
            let maxRank = track.kind == .video ? Self.maxRank(for: settings, layers: track.info.layers) : Int.max
            let disabled = settings.disabled
            context.transports.execute {
                guard let consumer = egress.consumer(trackSid: trackSid) else { return }
                // The allocator's next pass limits this again if the path needs it.
                consumer.requestedRank = maxRank
                consumer.maxRank = maxRank
                consumer.setDisabled(disabled)
            }
        }
    }

    /// The best layer rank (q/h/f = 1/2/3, see `PublisherIngress.rank(of:)`) for the settings:
    /// with a size, the smallest layer at least that large (the largest if none is); else the
    /// quality asked for. Layer sizes come from the publisher's `add_track`; without them the
    /// usual q/h/f = 1/4, 1/2, 1 of the track's size is assumed.
    static func maxRank(for settings: Livekit_UpdateTrackSettings, layers: [Livekit_VideoLayer]) -> Int {
        if settings.width > 0 || settings.height > 0 {
            let sized = layers.filter { $0.width > 0 && $0.height > 0 }.sorted { $0.width < $1.width }
            guard !sized.isEmpty else {
                return settings.width <= 320 && settings.height <= 240 ? 1 : settings.width <= 640 && settings.height <= 480 ? 2 : 3
            }
            for layer in sized where layer.width >= settings.width && layer.height >= settings.height {
                return rank(of: layer.quality)
            }
            return rank(of: sized.last!.quality)
        }
        return rank(of: settings.quality)
    }

    static func rank(of quality: Livekit_VideoQuality) -> Int {
        switch quality {
        case .low: 1
        case .medium: 2
        case .high: 3
        case .off: 1
        case .UNRECOGNIZED: 3
        }
    }
}

/// LiveKit's `stream_state_update`: the allocator paused or resumed tracks for one subscriber.
extension Room {
    /// Routes the subscriber's allocator decisions to `sendStreamStates` (set once at join).
    func watchStreamStates(of participant: Participant) {
        let egress = participant.subscriber.egress, sid = participant.sid
        let notify: @Sendable ([(trackSid: String, paused: Bool)]) -> Void = { [weak self] changes in
            Task { await self?.sendStreamStates(changes, to: sid) }
        }
        let logger = self.logger
        let log: @Sendable (String) -> Void = { logger.debug("\($0)", metadata: ["subscriber": "\(sid)"]) }
        context.transports.execute {
            egress.onStreamStates = notify
            egress.debugLog = log
        }
    }

    func sendStreamStates(_ changes: [(trackSid: String, paused: Bool)], to subscriberSid: String) {
        guard let subscriber = participants[subscriberSid] else { return }
        var update = Livekit_StreamStateUpdate()
        for (trackSid, paused) in changes {
            guard let (publisher, _) = publishedTrack(sid: trackSid) else { continue }
            var info = Livekit_StreamStateInfo()
            info.participantSid = publisher.sid
            info.trackSid = trackSid
            info.state = paused ? .paused : .active
            update.streamStates.append(info)
            logger.info("stream \(paused ? "paused" : "resumed") for subscriber",
                        metadata: ["subscriber": "\(subscriber.identity)", "track": "\(trackSid)"])
        }
        guard !update.streamStates.isEmpty else { return }
        if subscriber.send(.streamStateUpdate(update)) == .overflow { slowConsumer(subscriber) }
    }
}
