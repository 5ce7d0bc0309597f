import LiveKitProtocol

/// LiveKit's `subscribed_quality_update` ("dynacast"): publishers are told which simulcast
/// layers anyone needs, so they can stop encoding and sending the rest. Evaluated with the
/// quality windows (every 2 s); sent when a track's answer changes.
extension Room {
    /// Simulcast video tracks with their producer and the ranks of their published layers.
    func simulcastProducers() -> [(trackSid: String, producer: Producer, ranks: [Int])] {
        var result: [(String, Producer, [Int])] = []
        for participant in participants.values {
            for track in participant.tracks.values where track.kind == .video && track.info.layers.count > 1 {
                guard let producer = track.producer else { continue }
                let ranks = track.info.layers.map { Self.rank(of: $0.quality) }
                result.append((track.sid, producer, Array(Set(ranks)).sorted()))
            }
        }
        return result
    }

    func sendSubscribedQualities(_ needed: [String: Int]) {
        for (trackSid, rank) in needed where lastSubscribedRanks[trackSid] != rank {
            guard let (publisher, track) = publishedTrack(sid: trackSid) else { continue }
            lastSubscribedRanks[trackSid] = rank
            var update = Livekit_SubscribedQualityUpdate()
            update.trackSid = trackSid
            let qualities = track.info.layers.map { layer -> Livekit_SubscribedQuality in
                var quality = Livekit_SubscribedQuality()
                quality.quality = layer.quality
                quality.enabled = Self.rank(of: layer.quality) <= rank
                return quality
            }
            update.subscribedQualities = qualities
            let mime = track.info.mimeType.lowercased()
            if mime.hasPrefix("video/") {
                var codec = Livekit_SubscribedCodec()
                codec.codec = String(mime.dropFirst("video/".count))
                codec.qualities = qualities
                update.subscribedCodecs = [codec]
            }
            if publisher.send(.subscribedQualityUpdate(update)) == .overflow { slowConsumer(publisher) }
        }
        for trackSid in lastSubscribedRanks.keys where needed[trackSid] == nil { lastSubscribedRanks[trackSid] = nil }
    }
}
