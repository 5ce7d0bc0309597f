import XCTest
@testable import Recorder

final class UnwrapperTests: XCTestCase {
    func testSequenceWrapAndReorder() {
        var unwrapper = SequenceUnwrapper()
        let base = unwrapper.unwrap(65_534)
        XCTAssertEqual(unwrapper.unwrap(65_535), base + 1)
        XCTAssertEqual(unwrapper.unwrap(1), base + 3)
        XCTAssertEqual(unwrapper.unwrap(0), base + 2, "reordered across the wrap")
        XCTAssertEqual(unwrapper.unwrap(65_533), base - 1, "older than the first")
        XCTAssertEqual(unwrapper.unwrap(2), base + 4)
        // Many wraps forward.
        var value = base + 4
        var sequence: UInt16 = 2
        for _ in 0..<200_000 {
            sequence &+= 1
            value += 1
            XCTAssertEqual(unwrapper.unwrap(sequence), value)
        }
    }

    func testTimestampWrap() {
        var unwrapper = TimestampUnwrapper()
        let base = unwrapper.unwrap(UInt32.max - 959)
        XCTAssertEqual(unwrapper.unwrap(0), base + 960)
        XCTAssertEqual(unwrapper.unwrap(960), base + 1_920)
        XCTAssertEqual(unwrapper.peek(UInt32.max - 959), base)
        XCTAssertEqual(unwrapper.unwrap(UInt32.max), base + 959, "older, stays before")
    }
}

final class ReorderBufferTests: XCTestCase {
    private func drainNow(_ buffer: inout ReorderBuffer<Int>, now: Int64) -> [String] {
        var out: [String] = []
        while let output = buffer.pop(now: now) {
            switch output {
            case .packet(let value, _): out.append("\(value)")
            case .lost(let range): out.append("lost \(range.count)")
            }
        }
        return out
    }

    func testInOrderAndReordered() {
        var buffer = ReorderBuffer<Int>()
        for (value, sequence) in [(1, 100), (3, 102), (2, 101), (4, 103)] as [(Int, UInt16)] {
            XCTAssertEqual(buffer.insert(value, sequenceNumber: sequence, arrival: 0), .accepted)
        }
        XCTAssertEqual(drainNow(&buffer, now: 0), ["1", "2", "3", "4"])
    }

    func testWrapAroundDuplicateLate() {
        var buffer = ReorderBuffer<Int>()
        XCTAssertEqual(buffer.insert(0, sequenceNumber: 65_535, arrival: 0), .accepted)
        XCTAssertEqual(buffer.insert(2, sequenceNumber: 1, arrival: 0), .accepted)
        XCTAssertEqual(buffer.insert(2, sequenceNumber: 1, arrival: 0), .duplicate)
        XCTAssertEqual(drainNow(&buffer, now: 0), ["0"], "waits for 0")
        XCTAssertEqual(buffer.insert(1, sequenceNumber: 0, arrival: 1), .accepted)
        XCTAssertEqual(drainNow(&buffer, now: 1), ["1", "2"])
        XCTAssertEqual(buffer.insert(9, sequenceNumber: 65_535, arrival: 2), .late)
        XCTAssertEqual(buffer.droppedCount, 2)
    }

    func testGivesUpAfterDelayAndListsNacks() {
        var buffer = ReorderBuffer<Int>(configuration: .init(maxDelay: 100))
        _ = buffer.insert(0, sequenceNumber: 10, arrival: 0)
        _ = buffer.insert(3, sequenceNumber: 13, arrival: 50)
        _ = buffer.insert(5, sequenceNumber: 15, arrival: 60)
        XCTAssertEqual(drainNow(&buffer, now: 60), ["0"])
        var missing: [UInt16] = []
        buffer.forEachMissing { missing.append($0) }
        XCTAssertEqual(missing, [11, 12, 14])
        XCTAssertEqual(drainNow(&buffer, now: 149), [])
        XCTAssertEqual(drainNow(&buffer, now: 150), ["lost 2", "3"])
        // 14 is still inside its window (the packet after it arrived at 60).
        XCTAssertEqual(buffer.insert(4, sequenceNumber: 14, arrival: 155), .accepted)
        XCTAssertEqual(drainNow(&buffer, now: 155), ["4", "5"])
        XCTAssertEqual(buffer.lostCount, 2)
        XCTAssertEqual(buffer.insert(1, sequenceNumber: 11, arrival: 160), .late)
    }

    func testGivesUpWhenGapSpansMaxPackets() {
        var buffer = ReorderBuffer<Int>(configuration: .init(capacity: 64, maxPackets: 8, maxDelay: .max))
        _ = buffer.insert(0, sequenceNumber: 0, arrival: 0)
        XCTAssertEqual(drainNow(&buffer, now: 0), ["0"])
        for sequence in 2...8 { _ = buffer.insert(sequence, sequenceNumber: UInt16(sequence), arrival: 0) }
        XCTAssertEqual(drainNow(&buffer, now: 0), [])
        _ = buffer.insert(9, sequenceNumber: 9, arrival: 0)
        XCTAssertEqual(drainNow(&buffer, now: 0), ["lost 1", "2", "3", "4", "5", "6", "7", "8", "9"])
    }

    func testRestartAndDrain() {
        var buffer = ReorderBuffer<Int>()
        _ = buffer.insert(1, sequenceNumber: 1_000, arrival: 0)
        _ = buffer.insert(3, sequenceNumber: 1_002, arrival: 0)
        XCTAssertEqual(buffer.insert(7, sequenceNumber: 40_000, arrival: 0), .restart)
        let drained = buffer.drain().map { output -> String in
            if case .packet(let value, _) = output { return "\(value)" }
            return "lost"
        }
        XCTAssertEqual(drained, ["1", "lost", "3"])
        buffer.reset()
        XCTAssertEqual(buffer.insert(7, sequenceNumber: 40_000, arrival: 0), .accepted)
        XCTAssertEqual(drainNow(&buffer, now: 0), ["7"])
    }

    func testCapacityOverflowForcesRelease() {
        var buffer = ReorderBuffer<Int>(configuration: .init(capacity: 16, maxPackets: 16, maxDelay: .max))
        _ = buffer.insert(0, sequenceNumber: 0, arrival: 0)
        _ = buffer.insert(2, sequenceNumber: 2, arrival: 0)
        // Without popping, a packet 20 ahead pushes the window.
        XCTAssertEqual(buffer.insert(20, sequenceNumber: 20, arrival: 0), .accepted)
        XCTAssertEqual(buffer.count, 1)
        XCTAssertEqual(buffer.nextSequence.map { $0 & 0xFFFF }, 5)
    }
}

final class OpusDepacketizerTests: XCTestCase {
    func testDurationsAndErrors() throws {
        var depacketizer = OpusDepacketizer()
        let frame = try [UInt8]([0xFC, 1, 2]).withUnsafeBytes { try depacketizer.push(payload: $0, timestamp: 5) }
        XCTAssertEqual(frame, OpusDepacketizer.Frame(timestamp: 5, duration: 960, isStereo: true))
        // Code 3, 3 frames of 20 ms SILK WB.
        let long = try [UInt8]([0x4B, 0x03, 0, 0, 0]).withUnsafeBytes { try depacketizer.push(payload: $0, timestamp: 0) }
        XCTAssertEqual(long.duration, 2_880)
        XCTAssertFalse(long.isStereo)
        XCTAssertThrowsError(try [UInt8]().withUnsafeBytes { try depacketizer.push(payload: $0, timestamp: 0) }) {
            XCTAssertEqual($0 as? RecorderError, .malformedOpus)
        }
        XCTAssertEqual(depacketizer.packets, 2)
        XCTAssertEqual(depacketizer.malformed, 1)
    }
}

final class RTPClockMappingTests: XCTestCase {
    func testNTPConversion() {
        XCTAssertEqual(NTPTime.nanoseconds(1 << 32 | 0x8000_0000), 1_500_000_000)
        XCTAssertEqual(NTPTime.unixNanoseconds(UInt64(NTPTime.unixEpochOffset) << 32), 0)
    }

    func testSenderReportMappingAcrossWrap() {
        var mapping = RTPClockMapping(clockRate: 90_000)
        XCTAssertNil(mapping.wallclock(unwrapped: 0))
        let ntp = UInt64(NTPTime.unixEpochOffset + 1_000) << 32
        mapping.senderReport(ntp: ntp, rtp: UInt32.max - 8_999)  // 0.1 s before the wrap
        let after = mapping.unwrap(9_000 - 9_000)  // the packet right at the wrap
        XCTAssertEqual(mapping.wallclock(unwrapped: after), 1_000_100_000_000)
        XCTAssertEqual(mapping.source, .senderReport)
        mapping.anchor(rtp: 0, wallclock: 0)
        XCTAssertEqual(mapping.source, .senderReport, "an SR beats an arrival anchor")
    }

    func testArrivalAnchor() {
        var mapping = RTPClockMapping(clockRate: 48_000)
        mapping.anchor(rtp: 1_000, wallclock: 5_000_000_000)
        let unwrapped = mapping.unwrap(1_000 + 48_000)
        XCTAssertEqual(mapping.wallclock(unwrapped: unwrapped), 6_000_000_000)
        XCTAssertEqual(mapping.source, .arrival)
    }
}
