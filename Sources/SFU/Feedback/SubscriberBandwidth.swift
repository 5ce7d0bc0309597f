import BandwidthEstimation
import MediaTransport
import RTCP
import Synchronization

/// Transport-wide sequence numbers on everything sent to one subscriber, and the send-side
/// bandwidth estimate that the subscriber's feedback about them gives
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01, draft-ietf-rmcat-gcc-02 via
/// `SendSideBandwidthEstimator`). REMB and receiver reports feed the same estimator as
/// fallbacks. Stamping and feedback run on the media thread; the estimate is published
/// atomically for the room and metrics.
final class SubscriberBandwidth: @unchecked Sendable {
    /// The sequence number the next stamped packet gets.
    private(set) var nextSequence: UInt16 = 1
    private var estimator: SendSideBandwidthEstimator
    private let published = Atomic<Int64>(0)
    private(set) var feedbackCount = 0
    /// Packets reported by transport-wide feedback, and lost among them, since the last window.
    private var windowReported = 0
    private var windowLost = 0
    /// The same for the stream allocator's shorter interval.
    private var allocatorReported = 0
    private var allocatorLost = 0

    init(configuration: SendSideBandwidthEstimator.Configuration = .init()) {
        estimator = SendSideBandwidthEstimator(configuration: configuration)
        published.store(estimator.targetBitrate, ordering: .relaxed)
    }

    /// The current estimate (bits per second), from any thread.
    var estimate: Int64 { published.load(ordering: .relaxed) }

    /// What the subscription would use if the path allowed it (media thread).
    var desiredBitrate: Int64 {
        get { estimator.desiredBitrate }
        set { estimator.desiredBitrate = newValue }
    }

    /// A packet went out carrying `nextSequence` (`probeCluster` for a padding probe).
    func commitStamp(size: Int, nowNanoseconds: Int64, probeCluster: Int = 0) {
        estimator.onPacketSent(sequence: nextSequence, size: size, atUs: nowNanoseconds / 1000, probeCluster: probeCluster)
        nextSequence &+= 1
    }

    /// What the last measured probe got through (bit/s).
    var lastProbeResult: Int64? { estimator.lastProbeResult }

    /// A probe to send now, if one is due (see `ProbeController`).
    func probeToSend(nowNanoseconds: Int64) -> ProbeController.Probe? {
        estimator.probeToSend(atUs: nowNanoseconds / 1000)
    }

    /// Returns how many reported packets matched our sends.
    func receive(_ feedback: TransportWideFeedback, nowNanoseconds: Int64) -> Int {
        guard let results = try? feedback.packetResults() else { return 0 }
        let packets = results.map {
            SendSideBandwidthEstimator.PacketFeedback(sequence: $0.sequenceNumber, arrivalTimeUs: $0.arrivalTime)
        }
        let matched = estimator.onTransportFeedback(packets, atUs: nowNanoseconds / 1000)
        // Media only: padding lost to a bottleneck is what a probe measures, not call loss.
        let reported = estimator.lastMediaReported, lost = estimator.lastMediaLost
        windowReported += reported
        windowLost += lost
        allocatorReported += reported
        allocatorLost += lost
        feedbackCount &+= 1
        publish()
        return matched
    }

    func receive(_ remb: ReceiverEstimatedMaximumBitrate, nowNanoseconds: Int64) {
        estimator.onREMB(bitrate: Int64(clamping: remb.bitrate), atUs: nowNanoseconds / 1000)
        publish()
    }

    /// Receiver report blocks: loss for the loss-based estimate when there is no transport-wide
    /// feedback (with it, the feedback already says which packets were lost).
    func receive(fractionLost: UInt8, packets: Int, roundTrip: Int64?, nowNanoseconds: Int64) {
        if let roundTrip { estimator.updateRTT(roundTrip / 1000) }
        guard !estimator.hasTransportFeedback else { return }
        allocatorReported += packets
        allocatorLost += Int(fractionLost) * packets / 256
        estimator.onReceiverReport(fractionLost: fractionLost, packetsSinceLast: packets, rttUs: roundTrip.map { $0 / 1000 },
                                   atUs: nowNanoseconds / 1000)
        publish()
    }

    /// Whether the subscriber sends transport-wide feedback at all.
    var hasTransportFeedback: Bool { estimator.hasTransportFeedback }

    /// Downstream loss since the last call, from transport-wide feedback: it covers exactly
    /// the packets we sent, so loss upstream of us is not in it.
    func takeLossWindow() -> (reported: Int, lost: Int) {
        defer { windowReported = 0; windowLost = 0 }
        return (windowReported, windowLost)
    }

    /// Intervals in a row whose reports showed over 10 % loss (intervals without reports
    /// neither extend nor break the streak).
    private var lossyStreak = 0

    /// Whether the path showed congestion since the last call, and the fraction lost. Random
    /// loss of a few percent reads above 10 % in one short interval now and then, so loss
    /// counts as congestion when it is above 10 % twice in a row or above 25 % once; the
    /// delay-based detector's over-use counts at once.
    func takeCongestion() -> (congested: Bool, lossFraction: Double) {
        defer { allocatorReported = 0; allocatorLost = 0 }
        // Over-use counts only with fresh feedback: with everything paused no feedback comes,
        // and the last signal must not hold the limit down for ever.
        guard allocatorReported >= 10 else { return (allocatorReported > 0 && estimator.usage == .overusing, 0) }
        let loss = Double(allocatorLost) / Double(allocatorReported)
        lossyStreak = loss > 0.10 ? lossyStreak + 1 : 0
        return (lossyStreak >= 2 || loss > 0.25 || estimator.usage == .overusing, loss)
    }

    private func publish() { published.store(estimator.targetBitrate, ordering: .relaxed) }
}
