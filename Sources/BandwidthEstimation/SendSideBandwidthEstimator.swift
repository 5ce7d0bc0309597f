/// Send-side bandwidth estimation toward one subscriber (draft-ietf-rmcat-gcc-02 with
/// transport-wide feedback, draft-holmer-rmcat-transport-wide-cc-extensions-01).
///
/// Every packet sent to the subscriber carries a transport-wide sequence number and is
/// recorded here; the subscriber's feedback says when each arrived (or that it did not). From
/// that: the delay-based estimate (inter-group delay variation -> trendline -> over-use
/// detector -> AIMD) and the loss-based estimate; the target is the lower of the two, under a
/// REMB the receiver may send and within [min, max]. Time is passed in by the caller (µs, any
/// monotonic origin), never read from a clock, so recorded feedback replays exactly.
public struct SendSideBandwidthEstimator: Sendable {
    public struct Configuration: Sendable {
        public var initialBitrate: Int64 = 1_000_000
        public var minBitrate: Int64 = 30_000
        /// Never estimate (or probe) above this.
        public var maxBitrate: Int64 = 8_000_000
        /// Probes sent in bursts this far apart (see `ProbeBitrateEstimator.burstIntervalUs`).
        public var probeBurstIntervalUs: Int64 = 0
        public init() {}
    }

    /// One entry of a transport-wide feedback message: arrival time in the receiver's clock
    /// (µs), or nil when the packet was reported lost.
    public struct PacketFeedback: Sendable, Equatable {
        public var sequence: UInt16
        public var arrivalTimeUs: Int64?
        public init(sequence: UInt16, arrivalTimeUs: Int64?) {
            self.sequence = sequence
            self.arrivalTimeUs = arrivalTimeUs
        }
    }

    public let configuration: Configuration
    private var history = SentPacketHistory()
    private var interArrival = InterArrival()
    private var trendline = TrendlineEstimator()
    private var delayBased: AIMDRateControl
    private var lossBased: LossBasedControl
    private var acked = AckedBitrate()
    private var remb: Int64?
    private var received: [(sendUs: Int64, arrivalUs: Int64, size: Int, cluster: Int)] = []
    private var probeResults = ProbeBitrateEstimator()
    private var probes: ProbeController
    /// What the subscription would use if the path allowed it; probing looks for it.
    public var desiredBitrate: Int64 = 0
    public private(set) var rttUs: Int64 = 100_000
    /// Without transport-wide feedback there is no delay-based estimate: loss and REMB decide.
    public private(set) var hasTransportFeedback = false

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        delayBased = AIMDRateControl(initialBitrate: configuration.initialBitrate, minBitrate: configuration.minBitrate,
                                     maxBitrate: configuration.maxBitrate)
        lossBased = LossBasedControl(initialBitrate: configuration.initialBitrate)
        probes = ProbeController(maxBitrate: configuration.maxBitrate)
        probeResults.burstIntervalUs = configuration.probeBurstIntervalUs
        received.reserveCapacity(512)
    }

    /// The bitrate the subscriber's path is estimated to carry (bits per second).
    public var targetBitrate: Int64 {
        var target = hasTransportFeedback ? min(delayBased.bitrate, lossBased.bitrate) : lossBased.bitrate
        if let remb { target = min(target, remb) }
        return min(max(target, configuration.minBitrate), configuration.maxBitrate)
    }

    public var delayBasedBitrate: Int64 { delayBased.bitrate }
    public var lossBasedBitrate: Int64 { lossBased.bitrate }
    public var usage: TrendlineEstimator.Usage { trendline.usage }
    public var lossFraction: Double { lossBased.lastLossFraction }
    public var ackedBitrate: Int64? { acked.bitsPerSecond }
    /// What the last measurable probe cluster got through (bit/s), for logs and metrics.
    public private(set) var lastProbeResult: Int64?
    /// Media packets (probes left out) the last feedback reported, and lost among them: loss
    /// of padding that overran a bottleneck is the probe's answer, not loss of the call's media.
    public private(set) var lastMediaReported = 0
    public private(set) var lastMediaLost = 0

    /// Records a packet sent with transport-wide sequence `sequence`; `probeCluster` names
    /// the probe it belongs to (0 for media).
    public mutating func onPacketSent(sequence: UInt16, size: Int, atUs nowUs: Int64, probeCluster: Int = 0) {
        history.recordSend(sequence: sequence, size: size, at: nowUs, probeCluster: probeCluster)
        if probeCluster != 0 { probeResults.sent(cluster: probeCluster) }
    }

    /// A probe to send now (padding at its bitrate), if one is due: at the start, then when
    /// `desiredBitrate` is above the estimate and the path is calm.
    public mutating func probeToSend(atUs nowUs: Int64) -> ProbeController.Probe? {
        let calm = usage == .normal && lossBased.lastLossFraction < LossBasedControl.lowLoss
        return probes.probe(estimate: targetBitrate, desired: desiredBitrate, calm: calm, nowUs: nowUs)
    }

    /// Applies one feedback message (its packets in any order) received at `nowUs`; returns
    /// how many of its packets matched a recorded send.
    @discardableResult
    public mutating func onTransportFeedback(_ packets: [PacketFeedback], atUs nowUs: Int64) -> Int {
        received.removeAll(keepingCapacity: true)
        var reported = 0, lost = 0
        lastMediaReported = 0
        lastMediaLost = 0
        for packet in packets {
            guard let sent = history.takeUnreported(packet.sequence) else { continue }
            reported += 1
            if sent.probeCluster == 0 { lastMediaReported += 1 }
            if let arrival = packet.arrivalTimeUs {
                received.append((sent.sendTimeUs, arrival, sent.size, sent.probeCluster))
            } else {
                lost += 1
                if sent.probeCluster == 0 { lastMediaLost += 1 }
            }
        }
        guard reported > 0 else { return 0 }
        hasTransportFeedback = true
        received.sort { $0.arrivalUs < $1.arrivalUs }
        var probed: Int64?
        for packet in received {
            acked.add(arrivalUs: packet.arrivalUs, size: packet.size)
            if packet.cluster != 0, let rate = probeResults.add(cluster: packet.cluster, sendUs: packet.sendUs,
                                                               arrivalUs: packet.arrivalUs, size: packet.size) {
                probed = max(probed ?? 0, rate)
                lastProbeResult = rate
            }
            if let delta = interArrival.add(sendTimeUs: packet.sendUs, arrivalTimeUs: packet.arrivalUs, size: packet.size) {
                trendline.update(delta)
            }
        }
        delayBased.rttUs = rttUs
        delayBased.update(usage: trendline.usage, ackedBitrate: acked.bitsPerSecond, nowUs: nowUs)
        // A probe that got through at a higher rate than the estimate moves both controllers
        // up to it at once, instead of climbing there at 8 %/s.
        if let probed, trendline.usage != .overusing, probed > targetBitrate {
            let rate = min(probed, configuration.maxBitrate)
            delayBased.raise(to: rate)
            lossBased.raise(to: rate)
        }
        lossBased.add(reported: reported, lost: lost)
        lossBased.evaluate(nowUs: nowUs, ceiling: delayBased.bitrate, rttUs: rttUs)
        lossBased.clamp(min: configuration.minBitrate, max: configuration.maxBitrate)
        return reported
    }

    /// Receiver report fallback (no transport-wide feedback): loss fraction and RTT.
    public mutating func onReceiverReport(fractionLost: UInt8, packetsSinceLast: Int, rttUs: Int64?, atUs nowUs: Int64) {
        if let rttUs { self.rttUs = rttUs }
        lossBased.add(fractionLost: fractionLost, packets: max(packetsSinceLast, 0))
        lossBased.evaluate(nowUs: nowUs, ceiling: configuration.maxBitrate, rttUs: self.rttUs)
        lossBased.clamp(min: configuration.minBitrate, max: configuration.maxBitrate)
    }

    /// A REMB from the receiver caps the estimate until the next one.
    public mutating func onREMB(bitrate: Int64, atUs nowUs: Int64) {
        remb = max(bitrate, configuration.minBitrate)
        delayBased.clamp(to: remb!)
    }

    public mutating func updateRTT(_ rttUs: Int64) {
        self.rttUs = max(rttUs, 1000)
    }
}
