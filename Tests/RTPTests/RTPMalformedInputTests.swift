import XCTest
@testable import RTP

/// Hostile and malformed input: both parsers throw typed errors and never trap.
final class RTPMalformedInputTests: XCTestCase {
    private func assertThrows(_ bytes: [UInt8], _ expected: RTPParseError, file: StaticString = #filePath, line: UInt = #line) {
        do {
            _ = try RTPPacket(parsing: bytes)
            XCTFail("parsed", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
        XCTAssertThrowsError(try validateView(bytes).get(), "view", file: file, line: line) { error in
            XCTAssertEqual(error as? RTPParseError, expected, "view", file: file, line: line)
        }
    }

    private let fullPacket = RTPPacket(
        marker: true, payloadType: 96, sequenceNumber: 7, timestamp: 8, ssrc: 9, csrcs: [1, 2],
        headerExtension: .twoByte(appBits: 0, [RTPExtensionElement(id: 1, value: [1, 2, 3])!]),
        payload: [0xF0, 0xF1, 0xF2, 0xF3], paddingLength: 4
    ).serialized()

    func testEveryTruncationIsRejected() {
        // RTP has no length field, so a cut packet can be valid by accident; this one is built so
        // that it cannot: with the P bit set, every strict prefix either ends inside the header
        // or ends on a byte (0 or 0xF0...) that is not a possible padding count.
        for length in 0..<fullPacket.count {
            let prefix = Array(fullPacket.prefix(length))
            XCTAssertThrowsError(try RTPPacket(parsing: prefix), "length \(length)")
            XCTAssertThrowsError(try validateView(prefix).get(), "length \(length)")
        }
        XCTAssertNoThrow(try RTPPacket(parsing: fullPacket))
    }

    func testHeaderErrors() {
        assertThrows([], .truncated)
        assertThrows(Array(repeating: 0x80, count: 11), .truncated)
        for version: UInt8 in [0, 1, 3] {
            var bytes = fullPacket
            bytes[0] = (bytes[0] & 0x3F) | (version << 6)
            assertThrows(bytes, .unsupportedVersion(version))
        }
        // CC = 15 but no CSRCs follow.
        assertThrows([0x8F, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4], .truncated)
        assertThrows([0x80] + Array(repeating: 0, count: 65_535), .tooLarge)
    }

    func testPaddingErrors() {
        let base = hex("a0 60 00 01 00 00 00 02 00 00 00 03")
        assertThrows(base, .invalidPadding)                      // P set, nothing after header
        assertThrows(base + [1, 2, 0], .invalidPadding)          // count 0
        assertThrows(base + [1, 2, 4], .invalidPadding)          // count larger than what follows
        XCTAssertEqual(try RTPPacket(parsing: base + [1, 2, 3]).payload, [])  // padding == payload area
        XCTAssertEqual(try RTPPacket(parsing: base + [1, 2, 2]).payload, [1])
    }

    func testExtensionErrors() {
        let base = hex("90 60 00 01 00 00 00 02 00 00 00 03")
        assertThrows(base + [0xBE, 0xDE], .truncated)                          // no room for length
        assertThrows(base + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA], .extensionOverflow)
        assertThrows(base + [0xBE, 0xDE, 0xFF, 0xFF] + Array(repeating: 0, count: 64), .extensionOverflow)
        // One-byte element of 3 bytes in a 1-word block with 2 bytes left.
        assertThrows(base + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x22, 0xBB], .malformedExtensionElement)
        // Two-byte element whose length byte is missing / too long.
        assertThrows(base + [0x10, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05], .malformedExtensionElement)
        assertThrows(base + [0x10, 0x00, 0x00, 0x01, 0x01, 0x03, 0xAA, 0xBB], .malformedExtensionElement)
        // The extension may not spill into padding: P set, count covers part of the extension.
        var padded = base + [0xBE, 0xDE, 0x00, 0x01, 0x10, 0xAA, 0x00, 0x00, 0x09]
        padded[0] |= 0x20
        assertThrows(padded, .invalidPadding)
    }

    func testTooManyExtensionElements() throws {
        // 256 two-byte zero-length elements: 512 bytes = 128 words.
        let base = hex("90 60 00 01 00 00 00 02 00 00 00 03 10 00 00 80")
        var body: [UInt8] = []
        for _ in 0..<256 { body += [0x01, 0x00] }
        assertThrows(base + body, .tooManyExtensionElements)
        body = Array(body.prefix(510)) + [0, 0]
        XCTAssertEqual(try RTPPacket(parsing: base + body).headerExtension?.elements.count, 255)
    }

    func testRandomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 30)
        for _ in 0..<10_000 {
            var bytes = randomBytes(Int.random(in: 0...80, using: &rng), using: &rng)
            if !bytes.isEmpty && Bool.random(using: &rng) { bytes[0] = (bytes[0] & 0x3F) | 0x80 }
            if let packet = try? RTPPacket(parsing: bytes) { _ = packet.serialized() }
            bytes.withUnsafeBytes { buffer in
                if let view = try? RTPHeaderView(validating: buffer) {
                    for id in UInt8(0)...15 { _ = view.extensionRange(id: id, in: buffer) }
                }
            }
        }
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SeededGenerator(seed: 31)
        var accepted = 0
        for _ in 0..<10_000 {
            var bytes = randomPacket(using: &rng).serialized()
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard !bytes.isEmpty else { break }
                switch Int.random(in: 0..<4, using: &rng) {
                case 0: bytes[Int.random(in: 0..<bytes.count, using: &rng)] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes[0] ^= 1 << UInt8.random(in: 0...7, using: &rng)  // X, P, CC bits
                case 2: bytes.removeLast(Int.random(in: 0...min(6, bytes.count), using: &rng))
                default: bytes += randomBytes(Int.random(in: 1...6, using: &rng), using: &rng)
                }
            }
            if let packet = try? RTPPacket(parsing: bytes) {
                accepted += 1
                XCTAssertEqual(try RTPPacket(parsing: packet.serialized()), packet)
            }
            bytes.withUnsafeMutableBytes { buffer in
                let readOnly = UnsafeRawBufferPointer(buffer)
                if let view = try? RTPHeaderView(validating: readOnly) {
                    _ = view.extensionRange(id: UInt8.random(in: 0...255, using: &rng), in: readOnly)
                }
                _ = RTPHeaderView.setExtensionValue(id: UInt8.random(in: 1...20, using: &rng), to: [1, 2], in: buffer)
                _ = RTPHeaderView.setExtensionID(UInt8.random(in: 1...20, using: &rng), to: 3, in: buffer)
                _ = RTPHeaderView.setSequenceNumber(1, in: buffer)
            }
        }
        XCTAssertGreaterThan(accepted, 0)
    }
}
