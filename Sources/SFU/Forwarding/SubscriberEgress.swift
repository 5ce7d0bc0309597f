import BandwidthEstimation
import ConnectionQuality
import MediaTransport
import RTCP

/// The send side of one subscriber transport: its consumers by their SSRC, and the RTCP both
/// ways. From the subscriber: NACK -> retransmission from the producer's cache, PLI/FIR ->
/// throttled keyframe request to the publisher, receiver reports -> round-trip time. To the
/// subscriber: a sender report per stream every second, carrying the publisher's NTP <-> RTP
/// mapping rebased onto this subscriber's timestamps (RFC 3550 §6.4.1), for lip sync.
///
/// Ownership: media loop thread only.
final class SubscriberEgress: @unchecked Sendable {
    private var consumers: [UInt32: (Consumer, Producer)] = [:]
    private(set) var retransmissions = 0
    let stats: ForwardingStats
    weak var transport: WebRTCTransport?
    /// Transport-wide sequence numbers and the bandwidth estimate toward this subscriber.
    let bandwidth: SubscriberBandwidth
    /// Round trip to the subscriber from its receiver reports (RFC 3550 §6.4.1), ns; nil until
    /// the first report that echoes one of our sender reports.
    private(set) var roundTrip: Int64?
    private var lastSenderReports: Int64 = 0
    static let senderReportInterval: Int64 = 1_000_000_000

    init(stats: ForwardingStats, maxBitrate: Int64 = 8_000_000) {
        self.stats = stats
        var configuration = SendSideBandwidthEstimator.Configuration()
        configuration.maxBitrate = maxBitrate
        configuration.initialBitrate = min(configuration.initialBitrate, maxBitrate)
        configuration.probeBurstIntervalUs = Self.probeBurstInterval / 1000
        bandwidth = SubscriberBandwidth(configuration: configuration)
    }

    func add(_ consumer: Consumer, of producer: Producer) { consumers[consumer.ssrc] = (consumer, producer) }

    func remove(trackSid: String) -> (Consumer, Producer)? {
        guard let entry = consumers.first(where: { $0.value.0.trackSid == trackSid }) else { return nil }
        consumers[entry.key] = nil
        return entry.value
    }

    /// The subscriber answered an offer with these tracks: their consumers may send.
    func markNegotiated(trackSids: Set<String>) {
        for (consumer, _) in consumers.values where trackSids.contains(consumer.trackSid) { consumer.negotiated = true }
    }

    func consumer(trackSid: String) -> Consumer? { consumers.values.first { $0.0.trackSid == trackSid }?.0 }

    func receiveRTCP(_ packet: UnsafeMutableRawBufferPointer) {
        let (packets, _) = RTCPCompound.parsePrefix(Array(packet))
        let now = ContinuousClock.now
        for rtcp in packets {
            switch rtcp {
            case .genericNACK(let nack):
                guard let (consumer, producer) = consumers[nack.mediaSSRC], !consumer.paused else { continue }
                refillRetransmissionBudget(now: monotonicNanoseconds())
                for sequence in nack.lostSequenceNumbers where consumer.isSinceAnchor(sequence) {
                    // A path that loses the media loses the resends too: answer each sequence
                    // at most once per round trip, and within a byte budget, so NACKs never
                    // multiply the load on a congested link.
                    guard consumer.mayRetransmit(sequence, now: monotonicNanoseconds(), roundTrip: roundTrip ?? 100_000_000) else {
                        stats.add(.retransmissionsSuppressed)
                        continue
                    }
                    // A first request for this packet: the subscriber lost it (before any repair).
                    nackedInWindow += 1
                    guard retransmissionBudget > 0 else {
                        stats.add(.retransmissionsSuppressed)
                        continue
                    }
                    if let cached = producer.cache(ssrc: consumer.sourceSSRC)?.packet(sequenceNumber: consumer.sourceSequence(for: sequence)) {
                        retransmissionBudget -= cached.count
                        consumer.retransmit(cached)
                        retransmissions &+= 1
                        stats.add(.retransmissions)
                    } else {
                        stats.add(.retransmissionMisses)
                    }
                }
            case .pictureLossIndication(let pli):
                // The keyframe is needed on the layer this subscriber is on.
                if let (consumer, producer) = consumers[pli.mediaSSRC] { producer.requestKeyframe(now: now, for: consumer) }
            case .fullIntraRequest(let fir):
                for entry in fir.entries {
                    if let (consumer, producer) = consumers[entry.ssrc] { producer.requestKeyframe(now: now, for: consumer) }
                }
            case .receiverReport(let report):
                measureRoundTrip(report.reportBlocks)
                feedLoss(report.reportBlocks)
            case .senderReport(let report):
                measureRoundTrip(report.reportBlocks)
                feedLoss(report.reportBlocks)
            case .transportWideFeedback(let feedback):
                let matched = bandwidth.receive(feedback, nowNanoseconds: monotonicNanoseconds())
                stats.add(.transportFeedbackReceived)
                stats.add(.transportFeedbackPacketsMatched, matched)
            case .receiverEstimatedMaximumBitrate(let remb):
                bandwidth.receive(remb, nowNanoseconds: monotonicNanoseconds())
            default:
                break
            }
        }
    }

    /// Bytes of retransmissions allowed now: a token bucket refilled at a quarter of the
    /// estimate (at least 100 kbit/s), holding at most 200 ms of it.
    private var retransmissionBudget = 0
    private var lastBudgetRefill: Int64 = 0

    private func refillRetransmissionBudget(now: Int64) {
        let rate = max(bandwidth.estimate / 4, 100_000) / 8  // bytes per second
        let elapsed = lastBudgetRefill == 0 ? 200_000_000 : min(now - lastBudgetRefill, 200_000_000)
        lastBudgetRefill = now
        retransmissionBudget = Int(min(Int64(retransmissionBudget) + rate * elapsed / 1_000_000_000, rate / 5))
    }

    /// RTT = arrival - (time we sent the echoed SR) - DLSR. We remember each SR we sent rather
    /// than decoding LSR, because our NTP times are the publisher's clock, not ours.
    private func measureRoundTrip(_ blocks: [ReceptionReport]) {
        let arrival = transport?.currentArrival ?? 0
        for block in blocks where block.lastSenderReport != 0 {
            guard let (consumer, _) = consumers[block.ssrc], let sent = consumer.lastSenderReport,
                  sent.compactNTP == block.lastSenderReport else { continue }
            let delay = Int64(block.delaySinceLastSenderReport) * 1_000_000_000 / 65536
            let sample = arrival - sent.sentAt - delay
            guard sample >= 0 else { continue }
            roundTrip = roundTrip.map { ($0 * 7 + sample) / 8 } ?? sample
        }
    }

    /// Receiver reports without transport-wide feedback: their loss drives the estimate.
    private func feedLoss(_ blocks: [ReceptionReport]) {
        for block in blocks {
            guard let (consumer, _) = consumers[block.ssrc] else { continue }
            reportedLossWindow.sum += Double(block.fractionLost) / 256
            reportedLossWindow.count += 1
            bandwidth.receive(fractionLost: block.fractionLost, packets: max(consumer.packetsSent - consumer.packetsAtLastReport, 0),
                              roundTrip: roundTrip, nowNanoseconds: monotonicNanoseconds())
            consumer.packetsAtLastReport = consumer.packetsSent
        }
    }

    // MARK: Connection quality

    private var qualityPacketsPrior = 0
    /// Video packets sent before this window: NACKs can only name those (audio is not NACKed).
    private var qualityVideoPacketsPrior = 0
    /// Loss from receiver reports (subscribers without transport-wide feedback), per window.
    private var reportedLossWindow: (sum: Double, count: Int) = (0, 0)
    /// Packets the subscriber NACKed (first requests) in the window: its loss before repair.
    private var nackedInWindow = 0

    /// The downstream path in the window since the last call: loss (transport-wide feedback,
    /// else receiver reports) and RTT. nil when nothing was sent (nothing to judge).
    func qualityWindow() -> StreamWindow? {
        var packets = 0, videoPackets = 0, video = false
        for (consumer, _) in consumers.values {
            packets += consumer.packetsSent
            if consumer.isVideo { videoPackets += consumer.packetsSent }
            video = video || (consumer.isVideo && !consumer.paused)
        }
        let sentPackets = packets - qualityPacketsPrior
        let sentVideoPackets = videoPackets - qualityVideoPacketsPrior
        qualityPacketsPrior = packets
        qualityVideoPacketsPrior = videoPackets
        let (reported, lost) = bandwidth.takeLossWindow()
        let fromReports = reportedLossWindow, nacked = nackedInWindow
        reportedLossWindow = (0, 0)
        nackedInWindow = 0
        let allocatedRatio = allocatedRatioInWindow
        allocatedRatioInWindow = 1
        guard sentPackets > 0 else { return nil }
        var window = StreamWindow(kind: video ? .video : .audio, expectedPackets: sentPackets, lostPackets: 0,
                                  rttMs: Double(roundTrip ?? 0) / 1_000_000, jitterMs: 0)
        if bandwidth.hasTransportFeedback {
            // No feedback at all for a window in which we sent: the path is gone.
            window.lostPackets = reported == 0 ? sentPackets : lost * sentPackets / reported
        } else {
            // Receiver reports count a packet repaired by retransmission as received; its NACKs
            // say what it lost on the way. The worse of the two.
            // NACKs name video packets only, so their loss is a share of the video sent (as a
            // share of everything, audio would dilute it). They may name packets of the previous
            // window and be repeated after a lost resend: as a share of all the packets involved
            // they never say "nothing arrived".
            let reported = fromReports.count > 0 ? Int(fromReports.sum / Double(fromReports.count) * Double(sentPackets)) : 0
            let requested = sentVideoPackets > 0 ? nacked * sentPackets / (sentVideoPackets + nacked) : 0
            window.lostPackets = min(max(reported, requested), sentPackets - 1)
        }
        // The estimate below what we send is not by itself a bad call: until it has been
        // probed up it is only a lower bound. Congestion shows as loss (above) and delay; the
        // bitrate term is for a subscriber getting less video than it asked for: the worst
        // share the allocator left it in the window (a lower layer, or paused).
        window.bitrateRatio = allocatedRatio
        return window
    }

    // MARK: Stream allocation

    private var allocator = StreamAllocator()
    /// The lowest share of the wanted video bitrate the allocator granted in the quality window.
    private var allocatedRatioInWindow = 1.0
    private var lastAllocation: Int64 = 0
    private var lastAllocationStart: Int64 = 0
    private var allocationOctetsPrior = 0
    private var allocationPacketsPrior = 0
    static let allocationInterval: Int64 = 500_000_000
    /// Told (on the media thread) which tracks the allocator paused (true) or resumed (false).
    var onStreamStates: (@Sendable ([(trackSid: String, paused: Bool)]) -> Void)?
    /// Debug log of allocation changes (not per packet: only when a decision changes).
    var debugLog: (@Sendable (String) -> Void)?

    /// Every 500 ms: fit the subscribed layers to the path (see `StreamAllocator`).
    private func allocate(now: Int64) {
        guard now - lastAllocation >= Self.allocationInterval else { return }
        lastAllocation = now
        var tracks: [StreamAllocator.Track] = []
        var wanted: Int64 = 0
        let clock = ContinuousClock.now
        for (consumer, producer) in consumers.values where !consumer.disabled && !producer.muted {
            let layers = producer.layers
                .filter { clock - $0.lastPacket <= Producer.layerTimeout && $0.rank <= consumer.requestedRank }
                .map { (rank: $0.rank, bitrate: $0.bitrate) }
            let usable = layers.isEmpty ? Array(producer.layers.prefix(1).map { (rank: $0.rank, bitrate: $0.bitrate) }) : layers
            wanted += Int64(usable.last?.bitrate ?? 0)
            tracks.append(.init(trackSid: consumer.trackSid, isVideo: consumer.isVideo, layers: usable))
        }
        bandwidth.desiredBitrate = wanted
        let (congested, loss) = bandwidth.takeCongestion()
        // What got through in this interval: the limit never exceeds it (a receiver-report-only
        // subscriber's estimate cannot see a rate cap, only the loss it causes).
        var octets = 0, packets = 0
        for (consumer, _) in consumers.values {
            octets += consumer.octetsSent
            packets += consumer.packetsSent
        }
        // (Lifetime sums drop when a consumer goes away: never a negative interval.)
        let sentBits = max(octets - allocationOctetsPrior + (packets - allocationPacketsPrior) * 40, 0) * 8
        allocationOctetsPrior = octets
        allocationPacketsPrior = packets
        let delivered = Int64(Double(sentBits) * (1 - loss) * 1_000_000_000 / Double(max(now - lastAllocationStart, 1)))
        lastAllocationStart = now
        let estimate = congested ? min(bandwidth.estimate, max(delivered, 30_000)) : bandwidth.estimate
        let limitBefore = allocator.limit
        if congested { probedSinceCongestion = nil }
        allocator.update(congested: congested, estimate: estimate, wanted: wanted, now: now, probed: probedSinceCongestion)
        if allocator.limit != limitBefore, let debugLog {
            debugLog("allocation limit \(allocator.limit.map(String.init) ?? "none") (was \(limitBefore.map(String.init) ?? "none")), "
                     + "congested \(congested), loss \(Int(loss * 100)) %, estimate \(bandwidth.estimate), delivered \(delivered), wanted \(wanted), "
                     + "tracks \(tracks.map { "\($0.trackSid) \($0.layers.map { "\($0.rank):\($0.bitrate)" })" })")
        }
        let decisions = allocator.allocate(tracks)
        allocatedRatioInWindow = min(allocatedRatioInWindow, StreamAllocator.grantedShare(of: tracks, decisions: decisions))
        var changes: [(trackSid: String, paused: Bool)] = []
        for (consumer, _) in consumers.values {
            guard let decision = decisions[consumer.trackSid] else { continue }
            consumer.maxRank = min(consumer.requestedRank, decision.maxRank ?? Int.max)
            if decision.paused != consumer.pausedByAllocator {
                consumer.setAllocatorPaused(decision.paused)
                changes.append((consumer.trackSid, decision.paused))
            }
        }
        if !changes.isEmpty { onStreamStates?(changes) }
    }

    // MARK: Probing

    /// A probe in progress: bursts of padding on consecutive ticks.
    private var probe: (cluster: Int, packetsPerTick: Int, ticksLeft: Int)?
    static let probePacketSize = 250
    private var lastLoggedProbeResult: Int64?
    /// The most a probe measured since the allocator last saw congestion.
    private var probedSinceCongestion: Int64?
    /// Bursts per probe, one per media-loop tick (20 ms), each the probe rate's worth of a tick.
    static let probeBursts = 3
    static let probeBurstInterval: Int64 = 20_000_000

    /// Once at the start, and whenever the estimate is below what the subscription wants and
    /// the path is calm, the estimator asks for a probe (ProbeController: 2x the estimate, at most every 3 s, never
    /// above `rtc.max_subscriber_bitrate`). It is sent as padding on a video consumer's RTX stream
    /// (so only to subscribers with RTX and transport-wide feedback, such as browsers),
    /// paced at the probe rate in 20 ms bursts; the subscriber's feedback on those packets
    /// measures what the path carries (ProbeBitrateEstimator), and a probe that got through
    /// raises the estimate at once, where AIMD would climb 8 % a second.
    private func sendProbe(now: Int64) {
        if let current = probe {
            guard let carrier = consumers.values.first(where: { $0.0.canCarryProbes })?.0 else {
                probe = nil
                return
            }
            let sent = carrier.sendPadding(count: current.packetsPerTick, size: Self.probePacketSize, cluster: current.cluster)
            stats.add(.probePacketsSent, sent)
            probe = current.ticksLeft == 1 ? nil : (current.cluster, current.packetsPerTick, current.ticksLeft - 1)
            return
        }
        // Only a subscriber that sends transport-wide feedback can answer a probe.
        guard bandwidth.hasTransportFeedback, consumers.values.contains(where: { $0.0.canCarryProbes }),
              let next = bandwidth.probeToSend(nowNanoseconds: now) else { return }
        let bytesPerTick = Int(next.bitrate / 8 * Self.probeBurstInterval / 1_000_000_000)
        let perTick = max(2, (bytesPerTick + Self.probePacketSize - 1) / Self.probePacketSize)
        debugLog?("probe \(next.cluster) at \(next.bitrate) bit/s: \(Self.probeBursts) x \(perTick) padding packets")
        probe = (next.cluster, perTick, Self.probeBursts)
        sendProbe(now: now)
    }

    /// A probe result that came with feedback since the last tick. Taken before the allocation
    /// looks at the same feedback: if that feedback also showed congestion, the allocation then
    /// forgets the result instead of crediting it as found after the congestion.
    private func collectProbeResult() {
        guard let result = bandwidth.lastProbeResult, result != lastLoggedProbeResult else { return }
        lastLoggedProbeResult = result
        probedSinceCongestion = max(probedSinceCongestion ?? 0, result)
        debugLog?("probe measured \(result) bit/s; estimate \(bandwidth.estimate)")
    }

    /// Sender reports for every stream that has sent media and whose publisher has sent one.
    func tick(now: Int64) {
        collectProbeResult()
        allocate(now: now)
        sendProbe(now: now)
        guard let transport, now - lastSenderReports >= Self.senderReportInterval else { return }
        lastSenderReports = now
        for (consumer, producer) in consumers.values where consumer.packetsSent > 0 {
            guard let mapping = producer.senderReports[consumer.sourceSSRC] else { continue }
            let (ntp, rtp) = mapping.extrapolated(to: now, clockRate: producer.clockRate)
            let report = SenderReport(ssrc: consumer.ssrc, ntpTimestamp: ntp, rtpTimestamp: rtp &+ consumer.timestampOffset,
                                      packetCount: UInt32(truncatingIfNeeded: consumer.packetsSent),
                                      octetCount: UInt32(truncatingIfNeeded: consumer.octetsSent))
            guard let bytes = try? RTCPPacket.senderReport(report).serialized() else { continue }
            transport.sendRTCP(bytes)
            consumer.lastSenderReport = (report.compactNTP, now)
            stats.add(.senderReportsSent)
        }
    }
}
