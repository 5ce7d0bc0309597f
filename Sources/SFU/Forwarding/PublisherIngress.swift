import ConnectionQuality
import Glibc
import MediaTransport
import RTCP
import RTP

/// The receive side of one publisher transport: finds the producer of each RTP packet by SSRC
/// (from SDP, or learned from the MID / RID header extensions, RFC 8843 §15 and RFC 8852),
/// unwraps retransmissions (RTX, RFC 4588), and terminates the publisher's RTCP: it sends
/// transport-wide congestion feedback, receiver reports and NACKs (see `tick`).
///
/// Ownership: media loop thread only (set `transport` before the transport is registered).
final class PublisherIngress: @unchecked Sendable {
    private var bySSRC: [UInt32: IncomingStream] = [:]
    /// RTX SSRC -> the SSRC it repairs (SDP `ssrc-group:FID`, or learned from repaired-rid).
    private var rtxSSRCs: [UInt32: UInt32] = [:]
    private var byMid: [String: Producer] = [:]
    /// Simulcast layers by "mid rid", to pair RTX streams (repaired-rid) with their layer.
    private var layerSSRCs: [String: UInt32] = [:]
    private var midExtensionID: UInt8?
    private var ridExtensionID: UInt8?
    private var repairedRidExtensionID: UInt8?
    private var transportCCExtensionID: UInt8?
    private(set) var unknownPackets = 0
    let stats: ForwardingStats
    weak var transport: WebRTCTransport?

    private var transportCC = TransportWideCCRecorder()
    /// Our SSRC as the sender of RTCP feedback (we send no media on this transport).
    let feedbackSSRC = UInt32.random(in: 1...UInt32.max)
    private var lastTransportFeedback: Int64 = 0
    private var lastReceiverReport: Int64 = 0
    private var nackScratch: [UInt16] = []
    /// Round trip to the publisher (for NACK retries; later quality scoring). A publisher gets no
    /// media from us, so it has no SR to echo: we send an XR receiver reference time (RFC 3611
    /// §4.4) with each receiver report and libwebrtc answers with a DLRR block (§4.5). Until the
    /// first answer, a typical value.
    private(set) var roundTrip: Int64 = 50_000_000
    private(set) var roundTripMeasured = false
    private var lastReferenceTime: (compactNTP: UInt32, sentAt: Int64)?
    /// REMB for a publisher without transport-wide CC (see `PublisherRateLimit`).
    private var rateLimit = PublisherRateLimit()
    /// The last REMB sent, for tests and logs.
    private(set) var lastREMB: Int64?

    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    static let ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    static let repairedRidURI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"
    static let transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    static let transportFeedbackInterval: Int64 = 50_000_000
    static let receiverReportInterval: Int64 = 1_000_000_000

    init(stats: ForwardingStats) {
        self.stats = stats
        nackScratch.reserveCapacity(NackGenerator.capacity)
    }

    /// `rtxPairs`: media SSRC -> RTX SSRC from the section's `ssrc-group:FID` lines.
    func add(_ producer: Producer, mid: String, ssrcs: [UInt32], rtxPairs: [UInt32: UInt32] = [:]) {
        byMid[mid] = producer
        let rtx = Set(rtxPairs.values)
        for ssrc in ssrcs where !rtx.contains(ssrc) {
            bySSRC[ssrc] = IncomingStream(ssrc: ssrc, producer: producer, rank: 0)
        }
        for (media, repair) in rtxPairs { rtxSSRCs[repair] = media }
        midExtensionID = producer.extensionIDs[Self.midURI] ?? midExtensionID
        ridExtensionID = producer.extensionIDs[Self.ridURI] ?? ridExtensionID
        repairedRidExtensionID = producer.extensionIDs[Self.repairedRidURI] ?? repairedRidExtensionID
        transportCCExtensionID = producer.extensionIDs[Self.transportCCURI] ?? transportCCExtensionID
    }

    func remove(trackSid: String) {
        byMid = byMid.filter { $0.value.trackSid != trackSid }
        bySSRC = bySSRC.filter { $0.value.producer.trackSid != trackSid }
        rtxSSRCs = rtxSSRCs.filter { bySSRC[$0.value] != nil }
    }

    // MARK: Connection quality

    /// Each unmuted track's reception in the window since the last call (all its simulcast
    /// layers together): what the publisher's uplink did, charged to the publisher.
    /// `neededRanks`: per simulcast track, the best layer the publisher has been asked for since
    /// the previous window (so a layer just asked for is not missed before it could start).
    func qualityWindows(neededRanks: [String: Int] = [:]) -> [String: StreamWindow] {
        var windows: [String: StreamWindow] = [:]
        let rttMs = Double(roundTrip) / 1_000_000
        for stream in bySSRC.values {
            let (expected, lost) = stream.statistics.takeQualityWindow()
            let producer = stream.producer
            guard !producer.muted else { continue }
            let jitterMs = Double(stream.statistics.jitter) * 1000 / Double(producer.clockRate)
            var window = windows[producer.trackSid]
                ?? StreamWindow(kind: producer.isVideo ? .video : .audio, expectedPackets: 0, lostPackets: 0,
                                rttMs: rttMs, jitterMs: 0)
            window.expectedPackets += expected
            window.lostPackets += lost
            window.jitterMs = max(window.jitterMs, jitterMs)
            window.addLayer(rank: stream.rank, neededRank: neededRanks[producer.trackSid],
                            everSent: stream.statistics.hasStarted, packets: expected)
            windows[producer.trackSid] = window
        }
        return windows
    }

    // MARK: RTP

    func receive(_ packet: UnsafeMutableRawBufferPointer) {
        let readOnly = UnsafeRawBufferPointer(packet)
        guard let header = try? RTPHeaderView(validating: readOnly) else { return }
        let arrival = transport?.currentArrival ?? 0
        // Every packet counts for congestion control, probes and retransmissions included.
        if let id = transportCCExtensionID, let range = header.extensionRange(id: id, in: readOnly), range.count >= 2 {
            transportCC.record(sequence: UInt16(readOnly[range.lowerBound]) << 8 | UInt16(readOnly[range.lowerBound + 1]),
                               arrival: arrival)
        }
        if let stream = bySSRC[header.ssrc] {
            deliver(packet, header: header, to: stream, arrival: arrival)
            return
        }
        if let media = rtxSSRCs[header.ssrc] {
            if let stream = bySSRC[media] { deliverRTX(packet, header: header, to: stream, arrival: arrival) }
            return
        }
        learn(packet, header: header, arrival: arrival)
    }

    private func deliver(_ packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, to stream: IncomingStream,
                         arrival: Int64) {
        if let apt = stream.producer.rtxPayloadTypes[header.payloadType] {
            // RTX on the media SSRC (some senders do this without a separate RTX stream).
            deliverRTX(packet, header: header, to: stream, arrival: arrival, payloadType: apt)
            return
        }
        stream.statistics.record(sequence: header.sequenceNumber, timestamp: header.timestamp, arrival: arrival)
        rateLimit.received(bytes: packet.count)
        if stream.nack?.record(sequence: header.sequenceNumber, arrival: arrival) == true { stats.add(.recovered) }
        stream.producer.receive(packet, header: header, rank: stream.rank)
    }

    private func deliverRTX(_ packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, to stream: IncomingStream,
                            arrival: Int64, payloadType: UInt8? = nil) {
        guard let apt = payloadType ?? stream.producer.rtxPayloadTypes[header.payloadType] ?? stream.producer.primaryPayloadTypes.first,
              let length = unwrapRTX(packet, header: header, ssrc: stream.ssrc, payloadType: apt) else { return }
        let original = UnsafeMutableRawBufferPointer(rebasing: packet[0..<length])
        guard let originalHeader = try? RTPHeaderView(validating: UnsafeRawBufferPointer(original)) else { return }
        deliver(original, header: originalHeader, to: stream, arrival: arrival)
    }

    /// First packet of an SSRC the SDP did not list (simulcast layers, RFC 8853): map it by MID,
    /// rank it by RID; an RTX stream names its layer with repaired-rid.
    private func learn(_ packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, arrival: Int64) {
        let readOnly = UnsafeRawBufferPointer(packet)
        guard let id = midExtensionID, let range = header.extensionRange(id: id, in: readOnly) else {
            unknownPackets &+= 1
            return
        }
        let mid = String(decoding: readOnly[range], as: UTF8.self)
        guard let producer = byMid[mid] else {
            unknownPackets &+= 1
            return
        }
        if let repaired = repairedRidExtensionID, let range = header.extensionRange(id: repaired, in: readOnly) {
            let rid = String(decoding: readOnly[range], as: UTF8.self)
            if let media = layerSSRCs[mid + " " + rid], let stream = bySSRC[media] {
                rtxSSRCs[header.ssrc] = media
                deliverRTX(packet, header: header, to: stream, arrival: arrival)
            }
            return
        }
        var rank = 0
        if let ridID = ridExtensionID, let range = header.extensionRange(id: ridID, in: readOnly) {
            let rid = String(decoding: readOnly[range], as: UTF8.self)
            rank = Self.rank(of: rid)
            layerSSRCs[mid + " " + rid] = header.ssrc
        }
        let stream = IncomingStream(ssrc: header.ssrc, producer: producer, rank: rank)
        bySSRC[header.ssrc] = stream
        deliver(packet, header: header, to: stream, arrival: arrival)
    }

    /// LiveKit SDKs name layers q/h/f (quarter, half, full); others use numbers or names.
    static func rank(of rid: String) -> Int {
        switch rid {
        case "f", "high", "2": return 3
        case "h", "mid", "medium", "1": return 2
        case "q", "low", "0": return 1
        default: return 0
        }
    }

    // MARK: RTCP

    /// The publisher's RTCP: sender reports give each stream's NTP <-> RTP mapping and the LSR
    /// for our receiver reports.
    func receiveRTCP(_ packet: UnsafeMutableRawBufferPointer) {
        let (packets, _) = RTCPCompound.parsePrefix(Array(packet))
        let arrival = transport?.currentArrival ?? 0
        for rtcp in packets {
            switch rtcp {
            case .senderReport(let report):
                guard let stream = bySSRC[report.ssrc] else { continue }
                stream.statistics.recordSenderReport(ntpTimestamp: report.ntpTimestamp, arrival: arrival)
                stream.producer.recordSenderReport(report, arrival: arrival)
            case .extendedReport(let report):
                for case .dlrr(let items) in report.blocks {
                    for item in items where item.ssrc == feedbackSSRC { measureRoundTrip(item, arrival: arrival) }
                }
            default:
                break
            }
        }
    }

    private func measureRoundTrip(_ item: ExtendedReport.DLRRItem, arrival: Int64) {
        guard let sent = lastReferenceTime, sent.compactNTP == item.lastReceiverReport else { return }
        let sample = arrival - sent.sentAt - Int64(item.delaySinceLastReceiverReport) * 1_000_000_000 / 65536
        guard sample >= 0 else { return }
        roundTrip = roundTripMeasured ? (roundTrip * 7 + sample) / 8 : sample
        roundTripMeasured = true
    }

    /// Periodic feedback to the publisher: transport-cc every 50 ms, NACKs as they fall due,
    /// receiver reports every second.
    func tick(now: Int64) {
        guard let transport else { return }
        if transportCC.hasPending && now - lastTransportFeedback >= Self.transportFeedbackInterval {
            lastTransportFeedback = now
            let media = bySSRC.keys.first ?? 0
            while let feedback = transportCC.makeFeedback(senderSSRC: feedbackSSRC, mediaSSRC: media) {
                if let bytes = try? RTCPPacket.transportWideFeedback(feedback).serialized() {
                    transport.sendRTCP(bytes)
                    stats.add(.transportFeedbackSent)
                }
                if !transportCC.hasPending { break }
            }
        }
        for stream in bySSRC.values where stream.nack != nil {
            nackScratch.removeAll(keepingCapacity: true)
            let before = stream.nack!.requested
            stream.nack!.due(now: now, roundTrip: roundTrip, into: &nackScratch)
            guard !nackScratch.isEmpty else { continue }
            stats.add(.nacksSent, stream.nack!.requested - before)
            let nack = GenericNACK(senderSSRC: feedbackSSRC, mediaSSRC: stream.ssrc, lostSequenceNumbers: nackScratch)
            if let bytes = try? RTCPPacket.genericNACK(nack).serialized() { transport.sendRTCP(bytes) }
        }
        if now - lastReceiverReport >= Self.receiverReportInterval && !bySSRC.isEmpty {
            lastReceiverReport = now
            var blocks: [ReceptionReport] = []
            for stream in bySSRC.values {
                if let block = stream.statistics.makeReportBlock(ssrc: stream.ssrc, now: now) { blocks.append(block) }
            }
            let ntp = ntpNow()
            let referenceTime = RTCPPacket.extendedReport(ExtendedReport(ssrc: feedbackSSRC,
                                                                         blocks: [.receiverReferenceTime(ntpTimestamp: ntp)]))
            for chunk in stride(from: 0, to: blocks.count, by: ReceiverReport.maxReportBlocks) {
                let report = ReceiverReport(ssrc: feedbackSSRC,
                                            reportBlocks: Array(blocks[chunk..<min(chunk + ReceiverReport.maxReportBlocks, blocks.count)]))
                // RR first (RFC 3550 §6.1: a compound packet starts with SR or RR), then the XR.
                let compound = chunk == 0 ? [RTCPPacket.receiverReport(report), referenceTime] : [.receiverReport(report)]
                if let bytes = try? RTCPCompound.serialize(compound) {
                    transport.sendRTCP(bytes)
                    stats.add(.receiverReportsSent)
                }
            }
            lastReferenceTime = (UInt32(truncatingIfNeeded: ntp >> 16), now)
            if transportCCExtensionID == nil { limitRate(blocks: blocks, transport: transport) }
        }
    }

    /// Without transport-wide CC the publisher's estimator has only our receiver reports; while
    /// its uplink loses packets, REMB tells it what gets through.
    private func limitRate(blocks: [ReceptionReport], transport: WebRTCTransport) {
        guard !blocks.isEmpty else { return }
        let worst = blocks.map(\.fractionLost).max() ?? 0
        guard let bitrate = rateLimit.close(fractionLost: worst, intervalNanoseconds: Self.receiverReportInterval) else { return }
        let remb = ReceiverEstimatedMaximumBitrate(senderSSRC: feedbackSSRC, bitrate: UInt64(bitrate),
                                                   ssrcs: Array(blocks.map(\.ssrc).prefix(ReceiverEstimatedMaximumBitrate.maxSSRCs)))
        if let bytes = try? RTCPPacket.receiverEstimatedMaximumBitrate(remb).serialized() {
            transport.sendRTCP(bytes)
            lastREMB = bitrate
            stats.add(.rembSent)
        }
    }
}

/// Wall-clock time as a 64-bit NTP timestamp (RFC 3550 §4: seconds since 1900 in 32.32 fixed point).
func ntpNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let seconds = UInt64(ts.tv_sec) + 2_208_988_800
    let fraction = (UInt64(ts.tv_nsec) << 32) / 1_000_000_000
    return seconds << 32 | fraction
}
