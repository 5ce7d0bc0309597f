@testable import SFU
import XCTest

final class StreamAllocatorTests: XCTestCase {
    private let s: Int64 = 1_000_000_000
    private let tracks = [
        StreamAllocator.Track(trackSid: "TR_audio", isVideo: false, layers: [(0, 40_000)]),
        StreamAllocator.Track(trackSid: "TR_a", isVideo: true, layers: [(1, 150_000), (2, 500_000), (3, 1_500_000)]),
        StreamAllocator.Track(trackSid: "TR_b", isVideo: true, layers: [(0, 600_000)]),
    ]

    func testUncongestedPathGetsEverything() {
        let decisions = StreamAllocator().allocate(tracks)
        XCTAssertEqual(decisions.count, 3)
        XCTAssertTrue(decisions.values.allSatisfy { $0 == .init(maxRank: nil, paused: false) })
    }

    func testCongestionKeepsAudioLowersLayersAndPausesWhatDoesNotFit() {
        var allocator = StreamAllocator()
        allocator.update(congested: true, estimate: 400_000, wanted: 2_140_000, now: 10 * s)
        let decisions = allocator.allocate(tracks)
        XCTAssertEqual(decisions["TR_audio"], .init(maxRank: nil, paused: false))
        XCTAssertEqual(decisions["TR_a"], .init(maxRank: 1, paused: false), "the lowest layer fits, the next does not")
        XCTAssertEqual(decisions["TR_b"], .init(maxRank: 0, paused: true), "a single 600k layer cannot fit in 360k")
    }

    /// A probe that shows the path carries everything lifts the limit without the slow steps.
    func testAProbeCoveringEverythingLiftsTheLimitAfterACalmSecond() {
        var allocator = StreamAllocator()
        allocator.update(congested: true, estimate: 400_000, wanted: 2_140_000, now: 10 * s)
        allocator.update(congested: false, estimate: 2_500_000, wanted: 2_140_000, now: 10 * s + s / 2, probed: 2_600_000)
        XCTAssertEqual(allocator.limit, 400_000, "not within a second of the congestion")
        allocator.update(congested: false, estimate: 2_500_000, wanted: 2_140_000, now: 11 * s + s / 2)
        XCTAssertEqual(allocator.limit, 400_000, "an estimate nothing probed waits for the steps")
        allocator.update(congested: false, estimate: 2_500_000, wanted: 2_140_000, now: 11 * s + s / 2, probed: 1_000_000)
        XCTAssertEqual(allocator.limit, 400_000, "a probe short of what is wanted waits for the steps")
        allocator.update(congested: false, estimate: 2_500_000, wanted: 2_140_000, now: 12 * s, probed: 2_600_000)
        XCTAssertNil(allocator.limit)
    }

    /// The quality bitrate term: what the decisions grant of the video asked for.
    func testGrantedShareOfTheWantedVideo() {
        XCTAssertEqual(StreamAllocator.grantedShare(of: tracks, decisions: StreamAllocator().allocate(tracks)), 1)
        var allocator = StreamAllocator()
        allocator.update(congested: true, estimate: 400_000, wanted: 2_140_000, now: 10 * s)
        // TR_a on its lowest layer (150k of 1.5M), TR_b paused (0 of 600k); audio does not count.
        XCTAssertEqual(StreamAllocator.grantedShare(of: tracks, decisions: allocator.allocate(tracks)),
                       150_000.0 / 2_100_000, accuracy: 1e-9)
        XCTAssertEqual(StreamAllocator.grantedShare(of: [tracks[0]], decisions: [:]), 1, "audio only")
    }

    func testRecoveryStepsUpThenLiftsTheLimit() {
        var allocator = StreamAllocator()
        allocator.update(congested: true, estimate: 400_000, wanted: 2_140_000, now: 10 * s)
        allocator.update(congested: false, estimate: 400_000, wanted: 2_140_000, now: 12 * s)
        XCTAssertEqual(allocator.limit, 400_000, "no step before the recovery delay")
        allocator.update(congested: false, estimate: 400_000, wanted: 2_140_000, now: 14 * s)
        XCTAssertEqual(allocator.limit, 650_000)
        XCTAssertEqual(allocator.allocate(tracks)["TR_b"]?.paused, true, "40k audio + 150k + 600k exceed 650k")
        allocator.update(congested: false, estimate: 400_000, wanted: 2_140_000, now: 18 * s)
        XCTAssertEqual(allocator.limit, 1_025_000)
        let resumed = allocator.allocate(tracks)
        XCTAssertEqual(resumed["TR_b"], .init(maxRank: 0, paused: false), "now everything's lowest layer fits")
        XCTAssertEqual(resumed["TR_a"], .init(maxRank: 1, paused: false), "235k left is not enough for the next layer")
        allocator.update(congested: false, estimate: 400_000, wanted: 2_140_000, now: 22 * s)
        XCTAssertEqual(allocator.limit, 1_587_500)
        allocator.update(congested: false, estimate: 400_000, wanted: 2_140_000, now: 26 * s)
        XCTAssertNil(allocator.limit, "covers everything asked for: lifted")
    }

    func testCongestionRightAfterAStepUpBacksOff() {
        var allocator = StreamAllocator()
        allocator.update(congested: true, estimate: 400_000, wanted: 2_000_000, now: 10 * s)
        allocator.update(congested: false, estimate: 400_000, wanted: 2_000_000, now: 14 * s)
        XCTAssertEqual(allocator.limit, 650_000)
        allocator.update(congested: true, estimate: 420_000, wanted: 2_000_000, now: 15 * s)
        XCTAssertEqual(allocator.limit, 420_000)
        XCTAssertEqual(allocator.recoveryDelay, 8 * s, "the step up was too much: wait twice as long")
        allocator.update(congested: false, estimate: 420_000, wanted: 2_000_000, now: 20 * s)
        XCTAssertEqual(allocator.limit, 420_000)
        allocator.update(congested: false, estimate: 420_000, wanted: 2_000_000, now: 23 * s)
        XCTAssertEqual(allocator.limit, 680_000)
    }
}
