import XCTest
@testable import RTCP

/// Hostile and malformed input: parsers must throw typed errors and never trap.
final class RTCPRobustnessTests: XCTestCase {
    static var validCompound: [UInt8] {
        try! RTCPCompound.serialize(RTCPRoundTripTests.samples)
    }

    func testEveryTruncationOfAValidCompound() {
        let bytes = Self.validCompound
        // Packet boundaries: truncating exactly there is a clean (shorter) compound.
        var boundaries: Set<Int> = [0]
        var offset = 0
        while let header = RTCPHeader.peek(Array(bytes[offset...])) {
            offset += header.packetSize
            boundaries.insert(offset)
            if offset >= bytes.count { break }
        }
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            let (packets, error) = RTCPCompound.parsePrefix(prefix)
            if length == 0 {
                XCTAssertEqual(error, .truncated)
            } else if boundaries.contains(length) {
                XCTAssertNil(error, "length \(length)")
                XCTAssertEqual(packets, Array(RTCPRoundTripTests.samples.prefix(packets.count)))
            } else {
                XCTAssertEqual(error, .truncated, "length \(length)")
                XCTAssertThrowsError(try RTCPCompound.parse(prefix))
                // Everything before the cut is still delivered.
                XCTAssertEqual(packets, Array(RTCPRoundTripTests.samples.prefix(packets.count)))
            }
        }
    }

    func testParsePrefixKeepsPacketsBeforeGarbage() throws {
        let good = try RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)).serialized()
        let (packets, error) = RTCPCompound.parsePrefix(good + [0x00, 0x01, 0x02, 0x03])
        XCTAssertEqual(packets.count, 1)
        XCTAssertEqual(error, .invalidVersion(0))
    }

    func testLengthFieldTooLarge() {
        let bytes = hex("81 c9 ff ff 00 00 00 01")
        XCTAssertThrowsError(try RTCPCompound.parse(bytes)) { XCTAssertEqual($0 as? RTCPError, .truncated) }
    }

    func testCountsInconsistentWithLength() {
        // RR claiming 2 blocks with room for 1.
        let rr = hex("82 c9 00 07 00 00 00 01") + [UInt8](repeating: 0, count: 24)
        XCTAssertThrowsError(try RTCPCompound.parse(rr)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // SR claiming 31 blocks with none present.
        let sr = hex("9f c8 00 06") + [UInt8](repeating: 0, count: 24)
        XCTAssertThrowsError(try RTCPCompound.parse(sr)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // SDES with SC=2 and one chunk.
        let sdes = hex("82 ca 00 02 00 00 00 01 01 01 61 00")
        XCTAssertThrowsError(try RTCPCompound.parse(sdes))
        // SDES with SC=1 and a second chunk after it.
        let sdesExtra = hex("81 ca 00 03 00 00 00 01 00 00 00 00 00 00 00 02")
        XCTAssertThrowsError(try RTCPCompound.parse(sdesExtra)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // SDES item running past the chunk.
        let sdesLong = hex("81 ca 00 02 00 00 00 01 01 ff 61 00")
        XCTAssertThrowsError(try RTCPCompound.parse(sdesLong)) { XCTAssertEqual($0 as? RTCPError, .truncated) }
        // SDES chunk with no END octet.
        let sdesNoEnd = hex("81 ca 00 02 00 00 00 01 01 02 61 62")
        XCTAssertThrowsError(try RTCPCompound.parse(sdesNoEnd))
        // BYE with SC=3 and two SSRCs.
        let bye = hex("83 cb 00 02 00 00 00 01 00 00 00 02")
        XCTAssertThrowsError(try RTCPCompound.parse(bye)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // BYE reason longer than the packet.
        let byeReason = hex("81 cb 00 02 00 00 00 01 09 61 62 63")
        XCTAssertThrowsError(try RTCPCompound.parse(byeReason)) { XCTAssertEqual($0 as? RTCPError, .truncated) }
        // REMB with Num SSRC 2 and one SSRC.
        let remb = hex("8f ce 00 05 00 00 00 01 00 00 00 00 52 45 4d 42 02 00 00 01 00 00 00 09")
        XCTAssertThrowsError(try RTCPCompound.parse(remb)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // FIR with a half entry.
        let fir = hex("84 ce 00 03 00 00 00 01 00 00 00 00 00 00 00 2a")
        XCTAssertThrowsError(try RTCPCompound.parse(fir)) { XCTAssertEqual($0 as? RTCPError, .inconsistentLength) }
        // PLI without the media SSRC.
        let pli = hex("81 ce 00 01 00 00 00 01")
        XCTAssertThrowsError(try RTCPCompound.parse(pli)) { XCTAssertEqual($0 as? RTCPError, .truncated) }
    }

    func testBadPaddingAndVersion() {
        // P bit with a zero padding count (as in pion's TWCC "example3" capture).
        XCTAssertThrowsError(try RTCPCompound.parse(hex("a0 cc 00 01 00 00 00 00"))) {
            XCTAssertEqual($0 as? RTCPError, .invalidPadding)
        }
        // Padding count eating into the header.
        XCTAssertThrowsError(try RTCPCompound.parse(hex("a0 cc 00 01 00 00 00 08"))) {
            XCTAssertEqual($0 as? RTCPError, .invalidPadding)
        }
        XCTAssertThrowsError(try RTCPCompound.parse(hex("41 c9 00 01 00 00 00 00"))) {
            XCTAssertEqual($0 as? RTCPError, .invalidVersion(1))
        }
        // Trailing bytes shorter than a header.
        XCTAssertThrowsError(try RTCPCompound.parse(hex("80 c9 00 01 00 00 00 00 80"))) {
            XCTAssertEqual($0 as? RTCPError, .truncated)
        }
        XCTAssertThrowsError(try RTCPCompound.parse([]))
    }

    func testUnknownTypesAreSkippedNotFatal() throws {
        let bytes = hex("""
            80 d0 00 01 01 02 03 04
            83 cd 00 02 00 00 00 01 00 00 00 02
            8f ce 00 03 00 00 00 01 00 00 00 00 41 42 43 44
            81 ce 00 02 00 00 00 01 00 00 00 02
            """)
        let packets = try RTCPCompound.parse(bytes)
        XCTAssertEqual(packets.count, 4)
        XCTAssertEqual(packets[0], .unknown(packetType: 208, count: 0, body: [1, 2, 3, 4]))
        XCTAssertEqual(packets[1], .unknown(packetType: 205, count: 3, body: [0, 0, 0, 1, 0, 0, 0, 2]))
        XCTAssertEqual(packets[2].packetType, 206)
        XCTAssertEqual(packets[3], .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)))
    }

    func testTooManyPacketsInOneCompound() {
        let one: [UInt8] = [0x80, 0xCC, 0, 0]
        let bytes = Array([[UInt8]](repeating: one, count: RTCPCompound.maxPackets + 1).joined())
        let (packets, error) = RTCPCompound.parsePrefix(bytes)
        XCTAssertEqual(packets.count, RTCPCompound.maxPackets)
        XCTAssertEqual(error, .limitExceeded)
    }

    func testRandomBytesNeverTrap() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<5000 {
            let count = Int.random(in: 0...200, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Make most of them look like RTCP so the body parsers get exercised.
            if count >= 4, Bool.random(using: &rng) {
                bytes[0] = 0x80 | (bytes[0] & 0x3F)
                bytes[1] = UInt8.random(in: 200...207, using: &rng)
                let words = count / 4 - 1
                bytes[2] = UInt8(words >> 8)
                bytes[3] = UInt8(words & 0xFF)
            }
            _ = RTCPCompound.parsePrefix(bytes)
        }
    }

    func testTenThousandMutationsNeverTrap() throws {
        var rng = SeededGenerator(seed: 2)
        let seeds: [[UInt8]] = [Self.validCompound] + RTCPRoundTripTests.samples.map { try! $0.serialized() }
        var parsedCount = 0
        for _ in 0..<10_000 {
            var bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...8, using: &rng) {
                guard !bytes.isEmpty else { break }
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<5, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[index] ^= 1 << UInt8.random(in: 0...7, using: &rng)
                case 2: bytes.remove(at: index)
                case 3: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                default: bytes.removeSubrange(index...)
                }
            }
            let (packets, error) = RTCPCompound.parsePrefix(bytes)
            if error == nil {
                parsedCount += 1
                // Whatever parses must re-serialize and parse to the same packets.
                let again = try RTCPCompound.serialize(packets)
                XCTAssertEqual(try RTCPCompound.parse(again), packets)
            }
        }
        XCTAssertGreaterThan(parsedCount, 0)
    }
}
