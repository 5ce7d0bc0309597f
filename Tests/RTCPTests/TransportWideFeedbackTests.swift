import XCTest
@testable import RTCP

final class TransportWideFeedbackTests: XCTestCase {
    typealias Feedback = TransportWideFeedback

    /// Builds, serializes, parses and decodes; checks every arrival survives within 250 µs.
    func assertRoundTrip(_ arrivals: [Feedback.Arrival], file: StaticString = #filePath, line: UInt = #line) throws {
        let built = try Feedback(senderSSRC: 0xAABB, mediaSSRC: 0xCCDD, feedbackPacketCount: 9, arrivals: arrivals)
        let bytes = try RTCPPacket.transportWideFeedback(built).serialized()
        XCTAssertEqual(bytes.count % 4, 0, file: file, line: line)
        let header = try XCTUnwrap(RTCPHeader.peek(bytes))
        if header.padding { XCTAssertTrue((1...3).contains(bytes[bytes.count - 1]), file: file, line: line) }
        let parsed = try RTCPCompound.parse(bytes)
        XCTAssertEqual(parsed, [.transportWideFeedback(built)], file: file, line: line)

        // Expected: first arrival per sequence number, keyed by wrap-aware offset.
        var expected: [UInt16: Int64?] = [:]
        for arrival in arrivals where expected[arrival.sequenceNumber] == nil || expected[arrival.sequenceNumber]! == nil {
            expected[arrival.sequenceNumber] = arrival.time
        }
        let results = try built.packetResults()
        XCTAssertEqual(results.count, Int(built.packetStatusCount), file: file, line: line)
        var previous: Int64?
        for result in results {
            let want = expected[result.sequenceNumber] ?? nil
            guard let want else {
                XCTAssertNil(result.arrivalTime, "seq \(result.sequenceNumber)", file: file, line: line)
                continue
            }
            let got = try XCTUnwrap(result.arrivalTime, file: file, line: line)
            // No clock wrap in these tests: decoded time is the arrival floored to 250 µs.
            XCTAssertTrue(got <= want && want - got < 250, "seq \(result.sequenceNumber): \(got) vs \(want)", file: file, line: line)
            if let previous { XCTAssertEqual(result.receiveDelta, got - previous, file: file, line: line) }
            previous = got
            let delta = try XCTUnwrap(result.receiveDelta)
            XCTAssertEqual(result.status == .receivedSmallDelta, (0...63_750).contains(delta), file: file, line: line)
        }
        // Every sequence number given is described.
        let described = Set(results.map(\.sequenceNumber))
        XCTAssertTrue(Set(arrivals.map(\.sequenceNumber)).isSubset(of: described), file: file, line: line)
    }

    func testRandomizedArrivalPatterns() throws {
        var rng = SeededGenerator(seed: 7)
        for iteration in 0..<400 {
            let base = UInt16.random(in: 0...UInt16.max, using: &rng)  // exercises wrap-around
            let count = Int.random(in: 1...(iteration % 10 == 0 ? 3000 : 200), using: &rng)
            let lossRate = Double.random(in: 0...0.6, using: &rng)
            var time = Int64.random(in: 0...10_000_000_000, using: &rng)
            var arrivals: [Feedback.Arrival] = []
            for offset in 0..<count {
                switch Int.random(in: 0..<100, using: &rng) {
                case 0..<70: time += Int64.random(in: 0...20_000, using: &rng)            // small
                case 70..<85: time += Int64.random(in: 64_000...500_000, using: &rng)  // large
                case 85..<95: time -= Int64.random(in: 1...50_000, using: &rng)          // reordered
                default: time += Int64.random(in: 0...300, using: &rng)
                }
                let lost = Double.random(in: 0..<1, using: &rng) < lossRate
                arrivals.append(.init(sequenceNumber: base &+ UInt16(offset), time: lost ? nil : time))
            }
            // Feed them out of order sometimes; the builder orders by sequence number.
            if iteration % 3 == 0 { arrivals.shuffle(using: &rng) }
            try assertRoundTrip(arrivals)
        }
    }

    func testAllLostAndSingleReceived() throws {
        try assertRoundTrip((0..<50).map { .init(sequenceNumber: UInt16($0), time: nil) })
        try assertRoundTrip([.init(sequenceNumber: 65535, time: 123_456_789)])
    }

    func testSequenceWrapAround() throws {
        let arrivals: [Feedback.Arrival] = [
            .init(sequenceNumber: 65533, time: 1_000_000), .init(sequenceNumber: 2, time: 1_004_000),
            .init(sequenceNumber: 65535, time: 1_001_000),
        ]
        let fb = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: arrivals)
        XCTAssertEqual(fb.baseSequenceNumber, 65533)
        XCTAssertEqual(fb.packetStatusCount, 6)
        XCTAssertEqual(try fb.packetResults().map(\.sequenceNumber), [65533, 65534, 65535, 0, 1, 2])
        try assertRoundTrip(arrivals)
    }

    func testChunkSelectionIsCompact() throws {
        // 20 small deltas → one run-length chunk.
        let run = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0,
                               arrivals: (0..<20).map { .init(sequenceNumber: UInt16($0), time: Int64($0) * 1000) })
        XCTAssertEqual(run.chunks, [.runLength(status: .receivedSmallDelta, length: 20)])
        // Alternating received/lost → one-bit vectors of 14.
        let alternating = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0,
                                       arrivals: (0..<28).map { .init(sequenceNumber: UInt16($0), time: $0 % 2 == 0 ? Int64($0) * 1000 : nil) })
        XCTAssertEqual(alternating.chunks.count, 2)
        XCTAssertTrue(alternating.chunks.allSatisfy { if case .oneBitVector = $0 { true } else { false } })
        // A large delta among mixed statuses forces a two-bit vector.
        let mixed = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 1, time: 500_000), .init(sequenceNumber: 2, time: nil),
            .init(sequenceNumber: 3, time: 501_000)])
        XCTAssertEqual(mixed.chunks, [.twoBitVector([.receivedSmallDelta, .receivedLargeDelta, .notReceived,
                                                     .receivedSmallDelta, .notReceived, .notReceived, .notReceived])])
        // Long loss runs beyond 8191 split into several run-length chunks.
        let longLoss = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 20000, time: 1000)])
        XCTAssertEqual(longLoss.chunks.count, 5)
        try assertRoundTrip([.init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 20000, time: 1000)])
    }

    func testDuplicateKeepsFirstArrival() throws {
        let fb = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 1, time: nil), .init(sequenceNumber: 1, time: 64_000), .init(sequenceNumber: 1, time: 128_000)])
        XCTAssertEqual(try fb.packetResults().map(\.arrivalTime), [64_000])
    }

    func testBuilderLimits() {
        XCTAssertThrowsError(try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: []))
        // Span above 32768 statuses.
        XCTAssertThrowsError(try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 32768, time: 0)]))
        XCTAssertNoThrow(try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 32767, time: 0)]))
        // Delta beyond ±8.19 s.
        XCTAssertThrowsError(try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 1, time: 9_000_000)]))
        // Extreme clock values do not trap.
        XCTAssertThrowsError(try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [
            .init(sequenceNumber: 0, time: .min), .init(sequenceNumber: 1, time: .max)]))
    }

    func testReferenceTimeWrapsInto24Bits() throws {
        let time: Int64 = (1 << 24) * 64_000 + 5 * 64_000 + 1_000
        let fb = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [.init(sequenceNumber: 0, time: time)])
        XCTAssertEqual(fb.referenceTime, 5)
        XCTAssertEqual(try fb.packetResults().first?.arrivalTime, 5 * 64_000 + 1_000)
        let negative = try Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0, arrivals: [.init(sequenceNumber: 0, time: -1)])
        XCTAssertEqual(negative.referenceTime, -1)
        XCTAssertEqual(try negative.packetResults().first?.arrivalTime, -250)
    }

    func testHostileStatusCounts() {
        // Count 65535 with a single run chunk: over the cap, rejected before allocating.
        let over = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 ff ff 00 00 00 00 1f ff 00 00")
        XCTAssertThrowsError(try RTCPCompound.parse(over)) { XCTAssertEqual($0 as? RTCPError, .limitExceeded) }
        // Count 0 is meaningless.
        let zero = hex("8f cd 00 04 00 00 00 01 00 00 00 02 00 00 00 00 00 00 00 00")
        XCTAssertThrowsError(try RTCPCompound.parse(zero)) { XCTAssertEqual($0 as? RTCPError, .invalidValue) }
        // Count 8191 of received packets with no deltas present: truncated.
        let missing = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 1f ff 00 00 00 00 3f ff 00 00")
        XCTAssertThrowsError(try RTCPCompound.parse(missing)) { XCTAssertEqual($0 as? RTCPError, .truncated) }
        // Chunks that never cover the count run out of bytes.
        let uncovered = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 10 00 00 00 00 00 00 00 00")
        XCTAssertThrowsError(try RTCPCompound.parse(uncovered))
        // Trailing garbage after the deltas.
        let trailing = hex("8f cd 00 06 00 00 00 01 00 00 00 02 00 00 00 01 00 00 00 00 00 01 00 00 01 02 03 04")
        XCTAssertThrowsError(try RTCPCompound.parse(trailing)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
    }

    func testInconsistentRawFieldsDoNotSerialize() {
        var fb = try! Feedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0,
                               arrivals: [.init(sequenceNumber: 0, time: 0), .init(sequenceNumber: 1, time: 1000)])
        fb.receiveDeltas.removeLast()
        XCTAssertThrowsError(try RTCPPacket.transportWideFeedback(fb).serialized())
        fb.receiveDeltas = [0, 1, 2]
        XCTAssertThrowsError(try RTCPPacket.transportWideFeedback(fb).serialized())
        fb.receiveDeltas = [0, 300]  // too big for the small-delta status
        XCTAssertThrowsError(try RTCPPacket.transportWideFeedback(fb).serialized())
        fb.receiveDeltas = [0, 1]
        fb.chunks.append(.runLength(status: .notReceived, length: 3))  // superfluous chunk
        XCTAssertThrowsError(try RTCPPacket.transportWideFeedback(fb).serialized())
    }
}
