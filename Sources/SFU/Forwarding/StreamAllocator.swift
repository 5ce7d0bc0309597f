/// Which layer of each video track one subscriber gets, so its downlink carries what it can
/// instead of flooding a congested path (LiveKit's stream allocator, simplified).
///
/// Congestion (loss in the subscriber's feedback, see `SubscriberBandwidth.takeCongestion`, or
/// delay over-use) sets a limit: the bandwidth estimate, which the loss- and delay-based
/// controllers have already cut, and never more than what got through. Under
/// a limit audio is kept whole, every video track gets its lowest layer if it fits (else it is
/// paused: LiveKit's `stream_state_update` PAUSED), and what is left upgrades tracks one layer
/// at a time. After `recoveryDelay` without congestion the limit grows by half (plus 50
/// kbit/s); once it covers everything asked for, it is lifted. A step up that brings congestion
/// back within 10 s doubles the delay (up to 30 s), so a path at its limit does not oscillate
/// quickly. When a padding probe since the congestion got everything asked for through, the
/// limit is lifted after one calm second instead.
struct StreamAllocator {
    struct Track {
        let trackSid: String
        let isVideo: Bool
        /// Started layers the subscriber may have, ascending: (rank, measured bit/s).
        let layers: [(rank: Int, bitrate: Int)]
    }

    struct Decision: Equatable {
        /// The best rank allowed; nil: whatever the subscriber asked for.
        var maxRank: Int?
        var paused: Bool
    }

    static let initialRecoveryDelay: Int64 = 4_000_000_000
    static let maxRecoveryDelay: Int64 = 30_000_000_000
    static let probedLiftDelay: Int64 = 1_000_000_000
    private(set) var limit: Int64?
    private(set) var recoveryDelay = initialRecoveryDelay
    private var lastCongestion: Int64 = 0
    private var lastStepUp: Int64?

    /// Adjusts the limit for this interval; `wanted` is what everything asked for would take.
    /// `probed`: the most a padding probe got through since the last congestion, if any.
    mutating func update(congested: Bool, estimate: Int64, wanted: Int64, now: Int64, probed: Int64? = nil) {
        if congested {
            if let step = lastStepUp, now - step < 10_000_000_000 {
                recoveryDelay = min(recoveryDelay * 2, Self.maxRecoveryDelay)
            }
            lastStepUp = nil
            limit = min(limit ?? Int64.max, estimate)
            lastCongestion = now
            return
        }
        guard let current = limit else {
            // The backoff is forgotten only after a quiet spell, not at the lift itself: a lift
            // that brings congestion back within 10 s still counts as a failed step.
            if now - lastCongestion >= 10_000_000_000 && (lastStepUp.map { now - $0 >= 10_000_000_000 } ?? true) {
                recoveryDelay = Self.initialRecoveryDelay
            }
            return
        }
        // A padding probe got everything asked for through since the congestion, and the
        // estimate agrees (SubscriberEgress.sendProbe): lift the limit after a calm second
        // instead of stepping. An estimate alone is not enough: from receiver reports only it
        // grows while video is paused, without anything having tested the path.
        if let probed, probed >= wanted, estimate >= wanted, now - lastCongestion >= Self.probedLiftDelay {
            limit = nil
            lastStepUp = now
            return
        }
        guard now - lastCongestion >= recoveryDelay, now - (lastStepUp ?? lastCongestion) >= recoveryDelay else { return }
        let raised = current + current / 2 + 50_000
        limit = raised >= wanted ? nil : raised
        lastStepUp = now
    }

    /// The video bitrate `decisions` grant over what the tracks ask for (their best layers), 1
    /// with no video or no limit: the connection-quality bitrate term of a subscriber.
    static func grantedShare(of tracks: [Track], decisions: [String: Decision]) -> Double {
        var wanted = 0, granted = 0
        for track in tracks where track.isVideo {
            guard let best = track.layers.last else { continue }
            wanted += best.bitrate
            guard let decision = decisions[track.trackSid], !decision.paused else { continue }
            let allowed = decision.maxRank.map { rank in track.layers.last { $0.rank <= rank } ?? track.layers[0] } ?? best
            granted += allowed.bitrate
        }
        return wanted > 0 ? min(Double(granted) / Double(wanted), 1) : 1
    }

    /// Layers per track under the current limit.
    func allocate(_ tracks: [Track]) -> [String: Decision] {
        guard let limit else {
            return Dictionary(tracks.map { ($0.trackSid, Decision(maxRank: nil, paused: false)) }, uniquingKeysWith: { a, _ in a })
        }
        var budget = limit
        var decisions: [String: Decision] = [:]
        for track in tracks where !track.isVideo {
            budget -= Int64(track.layers.first?.bitrate ?? 0)
            decisions[track.trackSid] = Decision(maxRank: nil, paused: false)
        }
        let videos = tracks.filter(\.isVideo).sorted { $0.trackSid < $1.trackSid }
        var chosen: [String: Int] = [:]  // index into layers
        for track in videos {
            guard let lowest = track.layers.first else {
                decisions[track.trackSid] = Decision(maxRank: nil, paused: false)
                continue
            }
            if Int64(lowest.bitrate) <= budget {
                budget -= Int64(lowest.bitrate)
                chosen[track.trackSid] = 0
            } else {
                decisions[track.trackSid] = Decision(maxRank: lowest.rank, paused: true)
            }
        }
        var upgraded = true
        while upgraded {
            upgraded = false
            for track in videos {
                guard let index = chosen[track.trackSid], index + 1 < track.layers.count else { continue }
                let delta = Int64(track.layers[index + 1].bitrate - track.layers[index].bitrate)
                if delta <= budget {
                    budget -= delta
                    chosen[track.trackSid] = index + 1
                    upgraded = true
                }
            }
        }
        for track in videos {
            if let index = chosen[track.trackSid] {
                decisions[track.trackSid] = Decision(maxRank: track.layers[index].rank, paused: false)
            }
        }
        return decisions
    }
}
