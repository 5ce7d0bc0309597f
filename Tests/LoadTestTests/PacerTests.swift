import XCTest
@testable import LoadTest

/// The load generator's pacer follows libwebrtc's media-debt model: a burst of 40 ms × rate,
/// then one packet per size / rate.
final class PacerTests: XCTestCase {
    private let ms: Int64 = 1_000_000

    /// Sends `count` packets of `size` as soon as the pacer lets them go, starting at 0; returns
    /// each send time.
    private func schedule(_ pacer: inout Pacer, count: Int, size: Int, from start: Int64 = 0) -> [Int64] {
        var now = start, times: [Int64] = []
        for _ in 0..<count {
            if !pacer.maySend(now: now) {
                let next = pacer.nextSendTime(now: now)
                XCTAssertGreaterThan(next, now)
                now = next
                XCTAssertTrue(pacer.maySend(now: now), "the time nextSendTime gives must be allowed")
            }
            pacer.sent(bytes: size, now: now)
            times.append(now)
        }
        return times
    }

    func testKeyframeGoesOutAsABurstThenAtThePacingRate() {
        // 1.5 Mbit/s × 2.5 = 468,750 bytes/s: a 40 ms burst is 18,750 bytes = 16 packets of 1,200.
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 2.5, now: 0)
        let times = schedule(&pacer, count: 35, size: 1200)
        XCTAssertEqual(times.prefix(16).filter { $0 == 0 }.count, 16, "the first 40 ms worth leave at once")
        // The 16 left a debt of 19,200 bytes: the 17th waits until 450 of them are paid (0.96 ms).
        XCTAssertEqual(Double(times[16]) / Double(ms), 0.96, accuracy: 0.01)
        // Then one packet per 1200 / 468,750 s = 2.56 ms.
        let gaps = zip(times.dropFirst(17), times.dropFirst(16)).map { Double($0 - $1) / Double(ms) }
        for gap in gaps { XCTAssertEqual(gap, 2.56, accuracy: 0.01) }
        XCTAssertEqual(Double(times.last!) / Double(ms), 0.96 + 2.56 * 18, accuracy: 0.1)
    }

    func testSmallFramesAreNotDelayed() {
        // Five-packet frames every 33 ms at 1.5 Mbit/s: the debt never reaches the burst.
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 2.5, now: 0)
        for frame in 0..<60 {
            let start = Int64(frame) * 33 * ms
            XCTAssertEqual(schedule(&pacer, count: 5, size: 1200, from: start), Array(repeating: start, count: 5))
        }
    }

    func testDebtIsPaidOffOverTime() {
        var pacer = Pacer(bitsPerSecond: 8_000_000, factor: 1, now: 0) // 1 byte per µs
        pacer.sent(bytes: 100_000, now: 0)
        XCTAssertFalse(pacer.maySend(now: 0))
        // Allowed again once the debt is below the burst (40,000 bytes): after 60 ms.
        XCTAssertEqual(Double(pacer.nextSendTime(now: 0)) / Double(ms), 60, accuracy: 0.01)
        XCTAssertFalse(pacer.maySend(now: 59 * ms))
        XCTAssertTrue(pacer.maySend(now: 61 * ms))
        XCTAssertTrue(pacer.maySend(now: 10_000 * ms))
        XCTAssertEqual(pacer.debt, 0, "debt never goes below zero: idle time is not saved up")
    }

    func testFactorZeroIsOff() {
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 0, now: 0)
        XCTAssertFalse(pacer.isOn)
        XCTAssertEqual(schedule(&pacer, count: 100, size: 1200), Array(repeating: 0, count: 100))
    }
}
