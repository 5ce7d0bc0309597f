import XCTest
@testable import ConnectionQuality

final class ConnectionQualityTests: XCTestCase {
    func testAudioEModelMatchesKnownPoints() {
        // A clean LAN call is toll quality; 10 % loss is poor; 300 ms RTT alone costs little.
        let clean = MeanOpinionScore.audio(lossFraction: 0, rttMs: 20, jitterMs: 2)
        XCTAssertGreaterThan(clean, 4.3)
        XCTAssertEqual(QualityLevel(mos: clean), .excellent)
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.audio(lossFraction: 0.02, rttMs: 50, jitterMs: 5)), .good)
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.audio(lossFraction: 0.10, rttMs: 50, jitterMs: 5)), .poor)
        XCTAssertGreaterThan(MeanOpinionScore.audio(lossFraction: 0, rttMs: 300, jitterMs: 5), 4.0)
        XCTAssertLessThan(MeanOpinionScore.audio(lossFraction: 0, rttMs: 900, jitterMs: 30), 3.6, "long delay hurts")
    }

    func testMOSIsMonotonicInLoss() {
        var last = 5.0
        for percent in 0...30 {
            let mos = MeanOpinionScore.audio(lossFraction: Double(percent) / 100, rttMs: 40, jitterMs: 3)
            XCTAssertLessThanOrEqual(mos, last)
            last = mos
        }
    }

    func testVideoScoresLossAndBitrate() {
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.video(lossFraction: 0, rttMs: 20, jitterMs: 2, bitrateRatio: 1)), .excellent)
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.video(lossFraction: 0.10, rttMs: 20, jitterMs: 2, bitrateRatio: 1)), .good)
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.video(lossFraction: 0.15, rttMs: 20, jitterMs: 2, bitrateRatio: 1)), .poor)
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.video(lossFraction: 0, rttMs: 20, jitterMs: 2, bitrateRatio: 0.3)), .poor,
                       "a path that carries a third of the stream")
        XCTAssertEqual(QualityLevel(mos: MeanOpinionScore.video(lossFraction: 0, rttMs: 20, jitterMs: 2, bitrateRatio: 0.6)), .good)
    }

    /// Simulcast: a layer the publisher was asked for, had sent before, and stopped sending
    /// lowers its score; layers nobody needs, or never sent (a small camera), do not.
    func testMissedSimulcastLayersLowerTheScore() {
        func window(_ layers: [(rank: Int, everSent: Bool, packets: Int)], needed: Int?) -> StreamWindow {
            var w = StreamWindow(kind: .video, expectedPackets: layers.map(\.packets).reduce(0, +), lostPackets: 0,
                                 rttMs: 20, jitterMs: 2)
            for layer in layers {
                w.addLayer(rank: layer.rank, neededRank: needed, everSent: layer.everSent, packets: layer.packets)
            }
            return w
        }
        let all = window([(1, true, 60), (2, true, 90), (3, true, 180)], needed: 3)
        XCTAssertEqual([all.layersExpected, all.layersMissed], [3, 0])
        XCTAssertEqual(QualityLevel(mos: all.mos!), .excellent)

        let topDropped = window([(1, true, 60), (2, true, 90), (3, true, 0)], needed: 3)
        XCTAssertEqual([topDropped.layersExpected, topDropped.layersMissed], [3, 1])
        XCTAssertEqual(QualityLevel(mos: topDropped.mos!), .good)

        let onlyLowest = window([(1, true, 60), (2, true, 0), (3, true, 0)], needed: 3)
        XCTAssertEqual(QualityLevel(mos: onlyLowest.mos!), .poor)

        // Dynacast asked for the middle layer only: the top one being off is not missed.
        let notNeeded = window([(1, true, 60), (2, true, 90), (3, true, 0)], needed: 2)
        XCTAssertEqual([notNeeded.layersExpected, notNeeded.layersMissed], [2, 0])
        XCTAssertEqual(QualityLevel(mos: notNeeded.mos!), .excellent)

        // A layer that never had packets (the camera is too small for it) is not expected.
        let neverSent = window([(1, true, 60), (2, true, 90), (3, false, 0)], needed: 3)
        XCTAssertEqual([neverSent.layersExpected, neverSent.layersMissed], [2, 0])

        // Not simulcast, or not asked yet: no layer accounting.
        let single = window([(0, true, 100)], needed: nil)
        XCTAssertEqual([single.layersExpected, single.layersMissed], [0, 0])
    }

    func testWindowWithoutMediaIsLost() {
        XCTAssertNil(StreamWindow(kind: .audio, expectedPackets: 0, lostPackets: 0, rttMs: 0, jitterMs: 0).mos)
        XCTAssertNil(StreamWindow(kind: .video, expectedPackets: 50, lostPackets: 50, rttMs: 0, jitterMs: 0).mos)
        XCTAssertEqual(StreamWindow(kind: .audio, expectedPackets: 100, lostPackets: 10, rttMs: 0, jitterMs: 0).lossFraction, 0.1)
    }

    func testHysteresisDropsAtOnceAndRisesAfterTwoWindows() {
        var tracker = QualityTracker()
        XCTAssertEqual(tracker.level, .excellent)
        XCTAssertTrue(tracker.update(mos: 2.5))
        XCTAssertEqual(tracker.level, .poor)
        XCTAssertFalse(tracker.update(mos: 4.4), "one good window is not enough")
        XCTAssertEqual(tracker.level, .poor)
        XCTAssertTrue(tracker.update(mos: 3.5))
        XCTAssertEqual(tracker.level, .good, "rises to the lowest level of the streak")
        XCTAssertTrue(tracker.update(mos: nil))
        XCTAssertEqual(tracker.level, .lost)
        tracker.update(mos: 4.4)
        XCTAssertEqual(tracker.level, .lost)
        tracker.update(mos: 4.4)
        XCTAssertEqual(tracker.level, .excellent)
        // Flapping between excellent and poor shows poor.
        for _ in 0..<6 { tracker.update(mos: 2.0); tracker.update(mos: 4.4) }
        XCTAssertEqual(tracker.level, .poor)
    }
}
