import XCTest
@testable import STUN

/// Every attribute, message class and address family survives serialize → parse.
final class STUNRoundTripTests: XCTestCase {
    private func roundTrip(_ message: STUNMessage, file: StaticString = #filePath, line: UInt = #line) throws {
        let bytes = message.serialized()
        XCTAssertEqual(bytes.count % 4, 0, file: file, line: line)
        let parsed = try STUNMessage(parsing: bytes)
        XCTAssertEqual(parsed, message, file: file, line: line)
        XCTAssertEqual(parsed.serialized(), bytes, file: file, line: line)
    }

    func testEveryAttributeRoundTrips() throws {
        let attributes: [STUNAttribute] = [
            .mappedAddress(STUNAddress(ipv4: 10, 0, 0, 1, port: 5000)),
            .mappedAddress(try XCTUnwrap(STUNAddress(host: "fe80::1", port: 1))),
            .xorMappedAddress(STUNAddress(ipv4: 203, 0, 113, 7, port: 65535)),
            .xorMappedAddress(try XCTUnwrap(STUNAddress(host: "2001:db8::ff00:42:8329", port: 0))),
            .username("abcd:efgh"),
            .username(""),
            .messageIntegrity(Array(0..<20)),
            .messageIntegritySHA256(Array(0..<32)),
            .errorCode(.roleConflict),
            .errorCode(STUNErrorCode(code: 699, reason: "")),
            .errorCode(STUNErrorCode(code: 300, reason: "Ünïcödé ✓")),
            .realm("example.org"),
            .nonce("abc"),
            .unknownAttributes([0x0001, 0x7FFF, 0xC001]),
            .unknownAttributes([0x0002]),
            .software("Switchboard 1.0"),
            .priority(0x6E00_01FF),
            .useCandidate,
            .iceControlled(0x0123_4567_89AB_CDEF),
            .iceControlling(.max),
            .unknown(type: 0x7FFE, value: [1, 2, 3]),
            .unknown(type: 0xC0DE, value: []),
        ]
        for attribute in attributes {
            try roundTrip(STUNMessage(type: .bindingRequest, attributes: [attribute]))
        }
        // All together; the integrity attributes go last because §14.5 drops what follows them.
        let integrity: [STUNAttribute] = [.messageIntegrity(Array(0..<20)), .messageIntegritySHA256(Array(0..<32))]
        let others = attributes.filter { !integrity.contains($0) }
        try roundTrip(STUNMessage(type: .bindingRequest, attributes: others + integrity + [.fingerprint(0xDEAD_BEEF)]))
    }

    func testEveryClassRoundTrips() throws {
        for messageClass in STUNMessageClass.allCases {
            for method in [STUNMethod.binding, STUNMethod(rawValue: 0x003), STUNMethod(rawValue: 0xFFF)] {
                let type = STUNMessageType(messageClass, method)
                XCTAssertEqual(STUNMessageType(rawValue: type.rawValue), type)
                XCTAssertEqual(type.rawValue & 0xC000, 0)
                try roundTrip(STUNMessage(type: type))
            }
        }
    }

    func testMessageTypeEncoding() {
        // RFC 8489 §5 / §18.2: Binding request 0x0001, indication 0x0011, success 0x0101,
        // error 0x0111.
        XCTAssertEqual(STUNMessageType.bindingRequest.rawValue, 0x0001)
        XCTAssertEqual(STUNMessageType.bindingIndication.rawValue, 0x0011)
        XCTAssertEqual(STUNMessageType.bindingSuccess.rawValue, 0x0101)
        XCTAssertEqual(STUNMessageType.bindingError.rawValue, 0x0111)
        // Allocate (0x003) error response from RFC 8656: 0x0113.
        XCTAssertEqual(STUNMessageType(.errorResponse, STUNMethod(rawValue: 0x003)).rawValue, 0x0113)
        for raw in UInt16(0)...0x3FFF {
            XCTAssertEqual(STUNMessageType(rawValue: raw).rawValue, raw)
        }
    }

    func testErrorResponseWithUnknownAttributes() throws {
        let request = STUNMessage(type: .bindingRequest, attributes: [
            .username("a:b"), .unknown(type: 0x0031, value: [0, 0, 0, 1]),
            .unknown(type: 0x8123, value: [9]), .unknown(type: 0x0031, value: []),
        ])
        let parsedRequest = try STUNMessage(parsing: request.serialized())
        XCTAssertEqual(parsedRequest.unknownComprehensionRequiredAttributes, [0x0031])

        let response = STUNMessage(
            type: .bindingError, transactionID: parsedRequest.transactionID,
            attributes: [.errorCode(.unknownAttribute),
                         .unknownAttributes(parsedRequest.unknownComprehensionRequiredAttributes)])
        let key = Array("password".utf8)
        let bytes = response.serialized(integrityKey: key, addFingerprint: true)
        let parsed = try STUNMessage(parsing: bytes)
        XCTAssertEqual(parsed.messageType, .bindingError)
        XCTAssertEqual(parsed.errorCode, STUNErrorCode(code: 420, reason: "Unknown Attribute"))
        XCTAssertEqual(parsed.attributes[1], .unknownAttributes([0x0031]))
        XCTAssertTrue(parsed.verifyMessageIntegrity(rawBytes: bytes, key: key))
        XCTAssertTrue(parsed.verifyFingerprint(rawBytes: bytes))
    }

    func testICEBindingRequestWithCredentials() throws {
        let key = STUNCredentials.shortTermKey(password: "remotepassword1234567890")
        let request = STUNMessage(type: .bindingRequest, attributes: [
            .username("remote:local"), .priority(1_853_824_767), .iceControlling(42), .useCandidate,
        ])
        let bytes = request.serialized(integrityKey: key, addFingerprint: true)
        let parsed = try STUNMessage(parsing: bytes)
        XCTAssertEqual(Array(parsed.attributes.prefix(4)), request.attributes)
        XCTAssertEqual(parsed.attributes.last?.type, .fingerprint)
        XCTAssertTrue(parsed.hasUseCandidate)
        XCTAssertEqual(parsed.iceControlling, 42)
        XCTAssertTrue(parsed.verifyMessageIntegrity(rawBytes: bytes, key: key))
        XCTAssertTrue(parsed.verifyFingerprint(rawBytes: bytes))

        // Re-signing a parsed message replaces the stale MI/FP rather than duplicating them.
        let resigned = parsed.serialized(integrityKey: key, addFingerprint: true)
        XCTAssertEqual(resigned, bytes)
        // Integrity only: no fingerprint, MI still valid.
        let integrityOnly = request.serialized(integrityKey: key)
        let parsedIntegrityOnly = try STUNMessage(parsing: integrityOnly)
        XCTAssertTrue(parsedIntegrityOnly.verifyMessageIntegrity(rawBytes: integrityOnly, key: key))
        XCTAssertFalse(parsedIntegrityOnly.verifyFingerprint(rawBytes: integrityOnly))
        // Fingerprint only.
        let fingerprintOnly = request.serialized(addFingerprint: true)
        let parsedFingerprintOnly = try STUNMessage(parsing: fingerprintOnly)
        XCTAssertTrue(parsedFingerprintOnly.verifyFingerprint(rawBytes: fingerprintOnly))
        XCTAssertFalse(parsedFingerprintOnly.verifyMessageIntegrity(rawBytes: fingerprintOnly, key: key))
    }

    func testMessageIntegritySHA256Verification() throws {
        // RFC 8489 §14.6: HMAC-SHA256 over the message up to the attribute, length adjusted;
        // the value may be truncated to 16...32 bytes (a multiple of 4).
        let key = Array("secret".utf8)
        for macLength in [32, 16, 20] {
            var bytes = STUNMessage(type: .bindingRequest, attributes: [.username("u:v")]).serialized()
            bytes[3] = UInt8(bytes.count - 20 + 4 + macLength)
            bytes += [0x00, 0x1C, 0x00, UInt8(macLength)] + HMAC.sha256(key: key, message: bytes).prefix(macLength)
            let parsed = try STUNMessage(parsing: bytes)
            XCTAssertEqual(parsed.attributes.last?.type, .messageIntegritySHA256)
            XCTAssertTrue(parsed.verifyMessageIntegritySHA256(rawBytes: bytes, key: key))
            XCTAssertFalse(parsed.verifyMessageIntegritySHA256(rawBytes: bytes, key: key + [1]))
            XCTAssertFalse(parsed.verifyMessageIntegrity(rawBytes: bytes, key: key))
        }
    }

    func testAttributesAfterIntegrityAreIgnored() throws {
        // RFC 8489 §14.5: everything after MESSAGE-INTEGRITY except FINGERPRINT is ignored.
        let key = Array("k".utf8)
        var bytes = STUNMessage(type: .bindingRequest, attributes: [.username("u:v")]).serialized(integrityKey: key)
        bytes += [0x80, 0x22, 0x00, 0x03, 0x61, 0x62, 0x63, 0x00]  // SOFTWARE "abc" after MI
        bytes[3] = UInt8(bytes.count - 20)
        let parsed = try STUNMessage(parsing: bytes)
        XCTAssertEqual(parsed.attributes.map(\.type), [.username, .messageIntegrity])
        XCTAssertTrue(parsed.verifyMessageIntegrity(rawBytes: bytes, key: key))
    }

    func testTextIsTruncatedToRFCLimitsAtCodePointBoundary() throws {
        let long = String(repeating: "é", count: 400)  // 800 bytes
        let message = STUNMessage(type: .bindingRequest, attributes: [.software(long), .username(long)])
        let parsed = try STUNMessage(parsing: message.serialized())
        guard case .software(let software) = parsed.attributes[0],
              case .username(let username) = parsed.attributes[1] else { return XCTFail("shape") }
        XCTAssertEqual(software.utf8.count, 762)
        XCTAssertEqual(username.utf8.count, 512)
    }

    func testTransactionIDAndAddressHelpers() throws {
        let id = STUNTransactionID.random()
        XCTAssertEqual(STUNTransactionID(bytes: id.bytes), id)
        XCTAssertNil(STUNTransactionID(bytes: [1, 2, 3]))
        XCTAssertNotEqual(STUNTransactionID.random(), STUNTransactionID.random())
        XCTAssertEqual(RFC5769.transactionID.description, "b7e7a701bc34d686fa87dfae")

        XCTAssertEqual(STUNAddress(host: "::1", port: 9)?.description, "[::1]:9")
        XCTAssertEqual(STUNAddress(host: "2001:db8:0:0:1:0:0:1", port: 9)?.host, "2001:db8::1:0:0:1")
        XCTAssertEqual(STUNAddress(host: "1.2.3.4", port: 9)?.family, .ipv4)
        XCTAssertNil(STUNAddress(host: "example.com", port: 9))
        XCTAssertNil(STUNAddress(addressBytes: [1, 2, 3], port: 9))

        XCTAssertTrue(STUNMessage.isSTUN(0x01))
        XCTAssertFalse(STUNMessage.isSTUN(0x80))  // RTP
        XCTAssertTrue(STUNMessage.looksLikeSTUN(RFC5769.request))
        XCTAssertFalse(STUNMessage.looksLikeSTUN(Array(RFC5769.request.prefix(19))))
    }
}
