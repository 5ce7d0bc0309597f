import XCTest
@testable import Recording

/// The media-thread queue: order, sender reports, and what happens when the writer stops
/// draining (the ring overflows and refuses everything, without blocking the producer).
final class PacketRingTests: XCTestCase {
    func testPacketsAndReportsComeOutInOrderWithTheirFields() throws {
        let ring = PacketRing(capacity: 8)
        XCTAssertEqual(ring.capacity, 8)
        for i in 0..<5 {
            let packet = opusRTP(i)
            packet.withUnsafeBytes { XCTAssertTrue(ring.pushRTP($0, lane: 1, arrival: Int64(i))) }
        }
        XCTAssertTrue(ring.pushSenderReport(ssrc: 7, ntp: 0x1234_5678_9ABC_DEF0, rtp: 4242, lane: 0, arrival: 99))
        XCTAssertEqual(ring.count, 6)

        var seen: [(PacketRing.EntryKind, UInt8, Int64, [UInt8])] = []
        var report: (UInt32, UInt64, UInt32)?
        let handled = ring.drain { entry in
            seen.append((entry.kind, entry.lane, entry.arrival, Array(entry.bytes)))
            if entry.kind == .senderReport { report = (entry.ssrc, entry.ntp, entry.rtpTimestamp) }
        }
        XCTAssertEqual(handled, 6)
        XCTAssertEqual(seen.map(\.2), [0, 1, 2, 3, 4, 99])
        XCTAssertEqual(seen.prefix(5).map(\.3), (0..<5).map { opusRTP($0) })
        XCTAssertEqual(seen.last?.0, .senderReport)
        XCTAssertEqual(report?.0, 7)
        XCTAssertEqual(report?.1, 0x1234_5678_9ABC_DEF0)
        XCTAssertEqual(report?.2, 4242)
        XCTAssertEqual(ring.count, 0)
        XCTAssertFalse(ring.overflowed)
    }

    func testSlotsAreReusedAcrossManyLaps() {
        let ring = PacketRing(capacity: 4)
        var next = 0
        var received: [Int64] = []
        for _ in 0..<100 {
            for _ in 0..<3 {
                let packet = opusRTP(next)
                packet.withUnsafeBytes { _ = ring.pushRTP($0, lane: 0, arrival: Int64(next)) }
                next += 1
            }
            ring.drain { received.append($0.arrival) }
        }
        XCTAssertEqual(received, (0..<300).map(Int64.init))
        XCTAssertFalse(ring.overflowed)
    }

    func testFullRingOverflowsAndThenRefusesEverythingWithoutBlocking() {
        let ring = PacketRing(capacity: 16)
        let packet = opusRTP(0)
        var accepted = 0
        let start = DispatchTime.now().uptimeNanoseconds
        for i in 0..<100_000 {
            let ok = packet.withUnsafeBytes { ring.pushRTP($0, lane: 0, arrival: Int64(i)) }
            if ok { accepted += 1 }
        }
        let elapsed = DispatchTime.now().uptimeNanoseconds - start
        XCTAssertEqual(accepted, 16, "exactly the free slots are taken")
        XCTAssertTrue(ring.overflowed)
        // 100k refused pushes are just flag checks: far below a millisecond each.
        XCTAssertLessThan(elapsed, 500_000_000)
        // Draining frees the slots, but an overflowed ring stays refused: the recording has a hole.
        XCTAssertEqual(ring.drain { _ in }, 16)
        XCTAssertFalse(packet.withUnsafeBytes { ring.pushRTP($0, lane: 0, arrival: 0) })
        XCTAssertFalse(ring.pushSenderReport(ssrc: 1, ntp: 1, rtp: 1, lane: 0, arrival: 0))
    }

    func testOversizedPacketsAreSkippedAndCounted() {
        let ring = PacketRing(capacity: 4, slotSize: 64)
        let big = [UInt8](repeating: 1, count: 65)
        XCTAssertTrue(big.withUnsafeBytes { ring.pushRTP($0, lane: 0, arrival: 0) })
        XCTAssertEqual(ring.oversized, 1)
        XCTAssertEqual(ring.count, 0)
    }

    func testProducerAndConsumerOnDifferentThreads() {
        let ring = PacketRing(capacity: 64)
        let total = 20_000
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var values: [Int64] = [] }
        let box = Box()
        let consumer = Thread {
            while box.values.count < total {
                ring.drain { entry in
                    // Each packet carries its index in its payload too: bytes must match the header.
                    let index = Int64(entry.bytes[12]) | Int64(entry.bytes[13]) << 8 | Int64(entry.bytes[14]) << 16
                    XCTAssertEqual(index, entry.arrival)
                    box.values.append(entry.arrival)
                }
                usleep(50)
            }
            done.signal()
        }
        consumer.start()
        var i = 0
        while i < total {
            let payload: [UInt8] = [UInt8(i & 0xFF), UInt8((i >> 8) & 0xFF), UInt8((i >> 16) & 0xFF)]
            let packet = rtpPacket(sequence: UInt16(truncatingIfNeeded: i), timestamp: 0, payload: payload)
            // The test producer waits for room (a real tap would give up instead).
            while ring.count >= ring.capacity { usleep(10) }
            packet.withUnsafeBytes { _ = ring.pushRTP($0, lane: 0, arrival: Int64(i)) }
            i += 1
        }
        XCTAssertEqual(done.wait(timeout: .now() + 20), .success)
        XCTAssertEqual(box.values, (0..<Int64(total)).map { $0 })
        XCTAssertFalse(ring.overflowed)
    }
}
