import XCTest
@testable import STUN

/// Hostile and malformed input: the parser throws a typed error and never traps.
final class STUNMalformedInputTests: XCTestCase {
    private let key = STUNCredentials.shortTermKey(password: RFC5769.shortTermPassword)

    private func assertThrows(
        _ bytes: [UInt8], _ expected: STUNParseError, file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            _ = try STUNMessage(parsing: bytes)
            XCTFail("parsed", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    /// A header for a Binding request with `length` bytes of attributes following.
    private func header(length: Int) -> [UInt8] {
        [0x00, 0x01, UInt8(length >> 8), UInt8(length & 0xFF), 0x21, 0x12, 0xA4, 0x42] + Array(repeating: 7, count: 12)
    }

    func testEveryTruncationIsRejected() {
        for vector in [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response, RFC5769.longTermRequest] {
            for length in 0..<vector.count {
                let prefix = Array(vector.prefix(length))
                XCTAssertThrowsError(try STUNMessage(parsing: prefix), "length \(length)")
                if let message = try? STUNMessage(parsing: RFC5769.request) {
                    XCTAssertFalse(message.verifyFingerprint(rawBytes: prefix))
                    XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: prefix, key: key))
                }
            }
        }
    }

    func testHeaderChecks() {
        assertThrows([], .truncated)
        assertThrows(Array(RFC5769.request.prefix(19)), .truncated)
        var bytes = RFC5769.request
        bytes[0] |= 0x40
        assertThrows(bytes, .notSTUN)
        bytes = RFC5769.request
        bytes[4] = 0x21; bytes[7] = 0x43
        assertThrows(bytes, .badMagicCookie)
        bytes = RFC5769.request
        bytes[3] = 0x57  // not a multiple of 4
        assertThrows(bytes, .badLength)
        bytes[3] = 0x54  // shorter than the datagram
        assertThrows(bytes, .badLength)
        bytes[3] = 0x5C  // longer than the datagram
        assertThrows(bytes, .truncated)
        assertThrows(RFC5769.request + [0, 0, 0, 0], .badLength)
        // Header only: a valid, empty message.
        XCTAssertEqual(try STUNMessage(parsing: header(length: 0)).attributes, [])
    }

    func testAttributeLengthBounds() {
        // Attribute value claims 8 bytes but only 4 remain.
        assertThrows(header(length: 8) + [0x80, 0x22, 0x00, 0x08, 1, 2, 3, 4], .truncated)
        // Value fits but its padding does not.
        assertThrows(header(length: 8) + [0x80, 0x22, 0x00, 0x05, 1, 2, 3, 4], .truncated)
        // A dangling partial header is impossible with length % 4 == 0, but a 4-byte one with
        // an impossible length is not.
        assertThrows(header(length: 4) + [0x00, 0x06, 0xFF, 0xFF], .truncated)
    }

    func testInvalidKnownAttributeValues() {
        func single(_ type: UInt16, _ value: [UInt8]) -> [UInt8] {
            let padded = value + Array(repeating: 0, count: (4 - value.count % 4) % 4)
            return header(length: 4 + padded.count) + [UInt8(type >> 8), UInt8(type & 0xFF), 0, UInt8(value.count)] + padded
        }
        assertThrows(single(0x0024, [1, 2, 3]), .invalidAttribute(type: 0x0024))           // PRIORITY
        assertThrows(single(0x0025, [1]), .invalidAttribute(type: 0x0025))                 // USE-CANDIDATE
        assertThrows(single(0x8029, [1, 2, 3, 4]), .invalidAttribute(type: 0x8029))        // ICE-CONTROLLED
        assertThrows(single(0x802A, Array(repeating: 0, count: 12)), .invalidAttribute(type: 0x802A))
        assertThrows(single(0x0008, Array(repeating: 0, count: 16)), .invalidAttribute(type: 0x0008))
        assertThrows(single(0x001C, Array(repeating: 0, count: 12)), .invalidAttribute(type: 0x001C))
        assertThrows(single(0x8028, [1, 2]), .invalidAttribute(type: 0x8028))
        assertThrows(single(0x0020, [0, 3, 0, 1, 1, 2, 3, 4]), .invalidAttribute(type: 0x0020))  // family 3
        assertThrows(single(0x0020, [0, 1, 0, 1, 1, 2, 3]), .invalidAttribute(type: 0x0020))     // short v4
        assertThrows(single(0x0001, [0, 2, 0, 1, 1, 2, 3, 4]), .invalidAttribute(type: 0x0001))  // v6 too short
        assertThrows(single(0x0009, [0, 0, 2, 0]), .invalidAttribute(type: 0x0009))        // class 2
        assertThrows(single(0x0009, [0, 0, 4, 100]), .invalidAttribute(type: 0x0009))      // number 100
        assertThrows(single(0x0009, [0, 0, 4]), .invalidAttribute(type: 0x0009))
        assertThrows(single(0x000A, [0, 1, 0]), .invalidAttribute(type: 0x000A))
        assertThrows(single(0x0006, [0xFF, 0xFE]), .invalidText(type: 0x0006))             // bad UTF-8
        assertThrows(single(0x8022, [0xC3]), .invalidText(type: 0x8022))
        let longUsername = [UInt8](repeating: 0x61, count: 513)
        let padded = longUsername + [0, 0, 0]
        assertThrows(header(length: 4 + padded.count) + [0x00, 0x06, 0x02, 0x01] + padded, .invalidText(type: 0x0006))
    }

    func testFingerprintMustBeLast() {
        var bytes = STUNMessage(type: .bindingRequest, attributes: [.fingerprint(1), .software("x")]).serialized()
        assertThrows(bytes, .fingerprintNotLast)
        bytes = RFC5769.request + [0x80, 0x22, 0x00, 0x00]
        bytes[3] += 4
        assertThrows(bytes, .fingerprintNotLast)
    }

    func testTooManyAttributes() throws {
        let ok = STUNMessage(type: .bindingRequest, attributes: Array(repeating: .useCandidate, count: 64))
        XCTAssertEqual(try STUNMessage(parsing: ok.serialized()).attributes.count, 64)
        let tooMany = STUNMessage(type: .bindingRequest, attributes: Array(repeating: .useCandidate, count: 65))
        assertThrows(tooMany.serialized(), .tooManyAttributes)
    }

    func testWrongKeyAndCorruptionFailVerification() throws {
        let message = try STUNMessage(parsing: RFC5769.request)
        XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: RFC5769.request, key: []))
        // (Not `key + [0]`: HMAC zero-pads keys, so that one is equivalent.)
        XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: RFC5769.request, key: key + [1]))
        XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: RFC5769.request, key: Array(key.dropLast())))
        for index in 0..<RFC5769.request.count {
            var corrupted = RFC5769.request
            corrupted[index] ^= 0x01
            // The fingerprint covers every byte; MI covers everything before the FINGERPRINT.
            XCTAssertFalse(message.verifyFingerprint(rawBytes: corrupted), "FP byte \(index)")
            if index < RFC5769.request.count - 8 {
                XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: corrupted, key: key), "MI byte \(index)")
            }
        }
        // Missing attributes: false, not a crash.
        let bare = STUNMessage(type: .bindingRequest).serialized()
        XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: bare, key: key))
        XCTAssertFalse(message.verifyFingerprint(rawBytes: bare))
        XCTAssertFalse(message.verifyFingerprint(rawBytes: []))
        XCTAssertFalse(message.verifyMessageIntegritySHA256(rawBytes: RFC5769.request, key: key))
    }

    func testRandomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 1)
        for _ in 0..<10_000 {
            let count = Int.random(in: 0...120, using: &rng)
            var bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Half the time make the header plausible so the attribute walker is exercised.
            if count >= 20 && Bool.random(using: &rng) {
                bytes[0] &= 0x3F
                bytes[2] = UInt8((count - 20) >> 8); bytes[3] = UInt8((count - 20) & 0xFC)
                bytes[4...7] = [0x21, 0x12, 0xA4, 0x42]
            }
            if let message = try? STUNMessage(parsing: bytes) {
                _ = message.serialized()
                _ = message.verifyFingerprint(rawBytes: bytes)
                _ = message.verifyMessageIntegrity(rawBytes: bytes, key: key)
            }
        }
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SeededGenerator(seed: 2)
        let seeds = [RFC5769.request, RFC5769.ipv4Response, RFC5769.ipv6Response, RFC5769.longTermRequest]
        var parsedCount = 0
        for iteration in 0..<10_000 {
            var bytes = seeds[iteration % seeds.count]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                switch Int.random(in: 0..<4, using: &rng) {
                case 0:  // flip a byte
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 1:  // hit a length field (header or an attribute header at a 4-byte boundary)
                    let i = 4 * Int.random(in: 0..<(bytes.count / 4), using: &rng) + 2
                    if i + 1 < bytes.count { bytes[i] = UInt8.random(in: 0...255, using: &rng); bytes[i + 1] = UInt8.random(in: 0...255, using: &rng) }
                case 2:  // truncate
                    bytes.removeLast(Int.random(in: 0...min(8, bytes.count), using: &rng))
                default:  // append
                    bytes += (0..<Int.random(in: 1...8, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
                }
                if bytes.isEmpty { break }
            }
            if let message = try? STUNMessage(parsing: bytes) {
                parsedCount += 1
                _ = message.verifyMessageIntegrity(rawBytes: bytes, key: key)
                _ = message.verifyFingerprint(rawBytes: bytes)
                // Whatever parses must re-serialize into something that parses to the same value.
                XCTAssertEqual(try STUNMessage(parsing: message.serialized()), message)
            }
        }
        XCTAssertGreaterThan(parsedCount, 0)
    }
}
