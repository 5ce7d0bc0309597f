import XCTest
@testable import RTCP

final class GenericNACKTests: XCTestCase {
    func testPacksIntoPIDAndBitmask() {
        let items = GenericNACK.items(for: [100, 101, 116, 117, 103])
        XCTAssertEqual(items, [GenericNACK.Item(packetID: 100, lostBitmask: 0b1000_0000_0000_0101),
                               GenericNACK.Item(packetID: 117, lostBitmask: 0)])
        XCTAssertEqual(items.flatMap(\.sequenceNumbers), [100, 101, 103, 116, 117])
    }

    func testWrapAroundIsOneItem() {
        let items = GenericNACK.items(for: [1, 65535, 0, 65534])
        XCTAssertEqual(items, [GenericNACK.Item(packetID: 65534, lostBitmask: 0b111)])
        XCTAssertEqual(items[0].sequenceNumbers, [65534, 65535, 0, 1])
    }

    func testDuplicatesAndEmpty() {
        XCTAssertEqual(GenericNACK.items(for: []), [])
        XCTAssertEqual(GenericNACK.items(for: [5, 5, 5]), [GenericNACK.Item(packetID: 5)])
    }

    func testRandomSetsExpandBackExactly() throws {
        var rng = SeededGenerator(seed: 42)
        for _ in 0..<500 {
            let start = UInt16.random(in: 0...UInt16.max, using: &rng)
            let span = Int.random(in: 1...2000, using: &rng)
            let count = Int.random(in: 1...300, using: &rng)
            let lost = (0..<count).map { _ in start &+ UInt16(Int.random(in: 0..<span, using: &rng)) }
            let nack = GenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: lost)
            // Items never overlap, so the expansion is exactly the set, in wrap-aware order.
            let expanded = nack.lostSequenceNumbers
            XCTAssertEqual(expanded.count, Set(lost).count)
            XCTAssertEqual(Set(expanded), Set(lost))
            let offsets = expanded.map { Int($0 &- start) }
            XCTAssertEqual(offsets, offsets.sorted())
            let parsed = try RTCPCompound.parse(RTCPPacket.genericNACK(nack).serialized())
            XCTAssertEqual(parsed, [.genericNACK(nack)])
        }
    }

    func testEveryDenseRangeUsesMinimalItems() {
        let lost = (0..<(17 * 5)).map { UInt16(65500 &+ UInt16($0)) }.map { $0 }
        XCTAssertEqual(GenericNACK.items(for: lost).count, 5)
    }

    func testRejectsEmptyAndOversizedFCI() {
        let empty = hex("81 cd 00 02 00 00 00 01 00 00 00 02")
        XCTAssertThrowsError(try RTCPCompound.parse(empty))
        var big = [UInt8](repeating: 0, count: 12 + 4 * (GenericNACK.maxItems + 1))
        big[0] = 0x81
        big[1] = 205
        let words = big.count / 4 - 1
        big[2] = UInt8(words >> 8)
        big[3] = UInt8(words & 0xFF)
        XCTAssertThrowsError(try RTCPCompound.parse(big)) { XCTAssertEqual($0 as? RTCPError, .limitExceeded) }
    }
}
