import XCTest
@testable import LoadTest

/// The load generator's pacer follows libwebrtc's media-debt model: packets leave while the debt
/// is under 40 ms × rate; past that, when it is paid off or when a new packet finds it under.
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

    func testKeyframeGoesOutInBurstsWhenNothingWakesThePacer() {
        // 1.5 Mbit/s × 2.5 = 468,750 bytes/s: a 40 ms burst is 18,750 bytes, 16 packets of 1,200.
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 2.5, now: 0)
        let times = schedule(&pacer, count: 35, size: 1200).map { Double($0) / Double(ms) }
        // 16 at once leave a debt of 19,200 bytes; the next packet waits until all of it is paid
        // (40.96 ms), as libwebrtc's NextSendTime does, and so on: 16, 16, 3.
        XCTAssertEqual(times.prefix(16).filter { $0 == 0 }.count, 16)
        for t in times[16..<32] { XCTAssertEqual(t, 40.96, accuracy: 0.01) }
        for t in times[32...] { XCTAssertEqual(t, 81.92, accuracy: 0.01) }
    }

    func testANewPacketLetsTheRestGoOnceTheDebtIsUnderABurst() {
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 2.5, now: 0)
        for _ in 0..<16 {
            XCTAssertTrue(pacer.maySend(now: 0))
            pacer.sent(bytes: 1200, now: 0)
        }
        XCTAssertFalse(pacer.maySend(now: 0))
        XCTAssertEqual(pacer.nextSendTime(now: 0), 40_960_001)
        // Without a wake-up the pacer still waits at 20 ms, with the debt (9,825) under a burst...
        XCTAssertFalse(pacer.maySend(now: 20 * ms))
        // ...but an enqueue (the next audio packet) makes it look again: 8 more packets fit
        // before the debt passes the burst once more (9,825 + 8 × 1,200 = 19,425).
        pacer.wake(now: 20 * ms)
        var sent = 0
        while pacer.maySend(now: 20 * ms) {
            pacer.sent(bytes: 1200, now: 20 * ms)
            sent += 1
        }
        XCTAssertEqual(sent, 8)
        // A wake-up while the debt is still over a burst changes nothing.
        pacer.wake(now: 21 * ms)
        XCTAssertFalse(pacer.maySend(now: 21 * ms))
    }

    func testSmallFramesAreNotDelayed() {
        // Frames of twice the average size (10 packets; 1.5 Mbit/s at 30 fps is ~5) every 33 ms:
        // each leaves a debt of 12,000 bytes, paid in 25.6 ms, so none waits.
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 2.5, now: 0)
        for frame in 0..<60 {
            let start = Int64(frame) * 33 * ms
            XCTAssertEqual(schedule(&pacer, count: 10, size: 1200, from: start), Array(repeating: start, count: 10))
        }
        // A frame of 17 does: after 16 (19,200 bytes) the debt is over the burst, the 17th waits.
        XCTAssertEqual(schedule(&pacer, count: 17, size: 1200, from: 60 * 33 * ms).filter { $0 > 60 * 33 * ms }.count, 1)
    }

    func testDebtIsPaidOffOverTime() {
        var pacer = Pacer(bitsPerSecond: 8_000_000, factor: 1, now: 0) // 1 byte per µs
        pacer.sent(bytes: 100_000, now: 0)
        XCTAssertFalse(pacer.maySend(now: 0))
        // Allowed again once the whole debt is paid: after 100 ms.
        XCTAssertEqual(Double(pacer.nextSendTime(now: 0)) / Double(ms), 100, accuracy: 0.01)
        XCTAssertFalse(pacer.maySend(now: 99 * ms))
        XCTAssertTrue(pacer.maySend(now: 101 * ms))
        XCTAssertTrue(pacer.maySend(now: 10_000 * ms))
        XCTAssertEqual(pacer.debt, 0, "debt never goes below zero: idle time is not saved up")
    }

    func testFactorZeroIsOff() {
        var pacer = Pacer(bitsPerSecond: 1_500_000, factor: 0, now: 0)
        XCTAssertFalse(pacer.isOn)
        XCTAssertEqual(schedule(&pacer, count: 100, size: 1200), Array(repeating: 0, count: 100))
    }
}
