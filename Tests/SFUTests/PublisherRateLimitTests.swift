import XCTest

@testable import SFU

/// REMB as a limit for publishers without transport-wide CC: silent on a clean path, a cut to
/// what arrives under heavy loss, growth back to the pre-congestion rate, then silent again.
final class PublisherRateLimitTests: XCTestCase {
    private let s: Int64 = 1_000_000_000

    /// One report interval with `kbps` arriving and `loss` (0...1) reported.
    private func report(_ limit: inout PublisherRateLimit, second: Int, kbps: Int, loss: Double) -> Int64? {
        limit.received(bytes: kbps * 1000 / 8)
        return limit.close(fractionLost: UInt8(min(loss * 256, 255)), intervalNanoseconds: s)
    }

    func testACleanPathGetsNoREMB() {
        var limit = PublisherRateLimit()
        for second in 1...20 {
            XCTAssertNil(report(&limit, second: second, kbps: 500, loss: 0.01 * Double(second % 3)))
        }
        XCTAssertFalse(limit.isLimiting)
    }

    func testHeavyLossLimitsToWhatArrivesThenReleasesAtThePreviousRate() throws {
        var limit = PublisherRateLimit()
        for second in 1...5 { XCTAssertNil(report(&limit, second: second, kbps: 500, loss: 0)) }
        // A 150 kbit/s cap: 40 % loss, 300 kbit/s arriving. The limit starts at what arrived
        // less half the loss.
        let first = try XCTUnwrap(report(&limit, second: 6, kbps: 300, loss: 0.4))
        XCTAssertEqual(Double(first), 300_000 * 0.8, accuracy: 5_000)
        XCTAssertEqual(limit.releaseBitrate, 1_000_000)
        // Still losing: cut again, from what arrives when that is below the limit.
        let second = try XCTUnwrap(report(&limit, second: 7, kbps: 150, loss: 0.3))
        XCTAssertEqual(Double(second), 150_000 * 0.85, accuracy: 2_000)
        // Moderate loss: hold.
        XCTAssertEqual(report(&limit, second: 8, kbps: 150, loss: 0.05), second)
        // Clean again: 25 % per report, one REMB each, until twice the pre-congestion rate.
        var last = second
        var sent = 0
        for t in 9...60 {
            guard let remb = report(&limit, second: t, kbps: Int(last / 1000), loss: 0) else { break }
            XCTAssertGreaterThan(remb, last)
            XCTAssertLessThanOrEqual(Double(remb), Double(last) * 1.25 + 1)
            last = remb
            sent += 1
        }
        XCTAssertEqual(last, 1_000_000, "the last REMB releases at twice the pre-congestion peak")
        XCTAssertFalse(limit.isLimiting)
        XCTAssertEqual(sent, 10, "127.5 kbit/s to 1 Mbit/s at 25 % a report, the last one capped")
        // Back to silence.
        XCTAssertNil(report(&limit, second: 100, kbps: 500, loss: 0))
    }

    func testTheLimitNeverFallsBelowTheFloor() throws {
        var limit = PublisherRateLimit()
        _ = report(&limit, second: 1, kbps: 100, loss: 0)
        var last = try XCTUnwrap(report(&limit, second: 2, kbps: 20, loss: 0.9))
        for second in 3...10 { last = report(&limit, second: second, kbps: 10, loss: 0.9) ?? last }
        XCTAssertEqual(last, PublisherRateLimit.minimumBitrate)
    }
}
