import XCTest
@testable import RTP

/// Serialize → parse → serialize for every packet shape (RFC 3550 §5.1, RFC 8285 §4).
final class RTPRoundTripTests: XCTestCase {
    private func assertRoundTrip(_ packet: RTPPacket, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = packet.serialized()
        let parsed = try RTPPacket(parsing: bytes)
        XCTAssertEqual(parsed, packet, file: file, line: line)
        XCTAssertEqual(parsed.serialized(), bytes, file: file, line: line)
    }

    func testMinimalPacketLayout() throws {
        let packet = RTPPacket(marker: true, payloadType: 111, sequenceNumber: 0x1234,
                               timestamp: 0xDEAD_BEEF, ssrc: 0x0102_0304, payload: [0xAA, 0xBB])
        XCTAssertEqual(packet.serialized(), hex("80 ef 12 34 de ad be ef 01 02 03 04 aa bb"))
        try assertRoundTrip(packet)
        try assertRoundTrip(RTPPacket(payloadType: 0, sequenceNumber: 0, timestamp: 0, ssrc: 0))
    }

    func testCSRCsAndPadding() throws {
        let csrcs = (1...15).map { UInt32($0) * 0x0101_0101 }
        try assertRoundTrip(RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: csrcs, payload: [1, 2, 3]))
        let padded = RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, csrcs: [9],
                               payload: [1, 2, 3], paddingLength: 5)
        let bytes = padded.serialized()
        XCTAssertEqual(bytes[0], 0xA1)  // V=2, P=1, CC=1
        XCTAssertEqual(Array(bytes.suffix(5)), [0, 0, 0, 0, 5])
        try assertRoundTrip(padded)
        // Padding-only packet (as used for bandwidth probing).
        try assertRoundTrip(RTPPacket(payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3, paddingLength: 255))
    }

    func testOneByteExtension() throws {
        // RFC 8285 §4.2 example layout: 0xBEDE, length 3 words, three elements, trailing padding.
        let bytes = hex("""
            90 60 00 01 00 00 00 02 00 00 00 03
            be de 00 03
            10 aa 21 bb bb 32 cc cc cc 00 00 00
            ff
            """)
        let packet = try RTPPacket(parsing: bytes)
        XCTAssertEqual(packet.headerExtension, .oneByte([element(1, [0xAA]), element(2, [0xBB, 0xBB]), element(3, [0xCC, 0xCC, 0xCC])]))
        XCTAssertEqual(packet.extensionValue(id: 2), [0xBB, 0xBB])
        XCTAssertNil(packet.extensionValue(id: 4))
        XCTAssertEqual(packet.payload, [0xFF])
        XCTAssertEqual(packet.serialized(), bytes)
        // 16-byte values and id 14 are the one-byte form's limits.
        try assertRoundTrip(RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                      headerExtension: .oneByte([element(14, Array(repeating: 7, count: 16))])))
        try assertRoundTrip(RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1, headerExtension: .oneByte([])))
    }

    func testOneBytePaddingBetweenElements() throws {
        // RFC 8285 §4.2: padding bytes may appear between elements; they are dropped and the
        // canonical re-encoding (padding only at the end) parses to the same value.
        let bytes = hex("""
            90 60 00 01 00 00 00 02 00 00 00 03
            be de 00 02
            00 10 aa 00 00 21 bb bb
            """)
        let packet = try RTPPacket(parsing: bytes)
        XCTAssertEqual(packet.headerExtension, .oneByte([element(1, [0xAA]), element(2, [0xBB, 0xBB])]))
        let canonical = packet.serialized()
        XCTAssertEqual(Array(canonical[12...]), hex("be de 00 02 10 aa 21 bb bb 00 00 00"))
        XCTAssertEqual(try RTPPacket(parsing: canonical), packet)
    }

    func testOneByteIDFifteenStopsParsing() throws {
        // RFC 8285 §4.2: id 15 terminates processing of the extension.
        let bytes = hex("90 60 00 01 00 00 00 02 00 00 00 03 be de 00 02 10 aa f3 11 22 33 44 55")
        XCTAssertEqual(try RTPPacket(parsing: bytes).headerExtension, .oneByte([element(1, [0xAA])]))
    }

    func testTwoByteExtension() throws {
        // Zero-length elements, padding bytes, app bits 0x5, and a long value.
        let bytes = hex("""
            90 60 00 01 00 00 00 02 00 00 00 03
            10 05 00 03
            01 00 00 02 01 aa ff 02 bb cc 00 00
            """)
        let packet = try RTPPacket(parsing: bytes)
        XCTAssertEqual(packet.headerExtension, .twoByte(appBits: 5, [element(1, []), element(2, [0xAA]), element(255, [0xBB, 0xCC])]))
        XCTAssertEqual(packet.extensionValue(id: 1), [])
        let canonical = packet.serialized()
        XCTAssertEqual(Array(canonical[12...]), hex("10 05 00 03 01 00 02 01 aa ff 02 bb cc 00 00 00"))
        XCTAssertEqual(try RTPPacket(parsing: canonical), packet)

        try assertRoundTrip(RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                      headerExtension: .twoByte(appBits: 0, [element(200, Array(repeating: 1, count: 255)), element(1, [])]),
                                      payload: [1]))
    }

    func testFormSelection() throws {
        let small = [element(1, [1]), element(14, Array(repeating: 2, count: 16))]
        XCTAssertEqual(RTPHeaderExtension.elements(small), .oneByte(small))
        for large in [[element(15, [1])], [element(1, [])], [element(1, Array(repeating: 0, count: 17))]] {
            XCTAssertEqual(RTPHeaderExtension.elements(large), .twoByte(appBits: 0, large))
            // A one-byte extension whose elements do not fit is written in the two-byte form.
            let bytes = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1, headerExtension: .oneByte(large)).serialized()
            XCTAssertEqual(Array(bytes[12..<14]), [0x10, 0x00])
            XCTAssertEqual(try RTPPacket(parsing: bytes).headerExtension, .twoByte(appBits: 0, large))
        }
        XCTAssertNil(RTPExtensionElement(id: 0, value: []))
        XCTAssertNil(RTPExtensionElement(id: 1, value: Array(repeating: 0, count: 256)))
    }

    func testUnknownProfileKeptRaw() throws {
        let bytes = hex("90 60 00 01 00 00 00 02 00 00 00 03 ab cd 00 02 01 02 03 04 05 06 07 08 99")
        let packet = try RTPPacket(parsing: bytes)
        XCTAssertEqual(packet.headerExtension, .other(profile: 0xABCD, data: [1, 2, 3, 4, 5, 6, 7, 8]))
        XCTAssertEqual(packet.payload, [0x99])
        XCTAssertEqual(packet.serialized(), bytes)
        // Unaligned raw data is zero-padded to a word.
        let unaligned = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                  headerExtension: .other(profile: 1, data: [1, 2, 3]))
        XCTAssertEqual(try RTPPacket(parsing: unaligned.serialized()).headerExtension, .other(profile: 1, data: [1, 2, 3, 0]))
    }

    func testSerializationMasksOutOfRangeFields() throws {
        let packet = RTPPacket(payloadType: 0xFF, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                               csrcs: Array(0..<20), payload: [1])
        let parsed = try RTPPacket(parsing: packet.serialized())
        XCTAssertEqual(parsed.payloadType, 0x7F)
        XCTAssertEqual(parsed.marker, false)
        XCTAssertEqual(parsed.csrcs, Array(0..<15))
    }

    func testRandomPacketsRoundTrip() throws {
        var rng = SeededGenerator(seed: 10)
        for _ in 0..<2_000 {
            try assertRoundTrip(randomPacket(using: &rng))
        }
    }
}
