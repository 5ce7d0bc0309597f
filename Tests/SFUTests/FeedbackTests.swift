import MediaTransport
import RTCP
import RTP
@testable import SFU
import XCTest

/// The RTCP feedback state machines of the forwarding path, fed synthetic arrivals.
final class FeedbackTests: XCTestCase {
    private let ms: Int64 = 1_000_000

    // MARK: Receive statistics (RFC 3550 A.1, A.3, A.8)

    func testLossAndExtendedSequenceAcrossWrapAround() {
        var stats = ReceiveStatistics(clockRate: 90000)
        var t: Int64 = 1_000 * ms
        var sequences: [UInt16] = Array(65530...65535)
        sequences += (0...9).filter { $0 != 3 }
        for s in sequences {
            stats.record(sequence: s, timestamp: UInt32(s) &* 3000, arrival: t)
            t += 33 * ms
        }
        let block = stats.makeReportBlock(ssrc: 7, now: t)!
        XCTAssertEqual(block.ssrc, 7)
        XCTAssertEqual(block.extendedHighestSequenceNumber, 65536 + 9)
        XCTAssertEqual(block.cumulativeLost, 1)
        // 1 of 16 expected lost: 256/16.
        XCTAssertEqual(block.fractionLost, 16)
        // Next interval without loss: fraction back to 0, cumulative stays.
        for s in UInt16(10)...UInt16(19) { stats.record(sequence: s, timestamp: UInt32(s) * 3000, arrival: t); t += 33 * ms }
        let next = stats.makeReportBlock(ssrc: 7, now: t)!
        XCTAssertEqual(next.fractionLost, 0)
        XCTAssertEqual(next.cumulativeLost, 1)
    }

    func testJitterIsZeroForRegularArrivalsAndGrowsWithIrregularOnes() {
        var regular = ReceiveStatistics(clockRate: 48000)
        var irregular = ReceiveStatistics(clockRate: 48000)
        for i in 0..<200 {
            let timestamp = UInt32(i * 960)
            regular.record(sequence: UInt16(i), timestamp: timestamp, arrival: Int64(i) * 20 * ms)
            irregular.record(sequence: UInt16(i), timestamp: timestamp, arrival: Int64(i) * 20 * ms + (i % 2 == 0 ? 0 : 10 * ms))
        }
        XCTAssertEqual(regular.jitter, 0)
        // ±10 ms alternating: |D| = 480 units each time; J converges towards 480.
        XCTAssertGreaterThan(irregular.jitter, 400)
        XCTAssertLessThanOrEqual(irregular.jitter, 480)
    }

    func testReportEchoesLastSenderReportWithDelay() {
        var stats = ReceiveStatistics(clockRate: 90000)
        stats.record(sequence: 1, timestamp: 0, arrival: 0)
        let ntp: UInt64 = 0x1234_5678_9ABC_DEF0
        stats.recordSenderReport(ntpTimestamp: ntp, arrival: 100 * ms)
        let block = stats.makeReportBlock(ssrc: 1, now: 600 * ms)!
        XCTAssertEqual(block.lastSenderReport, 0x5678_9ABC)
        XCTAssertEqual(block.delaySinceLastSenderReport, 32768) // 0.5 s in 1/65536 s
    }

    // MARK: NACK generation (RFC 4585)

    func testGapIsRequestedThenRetriedThenForgottenWhenItArrives() {
        var nack = NackGenerator()
        var out: [UInt16] = []
        for s: UInt16 in [100, 101, 104] { nack.record(sequence: s, arrival: 0) }
        nack.due(now: 20 * ms, roundTrip: 40 * ms, into: &out)
        XCTAssertEqual(out, [102, 103])
        out.removeAll()
        nack.due(now: 40 * ms, roundTrip: 40 * ms, into: &out)
        XCTAssertEqual(out, [], "retry waits 1.5 x RTT")
        nack.record(sequence: 102, arrival: 50 * ms)
        nack.due(now: 90 * ms, roundTrip: 40 * ms, into: &out)
        XCTAssertEqual(out, [103])
        XCTAssertEqual(nack.recovered, 1)
        XCTAssertEqual(nack.requested, 2)
    }

    func testHopelessRequestsAreDropped() {
        var nack = NackGenerator()
        var out: [UInt16] = []
        nack.record(sequence: 65535, arrival: 0)
        nack.record(sequence: 1, arrival: 0) // wraps: 0 missing
        for i in 1...20 { nack.due(now: Int64(i) * 100 * ms, roundTrip: 10 * ms, into: &out) }
        XCTAssertEqual(out, Array(repeating: 0, count: NackGenerator.maxRetries))
        XCTAssertTrue(nack.missing.isEmpty)
        // A jump larger than the window is an outage, not a list of losses.
        nack.record(sequence: 5000, arrival: 0)
        XCTAssertTrue(nack.missing.isEmpty)
    }

    // MARK: Transport-wide CC feedback

    func testTransportFeedbackReportsEveryNumberOnceWithArrivalTimes() throws {
        var recorder = TransportWideCCRecorder()
        let base: Int64 = 5_000 * ms
        for s in UInt16(65530)...UInt16(65535) where s != 65533 {
            recorder.record(sequence: s, arrival: base + Int64(s - 65530) * ms)
        }
        recorder.record(sequence: 0, arrival: base + 6 * ms)
        recorder.record(sequence: 1, arrival: base + 7 * ms)
        let feedback = try XCTUnwrap(recorder.makeFeedback(senderSSRC: 1, mediaSSRC: 2))
        let bytes = try RTCPPacket.transportWideFeedback(feedback).serialized()
        guard case .transportWideFeedback(let parsed) = try RTCPCompound.parse(bytes).first else {
            return XCTFail("not transport feedback")
        }
        let results = try parsed.packetResults()
        XCTAssertEqual(results.map(\.sequenceNumber), [65530, 65531, 65532, 65533, 65534, 65535, 0, 1])
        XCTAssertEqual(results.map { $0.status == .notReceived }, [false, false, false, true, false, false, false, false])
        // Arrival times survive the 250 µs quantization: 1 ms apart by position.
        let first = try XCTUnwrap(results[0].arrivalTime)
        for (i, result) in results.enumerated() {
            guard let time = result.arrivalTime else { continue }
            XCTAssertEqual(time - first, Int64(i) * 1000, accuracy: 250)
        }
        XCTAssertNil(recorder.makeFeedback(senderSSRC: 1, mediaSSRC: 2), "nothing new")
        // A late arrival of a reported number is not reported again; the next one is.
        recorder.record(sequence: 65533, arrival: base + 9 * ms)
        XCTAssertFalse(recorder.hasPending)
        recorder.record(sequence: 2, arrival: base + 10 * ms)
        let next = try XCTUnwrap(recorder.makeFeedback(senderSSRC: 1, mediaSSRC: 2))
        XCTAssertEqual(next.baseSequenceNumber, 2)
        XCTAssertEqual(next.feedbackPacketCount, 1)
    }

    // MARK: Audio level (RFC 6464)

    func testLoudTrackSpeaksQuietTrackDoesNot() {
        var loud = AudioLevelMeter(), quiet = AudioLevelMeter()
        var loudLevel = 0.0, quietLevel = 0.0
        for _ in 0..<3 {
            for _ in 0..<10 { loud.observe(level: 10); quiet.observe(level: 45) }
            loudLevel = loud.closeInterval()
            quietLevel = quiet.closeInterval()
        }
        XCTAssertTrue(loud.isSpeaking(loudLevel))
        XCTAssertFalse(quiet.isSpeaking(quietLevel))
        XCTAssertEqual(quietLevel, 0)
        // Silence: the smoothed level decays and speaking stops within a few intervals.
        for _ in 0..<8 { for _ in 0..<10 { loud.observe(level: 127) }; loudLevel = loud.closeInterval() }
        XCTAssertFalse(loud.isSpeaking(loudLevel))
    }

    func testOneLoudPacketDoesNotMakeASpeaker() {
        var meter = AudioLevelMeter()
        meter.observe(level: 5)
        for _ in 0..<9 { meter.observe(level: 90) }
        XCTAssertFalse(meter.isSpeaking(meter.closeInterval()))
    }

    // MARK: RTX, sender report mapping, latency histogram

    func testRTXUnwrapRestoresTheOriginalPacket() throws {
        let payload: [UInt8] = [0xAB, 0xCD, 0xCD]
        let rtx = RTPPacket(payloadType: 97, sequenceNumber: 9, timestamp: 1234, ssrc: 0xBEEF,
                            payload: [0x12, 0x34] + payload, paddingLength: 4).serialized()
        var bytes = rtx
        let length = try bytes.withUnsafeMutableBytes { buffer -> Int? in
            let header = try RTPHeaderView(validating: UnsafeRawBufferPointer(buffer))
            return unwrapRTX(buffer, header: header, ssrc: 0xCAFE, payloadType: 96)
        }
        let original = try RTPPacket(parsing: Array(bytes[0..<XCTUnwrap(length)]))
        XCTAssertEqual(original.sequenceNumber, 0x1234)
        XCTAssertEqual(original.ssrc, 0xCAFE)
        XCTAssertEqual(original.payloadType, 96)
        XCTAssertEqual(original.timestamp, 1234)
        XCTAssertEqual(original.payload, payload)
        XCTAssertEqual(original.paddingLength, 0)
        // A padding-only probe has no original sequence number.
        var probe = RTPPacket(payloadType: 97, sequenceNumber: 10, timestamp: 1, ssrc: 1, paddingLength: 200).serialized()
        let probeLength = try probe.withUnsafeMutableBytes { buffer -> Int? in
            let header = try RTPHeaderView(validating: UnsafeRawBufferPointer(buffer))
            return unwrapRTX(buffer, header: header, ssrc: 2, payloadType: 96)
        }
        XCTAssertNil(probeLength)
    }

    func testSenderReportMappingExtrapolatesBothClocks() {
        let mapping = SenderReportMapping(ntpTimestamp: 10 << 32, rtpTimestamp: 4_294_900_000, arrival: 1_000 * ms)
        let (ntp, rtp) = mapping.extrapolated(to: 2_500 * ms, clockRate: 90000)
        XCTAssertEqual(ntp >> 32, 11)
        XCTAssertEqual(Double(ntp & 0xFFFF_FFFF) / 4_294_967_296, 0.5, accuracy: 1e-6)
        XCTAssertEqual(rtp, 4_294_900_000 &+ 135_000, "1.5 s at 90 kHz, wrapping")
    }

    func testLatencyHistogramPercentiles() {
        var histogram = LatencyHistogram()
        for _ in 0..<990 { histogram.record(nanoseconds: 50_000) }
        for _ in 0..<10 { histogram.record(nanoseconds: 2_000_000) }
        let p50 = histogram.percentile(0.5)!, p999 = histogram.percentile(0.999)!
        XCTAssertGreaterThanOrEqual(p50, 50_000)
        XCTAssertLessThan(p50, 60_000)
        XCTAssertGreaterThanOrEqual(p999, 2_000_000)
        XCTAssertLessThan(p999, 2_400_000)
        XCTAssertEqual(histogram.count, 1000)
        // Every value lands in the first bucket whose bound is >= it.
        for value: Int64 in [0, 999, 1000, 1001, 12_345, 1_000_000_000, 5_000_000_000] {
            let i = LatencyHistogram.bucket(for: value)
            if i < LatencyHistogram.upperBounds.count { XCTAssertGreaterThanOrEqual(LatencyHistogram.upperBounds[i], value) }
            if i > 0 { XCTAssertLessThan(LatencyHistogram.upperBounds[i - 1], value) }
        }
    }
}

// MARK: Transport-wide sequence numbers toward subscribers

final class TransportSequenceStampTests: XCTestCase {
    private let twcc = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    private let level = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

    private func stamp(_ packet: RTPPacket, map: HeaderExtensionMap, sequence: UInt16?) throws -> (Bool, RTPPacket) {
        var bytes = packet.serialized()
        let stamped = try bytes.withUnsafeMutableBytes { buffer -> Bool in
            let header = try RTPHeaderView(validating: UnsafeRawBufferPointer(buffer))
            return map.apply(to: buffer, header: header, transportSequence: sequence)
        }
        return (stamped, try RTPPacket(parsing: bytes))
    }

    func testPublisherSequenceIsReplacedByTheSubscribers() throws {
        let map = HeaderExtensionMap(publisher: [level: 1, twcc: 5], subscriber: [level: 1, twcc: 3])
        for form in [RTPHeaderExtension.oneByte, { .twoByte(appBits: 0, $0) }] {
            let packet = RTPPacket(payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                   headerExtension: form([RTPExtensionElement(id: 1, value: [0x85])!,
                                                          RTPExtensionElement(id: 5, value: [0x12, 0x34])!]),
                                   payload: [1, 2, 3])
            let (stamped, out) = try stamp(packet, map: map, sequence: 0xBEEF)
            XCTAssertTrue(stamped)
            XCTAssertEqual(out.headerExtension?.elements, [RTPExtensionElement(id: 1, value: [0x85])!,
                                                          RTPExtensionElement(id: 3, value: [0xBE, 0xEF])!])
            XCTAssertEqual(out.payload, [1, 2, 3])
        }
    }

    func testNothingIsStampedWithoutTheExtensionOnBothSides() throws {
        let packet = RTPPacket(payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                               headerExtension: .oneByte([RTPExtensionElement(id: 5, value: [0x12, 0x34])!]), payload: [9])
        // The subscriber did not negotiate transport-cc: the element is hidden, not stamped.
        let (stamped, out) = try stamp(packet, map: HeaderExtensionMap(publisher: [twcc: 5], subscriber: [:]), sequence: 7)
        XCTAssertFalse(stamped)
        XCTAssertEqual(out.headerExtension?.elements.first?.id, HeaderExtensionMap.unnegotiated)
        // The publisher sent none: nothing to stamp into (the sequence number is not used up).
        let bare = RTPPacket(payloadType: 111, sequenceNumber: 1, timestamp: 1, ssrc: 1, payload: [9])
        XCTAssertFalse(try stamp(bare, map: HeaderExtensionMap(publisher: [:], subscriber: [twcc: 3]), sequence: 7).0)
    }

    func testFeedbackForStampedPacketsMovesTheEstimate() throws {
        let bandwidth = SubscriberBandwidth()
        let start = bandwidth.estimate
        var arrivals: [TransportWideFeedback.Arrival] = []
        var now: Int64 = 1_000_000_000
        // 300 packets of 1200 bytes over 1 s, all received promptly: the estimate may grow,
        // and every reported packet matches a send.
        for i in 0..<300 {
            let sequence = bandwidth.nextSequence
            bandwidth.commitStamp(size: 1200, nowNanoseconds: now)
            arrivals.append(.init(sequenceNumber: sequence, time: 5_000_000 + Int64(i) * 3_333))
            now += 3_333_000
        }
        let feedback = try TransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: arrivals)
        XCTAssertEqual(bandwidth.receive(feedback, nowNanoseconds: now), 300)
        XCTAssertGreaterThanOrEqual(bandwidth.estimate, start)
    }
}
