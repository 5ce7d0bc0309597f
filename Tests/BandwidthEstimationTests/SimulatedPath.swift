@testable import BandwidthEstimation

/// A deterministic bottleneck for replaying the estimator against: a FIFO link of
/// `capacityBps` with a drop-tail queue, one-way propagation delay, and random loss from a
/// seeded generator; the receiver sends transport-wide feedback every 50 ms, which reaches the
/// sender one propagation delay later. Same seed, same trace.
struct SimulatedPath {
    var capacityBps: Int64
    var lossRate = 0.0
    var propagationUs: Int64 = 25_000
    var queueLimitUs: Int64 = 300_000
    var feedbackIntervalUs: Int64 = 50_000
    var rng: SplitMix64

    private var linkFreeAtUs: Int64 = 0
    private var inFlight: [(sequence: UInt16, arrivalUs: Int64?)] = []
    private var pendingFeedback: [(deliverAtUs: Int64, packets: [SendSideBandwidthEstimator.PacketFeedback])] = []
    private var nextFeedbackUs: Int64 = 50_000

    init(capacityBps: Int64, seed: UInt64 = 1) {
        self.capacityBps = capacityBps
        rng = SplitMix64(seed: seed)
    }

    /// The link takes a packet sent at `nowUs`.
    mutating func send(sequence: UInt16, size: Int, nowUs: Int64) {
        if Double(rng.next() % 1_000_000) / 1_000_000 < lossRate {
            inFlight.append((sequence, nil))
            return
        }
        let queuedUs = max(0, linkFreeAtUs - nowUs)
        if queuedUs > queueLimitUs {
            inFlight.append((sequence, nil))  // drop-tail
            return
        }
        let departure = max(nowUs, linkFreeAtUs) + Int64(size) * 8 * 1_000_000 / capacityBps
        linkFreeAtUs = departure
        inFlight.append((sequence, departure + propagationUs))
    }

    /// Feedback messages that reach the sender by `nowUs`.
    mutating func feedback(upTo nowUs: Int64) -> [[SendSideBandwidthEstimator.PacketFeedback]] {
        while nextFeedbackUs <= nowUs {
            buildFeedback(at: nextFeedbackUs)
            nextFeedbackUs += feedbackIntervalUs
        }
        var due: [[SendSideBandwidthEstimator.PacketFeedback]] = []
        while let first = pendingFeedback.first, first.deliverAtUs <= nowUs {
            due.append(first.packets)
            pendingFeedback.removeFirst()
        }
        return due
    }

    /// The receiver at `timeUs` reports every packet up to the newest one that has arrived;
    /// earlier ones that never came are reported lost.
    private mutating func buildFeedback(at timeUs: Int64) {
        guard let lastArrived = inFlight.lastIndex(where: { $0.arrivalUs.map { $0 <= timeUs } ?? false }) else { return }
        let reported = inFlight[...lastArrived].map {
            SendSideBandwidthEstimator.PacketFeedback(sequence: $0.sequence,
                                                      arrivalTimeUs: $0.arrivalUs.flatMap { $0 <= timeUs ? $0 : nil })
        }
        inFlight.removeFirst(lastArrived + 1)
        pendingFeedback.append((timeUs + propagationUs, reported))
    }
}

/// A sender that paces 1200-byte packets at the estimator's target and feeds it the path's
/// feedback; returns the target once per 100 ms.
struct SimulatedCall {
    var estimator: SendSideBandwidthEstimator
    var path: SimulatedPath
    var nowUs: Int64 = 0
    private var sequence: UInt16 = 0
    private var budgetBits = 0.0
    /// The probe being sent: (cluster, bitrate, packets left).
    private var probe: (cluster: Int, bitrate: Int64, left: Int)?
    /// What the "application" wants; probing looks for it.
    var desiredBitrate: Int64 = 0
    /// The loss-based controller's last loss fraction, sampled with the targets.
    private(set) var lossSamples: [Double] = []

    init(estimator: SendSideBandwidthEstimator, path: SimulatedPath) {
        self.estimator = estimator
        self.path = path
    }

    /// Runs for `durationUs`; the samples are (time µs, target bps) every 100 ms.
    mutating func run(forUs durationUs: Int64) -> [(timeUs: Int64, bps: Int64)] {
        var samples: [(Int64, Int64)] = []
        let end = nowUs + durationUs
        while nowUs < end {
            nowUs += 1000
            estimator.desiredBitrate = desiredBitrate
            if probe == nil, let next = estimator.probeToSend(atUs: nowUs) {
                probe = (next.cluster, next.bitrate, next.packets)
            }
            // During a probe everything sent (media topped up with padding) runs at the probe's
            // rate and belongs to its cluster, as a pacer does it: the cluster then measures the
            // path's total rate, not the probe's share of it.
            let rate = probe?.bitrate ?? estimator.targetBitrate
            budgetBits = min(budgetBits + Double(rate) / 1000, 2 * 1200 * 8)
            while budgetBits >= 1200 * 8 {
                estimator.onPacketSent(sequence: sequence, size: 1200, atUs: nowUs, probeCluster: probe?.cluster ?? 0)
                path.send(sequence: sequence, size: 1200, nowUs: nowUs)
                sequence &+= 1
                budgetBits -= 1200 * 8
                if var p = probe {
                    p.left -= 1
                    probe = p.left > 0 ? p : nil
                }
            }
            for message in path.feedback(upTo: nowUs) {
                estimator.onTransportFeedback(message, atUs: nowUs)
            }
            if nowUs % 100_000 == 0 {
                samples.append((nowUs, estimator.targetBitrate))
                lossSamples.append(estimator.lossFraction)
            }
        }
        return samples
    }
}

struct SplitMix64 {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func average(_ samples: [(timeUs: Int64, bps: Int64)], from startUs: Int64, to endUs: Int64) -> Double {
    let window = samples.filter { $0.timeUs >= startUs && $0.timeUs <= endUs }
    return Double(window.reduce(0) { $0 + $1.bps }) / Double(max(window.count, 1))
}
