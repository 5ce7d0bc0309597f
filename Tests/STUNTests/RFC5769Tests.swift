import XCTest
@testable import STUN

/// RFC 5769 test vectors: parse, verify, re-serialize.
final class RFC5769Tests: XCTestCase {
    private let key = STUNCredentials.shortTermKey(password: RFC5769.shortTermPassword)

    // MARK: §2.1 Sample Request

    func testSampleRequestParses() throws {
        let message = try STUNMessage(parsing: RFC5769.request)
        XCTAssertEqual(message.messageType, .bindingRequest)
        XCTAssertEqual(message.transactionID, RFC5769.transactionID)
        XCTAssertEqual(message.attributes.map(\.type), [
            .software, .priority, .iceControlled, .username, .messageIntegrity, .fingerprint,
        ])
        XCTAssertEqual(message.attributes[0], .software("STUN test client"))
        XCTAssertEqual(message.priority, 0x6E00_01FF)
        XCTAssertEqual(message.iceControlled, 0x932F_F9B1_5126_3B36)
        XCTAssertEqual(message.username, "evtj:h6vY")
        XCTAssertEqual(message.attributes[4], .messageIntegrity(hex("9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2")))
        XCTAssertEqual(message.attributes[5], .fingerprint(0xE57A_3BCF))
        XCTAssertTrue(message.unknownComprehensionRequiredAttributes.isEmpty)
    }

    func testSampleRequestVerifies() throws {
        let message = try STUNMessage(parsing: RFC5769.request)
        XCTAssertTrue(message.verifyMessageIntegrity(rawBytes: RFC5769.request, key: key))
        XCTAssertTrue(message.verifyFingerprint(rawBytes: RFC5769.request))
        XCTAssertFalse(message.verifyMessageIntegrity(rawBytes: RFC5769.request, key: Array("wrong".utf8)))
    }

    func testSampleRequestReserializes() throws {
        let message = try STUNMessage(parsing: RFC5769.request)
        // Kept MI/FP values: identical except USERNAME's padding, which the RFC fills with
        // spaces and we fill with zeros (offsets 73...75).
        var expected = RFC5769.request
        expected[73...75] = [0, 0, 0]
        XCTAssertEqual(message.serialized(), expected)

        // Recomputed MI/FP over zero padding: valid, and equal to libwebrtc's published HMAC for
        // the zero-padded request (kCalculatedHmac1 in its stun_unittest.cc).
        let fresh = message.serialized(integrityKey: key, addFingerprint: true)
        let reparsed = try STUNMessage(parsing: fresh)
        XCTAssertTrue(reparsed.verifyMessageIntegrity(rawBytes: fresh, key: key))
        XCTAssertTrue(reparsed.verifyFingerprint(rawBytes: fresh))
        XCTAssertEqual(reparsed.attributes[4], .messageIntegrity(hex("7907c2d2edbfea480e4c76d82962d5c3742af9e3")))
        XCTAssertEqual(Array(reparsed.attributes.prefix(4)), Array(message.attributes.prefix(4)))
        XCTAssertEqual(fresh.count, RFC5769.request.count)
    }

    // MARK: §2.2 Sample IPv4 Response

    func testIPv4ResponseParsesAndVerifies() throws {
        let message = try STUNMessage(parsing: RFC5769.ipv4Response)
        XCTAssertEqual(message.messageType, .bindingSuccess)
        XCTAssertEqual(message.transactionID, RFC5769.transactionID)
        XCTAssertEqual(message.attributes[0], .software("test vector"))
        XCTAssertEqual(message.mappedAddress, STUNAddress(ipv4: 192, 0, 2, 1, port: 32853))
        XCTAssertEqual(message.mappedAddress?.description, "192.0.2.1:32853")
        XCTAssertTrue(message.verifyMessageIntegrity(rawBytes: RFC5769.ipv4Response, key: key))
        XCTAssertTrue(message.verifyFingerprint(rawBytes: RFC5769.ipv4Response))
    }

    func testIPv4ResponseReserializes() throws {
        let message = try STUNMessage(parsing: RFC5769.ipv4Response)
        var expected = RFC5769.ipv4Response
        expected[35] = 0  // SOFTWARE's single padding byte: space in the RFC, zero here
        XCTAssertEqual(message.serialized(), expected)

        let fresh = message.serialized(integrityKey: key, addFingerprint: true)
        let reparsed = try STUNMessage(parsing: fresh)
        XCTAssertTrue(reparsed.verifyMessageIntegrity(rawBytes: fresh, key: key))
        XCTAssertTrue(reparsed.verifyFingerprint(rawBytes: fresh))
        // libwebrtc's kCalculatedHmac2: the same response with zero padding.
        XCTAssertEqual(reparsed.attributes[2], .messageIntegrity(hex("5d6b58bead94e07eef0dfc1282a2bd0843141028")))
        XCTAssertEqual(Array(fresh.prefix(52)), Array(expected.prefix(52)))
    }

    // MARK: §2.3 Sample IPv6 Response

    func testIPv6ResponseParsesVerifiesAndReserializes() throws {
        let message = try STUNMessage(parsing: RFC5769.ipv6Response)
        XCTAssertEqual(message.messageType, .bindingSuccess)
        let expectedAddress = STUNAddress(host: "2001:db8:1234:5678:11:2233:4455:6677", port: 32853)
        XCTAssertNotNil(expectedAddress)
        XCTAssertEqual(message.mappedAddress, expectedAddress)
        XCTAssertEqual(message.mappedAddress?.description, "[2001:db8:1234:5678:11:2233:4455:6677]:32853")
        XCTAssertTrue(message.verifyMessageIntegrity(rawBytes: RFC5769.ipv6Response, key: key))
        XCTAssertTrue(message.verifyFingerprint(rawBytes: RFC5769.ipv6Response))

        var expected = RFC5769.ipv6Response
        expected[35] = 0
        XCTAssertEqual(message.serialized(), expected)
        let fresh = message.serialized(integrityKey: key, addFingerprint: true)
        XCTAssertTrue(try STUNMessage(parsing: fresh).verifyMessageIntegrity(rawBytes: fresh, key: key))
        XCTAssertEqual(Array(fresh.prefix(64)), Array(expected.prefix(64)))
    }

    // MARK: §2.4 Long-term credentials

    func testLongTermRequest() throws {
        let message = try STUNMessage(parsing: RFC5769.longTermRequest)
        XCTAssertEqual(message.messageType, .bindingRequest)
        XCTAssertEqual(message.transactionID, STUNTransactionID(0x78AD_3433, 0xC6AD_72C0, 0x29DA_412E))
        let username = "\u{30DE}\u{30C8}\u{30EA}\u{30C3}\u{30AF}\u{30B9}"
        XCTAssertEqual(message.username, username)
        XCTAssertEqual(message.attributes[1], .nonce("f//499k954d6OL34oL9FSTvy64sA"))
        XCTAssertEqual(message.attributes[2], .realm("example.org"))
        // The password "The\u{AD}M\u{AA}tr\u{2168}" after SASLprep is "TheMatrIX".
        let key = STUNCredentials.longTermKey(username: username, realm: "example.org", password: "TheMatrIX")
        XCTAssertEqual(key.count, 16)
        XCTAssertTrue(message.verifyMessageIntegrity(rawBytes: RFC5769.longTermRequest, key: key))
        XCTAssertFalse(message.verifyFingerprint(rawBytes: RFC5769.longTermRequest))
        // Zero padding throughout, so re-serialization is byte-exact both ways.
        XCTAssertEqual(message.serialized(), RFC5769.longTermRequest)
        XCTAssertEqual(message.serialized(integrityKey: key), RFC5769.longTermRequest)
    }
}
