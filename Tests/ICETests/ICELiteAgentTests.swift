import XCTest
import STUN
@testable import ICE

final class ICELiteAgentTests: XCTestCase {
    let local = ICECredentials(ufrag: "srvU", pwd: "serverpassword0123456789")
    let remote = ICECredentials(ufrag: "cliU", pwd: "clientpassword0123456789")
    let source = STUNAddress(ipv4: 127, 0, 0, 1, port: 50_000)

    private func request(username: String? = nil, key: String? = nil, useCandidate: Bool = false,
                         controlled: Bool = false, extra: [STUNAttribute] = []) -> (STUNMessage, [UInt8]) {
        var attributes: [STUNAttribute] = []
        attributes.append(.username(username ?? "\(local.ufrag):\(remote.ufrag)"))
        attributes.append(.priority(0x6E7F_1EFF))
        attributes.append(controlled ? .iceControlled(42) : .iceControlling(42))
        if useCandidate { attributes.append(.useCandidate) }
        attributes += extra
        let message = STUNMessage(type: .bindingRequest, attributes: attributes)
        let raw = message.serialized(integrityKey: Array((key ?? local.pwd).utf8), addFingerprint: true)
        return (try! STUNMessage(parsing: raw), raw)
    }

    private func response(_ outcome: ICELiteAgent.Outcome) throws -> (STUNMessage, [UInt8]) {
        struct NoResponse: Error { let outcome: ICELiteAgent.Outcome }
        guard case .respond(let bytes, _, _) = outcome else { throw NoResponse(outcome: outcome) }
        return (try STUNMessage(parsing: bytes), bytes)
    }

    func testValidCheckGetsSignedSuccessWithMappedAddress() throws {
        let agent = ICELiteAgent(local: local, remote: remote)
        let (req, raw) = request()
        let outcome = agent.handle(req, raw: raw, from: source, now: .now)
        guard case .respond(_, let event, let valid) = outcome else { return XCTFail() }
        XCTAssertTrue(valid)
        XCTAssertEqual(event, .validated(source))
        let (resp, bytes) = try response(outcome)
        XCTAssertEqual(resp.messageType, .bindingSuccess)
        XCTAssertEqual(resp.transactionID, req.transactionID)
        XCTAssertTrue(resp.attributes.contains(.xorMappedAddress(source)))
        XCTAssertTrue(resp.verifyMessageIntegrity(rawBytes: bytes, key: Array(local.pwd.utf8)))
        XCTAssertTrue(resp.verifyFingerprint(rawBytes: bytes))
        XCTAssertEqual(agent.selectedAddress, source)
        XCTAssertNil(agent.nominatedAddress)
    }

    func testNominationAndRenominationMoveTheSelectedPair() throws {
        let agent = ICELiteAgent(local: local, remote: remote)
        let (r1, raw1) = request(useCandidate: true)
        guard case .respond(_, let e1, _) = agent.handle(r1, raw: raw1, from: source, now: .now) else { return XCTFail() }
        XCTAssertEqual(e1, .nominated(source))
        let moved = STUNAddress(ipv4: 127, 0, 0, 1, port: 50_001)
        let (r2, raw2) = request(useCandidate: true)
        guard case .respond(_, let e2, _) = agent.handle(r2, raw: raw2, from: moved, now: .now) else { return XCTFail() }
        XCTAssertEqual(e2, .nominated(moved))
        XCTAssertEqual(agent.selectedAddress, moved)
    }

    func testWrongPasswordIs401WithoutIntegrity() throws {
        let agent = ICELiteAgent(local: local)
        let (req, raw) = request(key: "wrongpassword0123456789xx")
        let outcome = agent.handle(req, raw: raw, from: source, now: .now)
        let (resp, _) = try response(outcome)
        XCTAssertEqual(resp.messageType, .bindingError)
        XCTAssertEqual(resp.errorCode?.code, 401)
        XCTAssertNil(resp.first(.messageIntegrity))
        XCTAssertNil(agent.selectedAddress)
    }

    func testWrongUfrag401AndMissingIntegrity400() throws {
        let agent = ICELiteAgent(local: local)
        let (req, raw) = request(username: "other:\(remote.ufrag)")
        XCTAssertEqual(try response(agent.handle(req, raw: raw, from: source, now: .now)).0.errorCode?.code, 401)
        let bare = STUNMessage(type: .bindingRequest, attributes: [.username("\(local.ufrag):x")])
        let bareRaw = bare.serialized(addFingerprint: true)
        XCTAssertEqual(try response(agent.handle(bare, raw: bareRaw, from: source, now: .now)).0.errorCode?.code, 400)
    }

    func testControlledPeerGetsRoleConflict() throws {
        let agent = ICELiteAgent(local: local)
        let (req, raw) = request(controlled: true)
        let (resp, bytes) = try response(agent.handle(req, raw: raw, from: source, now: .now))
        XCTAssertEqual(resp.errorCode?.code, 487)
        XCTAssertTrue(resp.verifyMessageIntegrity(rawBytes: bytes, key: Array(local.pwd.utf8)))
    }

    func testUnknownComprehensionRequiredAttributeIs420() throws {
        let agent = ICELiteAgent(local: local)
        let (req, raw) = request(extra: [.unknown(type: 0x0031, value: [1, 2, 3, 4])])
        let (resp, _) = try response(agent.handle(req, raw: raw, from: source, now: .now))
        XCTAssertEqual(resp.errorCode?.code, 420)
        XCTAssertTrue(resp.attributes.contains(.unknownAttributes([0x0031])))
    }

    func testCorruptFingerprintIsDroppedSilently() {
        let agent = ICELiteAgent(local: local)
        var (_, raw) = request()
        raw[raw.count - 1] ^= 0xFF
        guard let parsed = try? STUNMessage(parsing: raw) else { return } // parser may reject it already
        XCTAssertEqual(agent.handle(parsed, raw: raw, from: source, now: .now), .drop(.badFingerprint))
    }

    func testConsentExpiresWithoutChecks() {
        let start = ContinuousClock.now
        let agent = ICELiteAgent(local: local, now: start)
        XCTAssertFalse(agent.consentExpired(now: start.advanced(by: .seconds(29)), timeout: .seconds(30)))
        XCTAssertTrue(agent.consentExpired(now: start.advanced(by: .seconds(31)), timeout: .seconds(30)))
        let (req, raw) = request()
        _ = agent.handle(req, raw: raw, from: source, now: start.advanced(by: .seconds(20)))
        XCTAssertFalse(agent.consentExpired(now: start.advanced(by: .seconds(45)), timeout: .seconds(30)))
        XCTAssertTrue(agent.consentExpired(now: start.advanced(by: .seconds(51)), timeout: .seconds(30)))
    }

    func testValidatedAddressesAreBounded() {
        let agent = ICELiteAgent(local: local)
        for port in 0..<50 {
            let (req, raw) = request()
            _ = agent.handle(req, raw: raw, from: STUNAddress(ipv4: 127, 0, 0, 1, port: UInt16(40_000 + port)), now: .now)
        }
        XCTAssertEqual(agent.validatedAddresses.count, ICELiteAgent.maximumValidatedAddresses)
    }

    func testCredentialsAndCandidates() {
        let c = ICECredentials.random()
        XCTAssertTrue(ICECredentials.isValid(ufrag: c.ufrag))
        XCTAssertTrue(ICECredentials.isValid(pwd: c.pwd))
        XCTAssertNotEqual(c, ICECredentials.random())
        XCTAssertFalse(ICECredentials.isValid(pwd: "short"))
        let v4 = ICECandidate(host: "127.0.0.1", port: 7882, isIPv6: false)
        XCTAssertEqual(v4.priority, 126 << 24 | 65534 << 8 | 255)
        XCTAssertEqual(v4.sdpAttribute, "candidate:1 1 udp \(v4.priority) 127.0.0.1 7882 typ host generation 0")
        XCTAssertGreaterThan(ICECandidate(host: "::1", port: 7882, isIPv6: true).priority, v4.priority)
    }
}
