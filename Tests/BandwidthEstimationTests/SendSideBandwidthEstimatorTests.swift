import XCTest
@testable import BandwidthEstimation

final class SendSideBandwidthEstimatorTests: XCTestCase {
    private func estimator(initial: Int64) -> SendSideBandwidthEstimator {
        var configuration = SendSideBandwidthEstimator.Configuration()
        configuration.initialBitrate = initial
        return SendSideBandwidthEstimator(configuration: configuration)
    }

    /// Starting above the bottleneck: the over-use detector must bring the estimate down to the
    /// link rate and keep it there.
    func testConvergesDownToBottleneckWithinTenSeconds() {
        var call = SimulatedCall(estimator: estimator(initial: 1_500_000), path: SimulatedPath(capacityBps: 500_000))
        let samples = call.run(forUs: 12_000_000)
        for sample in samples where sample.timeUs >= 10_000_000 {
            XCTAssertEqual(Double(sample.bps), 500_000, accuracy: 100_000, "at \(sample.timeUs / 1000) ms")
        }
        XCTAssertEqual(average(samples, from: 8_000_000, to: 12_000_000), 500_000, accuracy: 100_000)
    }

    /// Starting well below: the increase must find the bottleneck without running away.
    func testRampsUpToBottleneckWithinTenSeconds() {
        var call = SimulatedCall(estimator: estimator(initial: 150_000), path: SimulatedPath(capacityBps: 500_000))
        call.desiredBitrate = 2_000_000
        let samples = call.run(forUs: 12_000_000)
        for sample in samples where sample.timeUs >= 10_000_000 {
            XCTAssertEqual(Double(sample.bps), 500_000, accuracy: 100_000, "at \(sample.timeUs / 1000) ms")
        }
    }

    /// The same estimate on a different path stays with that path (no constants tuned to 500k).
    func testTracksAFasterBottleneck() {
        var call = SimulatedCall(estimator: estimator(initial: 300_000), path: SimulatedPath(capacityBps: 2_000_000, seed: 7))
        call.desiredBitrate = 4_000_000
        let samples = call.run(forUs: 20_000_000)
        XCTAssertEqual(average(samples, from: 15_000_000, to: 20_000_000), 2_000_000, accuracy: 400_000)
    }

    /// Random loss well above 10 % on an otherwise roomy path: the loss-based part backs off;
    /// when the loss stops, the estimate recovers.
    func testBacksOffUnderLossAndRecovers() {
        var call = SimulatedCall(estimator: estimator(initial: 1_500_000), path: SimulatedPath(capacityBps: 3_000_000, seed: 3))
        call.desiredBitrate = 2_500_000
        let clean = call.run(forUs: 5_000_000)
        let before = average(clean, from: 4_000_000, to: 5_000_000)
        call.path.lossRate = 0.2
        let lossSamplesBefore = call.lossSamples.count
        let lossy = call.run(forUs: 6_000_000)
        let during = average(lossy, from: 9_000_000, to: 11_000_000)
        XCTAssertLessThan(during, 0.6 * before, "20 % loss must cut the estimate")
        // One evaluation covers a few dozen packets, so a single reading is noisy: the mean of
        // the readings over the lossy seconds (after the first) is what must say 20 %.
        let readings = call.lossSamples[(lossSamplesBefore + 10)...]
        XCTAssertEqual(readings.reduce(0, +) / Double(readings.count), 0.2, accuracy: 0.06)
        call.path.lossRate = 0
        let recovered = call.run(forUs: 15_000_000)
        let after = average(recovered, from: 24_000_000, to: 26_000_000)
        XCTAssertGreaterThan(after, 0.8 * before, "the estimate must come back once loss stops")
    }

    /// 5 % loss is in the hold band: no cut for it alone.
    func testModerateLossHolds() {
        var call = SimulatedCall(estimator: estimator(initial: 800_000), path: SimulatedPath(capacityBps: 3_000_000, seed: 5))
        call.path.lossRate = 0.05
        let samples = call.run(forUs: 5_000_000)
        XCTAssertGreaterThanOrEqual(average(samples, from: 3_000_000, to: 5_000_000), 750_000)
    }

    /// The link halves mid-call: the estimate follows it down within a few seconds.
    func testFollowsCapacityDrop() {
        var call = SimulatedCall(estimator: estimator(initial: 600_000), path: SimulatedPath(capacityBps: 1_000_000, seed: 9))
        _ = call.run(forUs: 10_000_000)
        call.path.capacityBps = 500_000
        let samples = call.run(forUs: 6_000_000)
        XCTAssertEqual(average(samples, from: 13_000_000, to: 16_000_000), 500_000, accuracy: 100_000)
    }

    func testREMBCapsTheEstimate() {
        var call = SimulatedCall(estimator: estimator(initial: 1_000_000), path: SimulatedPath(capacityBps: 5_000_000))
        call.estimator.onREMB(bitrate: 400_000, atUs: 0)
        let samples = call.run(forUs: 3_000_000)
        XCTAssertTrue(samples.allSatisfy { $0.bps <= 400_000 })
    }

    func testReceiverReportsAloneDriveLossBasedEstimate() {
        var estimator = estimator(initial: 1_000_000)
        estimator.onReceiverReport(fractionLost: 64, packetsSinceLast: 100, rttUs: 50_000, atUs: 1_000_000)  // 25 %
        XCTAssertLessThan(estimator.targetBitrate, 900_000)
        let cut = estimator.targetBitrate
        for second in 2...12 {
            estimator.onReceiverReport(fractionLost: 0, packetsSinceLast: 100, rttUs: 50_000, atUs: Int64(second) * 1_000_000)
        }
        XCTAssertGreaterThan(estimator.targetBitrate, cut)
    }

    /// Probing finds headroom but never goes past the configured maximum.
    func testProbesNeverExceedTheCap() {
        var configuration = SendSideBandwidthEstimator.Configuration()
        configuration.initialBitrate = 300_000
        configuration.maxBitrate = 800_000
        var call = SimulatedCall(estimator: SendSideBandwidthEstimator(configuration: configuration),
                                 path: SimulatedPath(capacityBps: 5_000_000))
        call.desiredBitrate = 3_000_000
        var probes: [ProbeController.Probe] = []
        var estimator = call.estimator
        for t in stride(from: Int64(0), to: 20_000_000, by: 100_000) {
            if let probe = estimator.probeToSend(atUs: t) { probes.append(probe) }
        }
        XCTAssertFalse(probes.isEmpty)
        XCTAssertTrue(probes.allSatisfy { $0.bitrate <= 800_000 })
        let samples = call.run(forUs: 10_000_000)
        XCTAssertTrue(samples.allSatisfy { $0.bps <= 800_000 })
        XCTAssertEqual(Double(samples.last!.bps), 800_000, accuracy: 80_000, "a roomy path reaches the cap")
    }

    func testSameSeedSameTrace() {
        var a = SimulatedCall(estimator: estimator(initial: 700_000), path: SimulatedPath(capacityBps: 500_000, seed: 42))
        var b = SimulatedCall(estimator: estimator(initial: 700_000), path: SimulatedPath(capacityBps: 500_000, seed: 42))
        a.path.lossRate = 0.03
        b.path.lossRate = 0.03
        XCTAssertEqual(a.run(forUs: 4_000_000).map(\.bps), b.run(forUs: 4_000_000).map(\.bps))
    }
}
