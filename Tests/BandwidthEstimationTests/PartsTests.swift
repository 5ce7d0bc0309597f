import XCTest
@testable import BandwidthEstimation

final class PartsTests: XCTestCase {
    func testUnwrapperCrossesTheWrap() {
        var unwrapper = SequenceUnwrapper()
        XCTAssertEqual(unwrapper.unwrap(65534), 65534)
        XCTAssertEqual(unwrapper.unwrap(65535), 65535)
        XCTAssertEqual(unwrapper.unwrap(0), 65536)
        XCTAssertEqual(unwrapper.unwrap(65533), 65533, "a late packet from before the wrap")
        XCTAssertEqual(unwrapper.unwrap(2), 65538)
    }

    func testHistoryReportsEachSendOnce() {
        var history = SentPacketHistory(capacity: 8)
        history.recordSend(sequence: 10, size: 100, at: 5)
        XCTAssertEqual(history.takeUnreported(10)?.sendTimeUs, 5)
        XCTAssertNil(history.takeUnreported(10), "a duplicate feedback entry is ignored")
        XCTAssertNil(history.takeUnreported(11), "never sent")
        for s in UInt16(11)...30 { history.recordSend(sequence: s, size: 1, at: Int64(s)) }
        XCTAssertNil(history.takeUnreported(12), "overwritten by newer sends")
        XCTAssertEqual(history.takeUnreported(30)?.size, 1)
    }

    func testInterArrivalGroupsBurstsAndMeasuresDeltas() {
        var groups = InterArrival()
        // Group 1: sent 0..4 ms; group 2: sent 20..24 ms, arriving 3 ms later relative.
        XCTAssertNil(groups.add(sendTimeUs: 0, arrivalTimeUs: 10_000, size: 100))
        XCTAssertNil(groups.add(sendTimeUs: 4_000, arrivalTimeUs: 14_000, size: 100))
        XCTAssertNil(groups.add(sendTimeUs: 20_000, arrivalTimeUs: 33_000, size: 100))
        XCTAssertNil(groups.add(sendTimeUs: 24_000, arrivalTimeUs: 37_000, size: 100))
        let delta = groups.add(sendTimeUs: 40_000, arrivalTimeUs: 50_000, size: 100)
        XCTAssertEqual(delta?.sendDeltaUs, 20_000)
        XCTAssertEqual(delta?.arrivalDeltaUs, 23_000)
    }

    func testTrendlineSignalsGrowingQueueAndDrainingQueue() {
        var trendline = TrendlineEstimator()
        var usage = TrendlineEstimator.Usage.normal
        // Each 20 ms group arrives 2 ms later than the last relative to its send: a queue builds.
        for i in 1...40 {
            usage = trendline.update(.init(sendDeltaUs: 20_000, arrivalDeltaUs: 22_000, arrivalTimeUs: Int64(i) * 22_000, sizeDelta: 0))
            if usage == .overusing { break }
        }
        XCTAssertEqual(usage, .overusing)
        var drain = TrendlineEstimator()
        for i in 1...40 {
            usage = drain.update(.init(sendDeltaUs: 20_000, arrivalDeltaUs: 18_000, arrivalTimeUs: Int64(i) * 18_000, sizeDelta: 0))
        }
        XCTAssertEqual(usage, .underusing)
        var steady = TrendlineEstimator()
        for i in 1...40 {
            usage = steady.update(.init(sendDeltaUs: 20_000, arrivalDeltaUs: 20_000 + (i % 2 == 0 ? 300 : -300),
                                        arrivalTimeUs: Int64(i) * 20_000, sizeDelta: 0))
        }
        XCTAssertEqual(usage, .normal, "jitter without a trend is not over-use")
    }

    /// A probe sent as bursts of padding, one per 20 ms tick: every burst stands for a tick, so
    /// the cluster measures its target rate whether one, two or three bursts have arrived, and
    /// what a bottleneck lets through when it spreads them.
    func testBurstProbeMeasuresItsRateAndABottleneck() {
        // 3 Mbit/s: 7500 bytes per 20 ms, as 30 packets of 250 bytes per burst.
        var clean = ProbeBitrateEstimator()
        clean.burstIntervalUs = 20_000
        var rates: [Int64] = []
        for burst in 0..<3 {
            for i in 0..<30 {
                let send = Int64(burst) * 20_000 + Int64(i)
                if let rate = clean.add(cluster: 1, sendUs: send, arrivalUs: send + 5_000, size: 250) { rates.append(rate) }
            }
        }
        XCTAssertEqual(Double(rates.last!), 3_000_000, accuracy: 30_000)
        XCTAssertTrue(rates.allSatisfy { $0 <= 3_100_000 }, "no partial cluster overestimates: \(rates.max()!)")

        // Through a 1 Mbit/s bottleneck the same bursts arrive 2 ms apart each (250 bytes at 1 Mbit/s).
        var narrow = ProbeBitrateEstimator()
        narrow.burstIntervalUs = 20_000
        var arrival: Int64 = 0
        var last: Int64?
        for burst in 0..<3 {
            for i in 0..<30 {
                let send = Int64(burst) * 20_000 + Int64(i)
                arrival = max(arrival, send) + 2_000
                last = narrow.add(cluster: 1, sendUs: send, arrivalUs: arrival, size: 250) ?? last
            }
        }
        XCTAssertEqual(Double(last!), 1_000_000, accuracy: 100_000)
    }

    /// A probe that lost much of itself (a policer let a burst through and dropped the rest)
    /// measures nothing: at least 80 % of what was sent must arrive.
    func testAProbeThatLostMoreThanAFifthMeasuresNothing() {
        var probe = ProbeBitrateEstimator()
        probe.burstIntervalUs = 20_000
        for _ in 0..<30 { probe.sent(cluster: 7) }
        var result: Int64?
        for i in 0..<20 { result = probe.add(cluster: 7, sendUs: Int64(i) * 1000, arrivalUs: Int64(i) * 1000 + 500, size: 250) ?? result }
        XCTAssertNil(result, "20 of 30 arrived")
        for i in 20..<24 { result = probe.add(cluster: 7, sendUs: Int64(i) * 1000, arrivalUs: Int64(i) * 1000 + 500, size: 250) ?? result }
        XCTAssertNotNil(result, "24 of 30 arrived")
    }

    /// Feedback on padding is the probe's answer: lost padding is not counted as media loss.
    func testLostProbePaddingIsNotMediaLoss() {
        var estimator = SendSideBandwidthEstimator()
        for seq in UInt16(0)..<10 { estimator.onPacketSent(sequence: seq, size: 1200, atUs: Int64(seq) * 1000) }
        for seq in UInt16(10)..<20 { estimator.onPacketSent(sequence: seq, size: 250, atUs: 10_000, probeCluster: 1) }
        let feedback = (UInt16(0)..<20).map { seq in
            SendSideBandwidthEstimator.PacketFeedback(sequence: seq, arrivalTimeUs: seq == 3 || seq >= 15 ? nil : Int64(seq) * 1000 + 20_000)
        }
        XCTAssertEqual(estimator.onTransportFeedback(feedback, atUs: 60_000), 20)
        XCTAssertEqual(estimator.lastMediaReported, 10)
        XCTAssertEqual(estimator.lastMediaLost, 1)
    }

    func testAckedBitrateOverItsWindow() {
        var acked = AckedBitrate(windowUs: 500_000)
        XCTAssertNil(acked.bitsPerSecond)
        // 1250 bytes every 10 ms = 1 Mbit/s.
        for i in 0..<100 { acked.add(arrivalUs: Int64(i) * 10_000, size: 1250) }
        XCTAssertEqual(Double(acked.bitsPerSecond ?? 0), 1_000_000, accuracy: 30_000)
    }

    func testAIMDDecreasesToBetaTimesAckedOnOveruse() {
        var aimd = AIMDRateControl(initialBitrate: 1_000_000, minBitrate: 10_000, maxBitrate: 5_000_000)
        aimd.update(usage: .normal, ackedBitrate: 900_000, nowUs: 0)
        let rate = aimd.update(usage: .overusing, ackedBitrate: 600_000, nowUs: 100_000)
        XCTAssertEqual(rate, 510_000)
        XCTAssertEqual(aimd.state, .hold)
    }

    /// Ten minutes without feedback (everyone muted), then a clean report: the rate grows by at
    /// most a second's worth, and nothing overflows (8 %/s over 600 s is far beyond Int64).
    func testLongSilenceDoesNotOverflowOrJump() {
        var control = LossBasedControl(initialBitrate: 1_000_000)
        control.add(reported: 100, lost: 0)
        control.evaluate(nowUs: 1_000_000, ceiling: 5_000_000, rttUs: 50_000)
        let before = control.bitrate
        control.add(reported: 100, lost: 0)
        control.evaluate(nowUs: 601_000_000, ceiling: 5_000_000, rttUs: 50_000)
        XCTAssertLessThanOrEqual(control.bitrate, Int64(Double(before) * 1.08) + 1000)
        XCTAssertGreaterThan(control.bitrate, before)
    }
}
