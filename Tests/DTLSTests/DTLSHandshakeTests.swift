import XCTest
import SRTP
@testable import DTLS

final class DTLSHandshakeTests: XCTestCase {
    struct Pair {
        let server: DTLSEndpoint
        let client: DTLSEndpoint
    }

    private func makePair(serverProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
                          clientProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
                          clientExpects: DTLSFingerprint? = nil, serverExpects: DTLSFingerprint? = nil,
                          serverCert: DTLSCertificate? = nil, clientCert: DTLSCertificate? = nil) throws -> Pair {
        let sc = try serverCert ?? DTLSCertificate.generateSelfSigned()
        let cc = try clientCert ?? DTLSCertificate.generateSelfSigned()
        let server = try DTLSEndpoint(context: try DTLSContext(certificate: sc, srtpProfiles: serverProfiles), role: .server,
                                      expectedRemoteFingerprint: serverExpects ?? cc.fingerprint)
        let client = try DTLSEndpoint(context: try DTLSContext(certificate: cc, srtpProfiles: clientProfiles), role: .client,
                                      expectedRemoteFingerprint: clientExpects ?? sc.fingerprint)
        return Pair(server: server, client: client)
    }

    /// Shuttles datagrams until both sides stop talking; returns the events each side saw.
    @discardableResult
    private func run(_ pair: Pair, dropFirstServerFlight: Bool = false) -> (server: [DTLSEvent], client: [DTLSEvent]) {
        var serverEvents: [DTLSEvent] = [], clientEvents: [DTLSEvent] = []
        var toServer = pair.client.start().datagrams
        var toClient: [[UInt8]] = []
        var dropped = !dropFirstServerFlight
        for _ in 0..<20 {
            for d in toServer {
                let out = pair.server.receive(d)
                if let e = out.event { serverEvents.append(e) }
                toClient += out.datagrams
            }
            toServer = []
            if !dropped && !toClient.isEmpty { dropped = true; toClient = [] }
            for d in toClient {
                let out = pair.client.receive(d)
                if let e = out.event { clientEvents.append(e) }
                toServer += out.datagrams
            }
            toClient = []
            if toServer.isEmpty { break }
        }
        return (serverEvents, clientEvents)
    }

    func testHandshakeExportsIdenticalKeysAndPrefersGCM() throws {
        let pair = try makePair()
        let (s, c) = run(pair)
        guard case .connected(let sk)? = s.first, case .connected(let ck)? = c.first else {
            return XCTFail("not connected: \(s) \(c)")
        }
        XCTAssertEqual(sk, ck)
        XCTAssertEqual(sk.profile, .aeadAes128Gcm)
        XCTAssertEqual(pair.server.state, .connected)
        // Keys work end to end through libsrtp.
        let serverSRTP = try SRTPContext(keys: sk, isDTLSClient: false)
        let clientSRTP = try SRTPContext(keys: ck, isDTLSClient: true)
        var packet: [UInt8] = [0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 9] + Array(repeating: 7, count: 100)
        let plain = packet
        try serverSRTP.outbound.protectRTP(&packet)
        try clientSRTP.inbound.unprotectRTP(&packet)
        XCTAssertEqual(packet, plain)
    }

    func testProfileFallsBackToAESCMWhenPeerOffersOnlyThat() throws {
        let pair = try makePair(clientProfiles: [.aes128CmHmacSha1_80])
        let (s, _) = run(pair)
        guard case .connected(let keys)? = s.first else { return XCTFail("\(s)") }
        XCTAssertEqual(keys.profile, .aes128CmHmacSha1_80)
    }

    func testServerRestrictedToOneProfile() throws {
        let pair = try makePair(serverProfiles: [.aes128CmHmacSha1_80])
        let (s, c) = run(pair)
        guard case .connected(let keys)? = s.first, case .connected? = c.first else { return XCTFail("\(s)") }
        XCTAssertEqual(keys.profile, .aes128CmHmacSha1_80)
    }

    func testFingerprintMismatchFailsHandshake() throws {
        let other = try DTLSCertificate.generateSelfSigned()
        let pair = try makePair(serverExpects: other.fingerprint)
        let (s, _) = run(pair)
        XCTAssertEqual(s.last, .failed(.fingerprintMismatch))
        XCTAssertEqual(pair.server.state, .failed)
    }

    func testDatagramsStayWithinMTU() throws {
        let pair = try makePair()
        var sizes: [Int] = []
        var toServer = pair.client.start().datagrams
        for _ in 0..<10 {
            var toClient: [[UInt8]] = []
            for d in toServer { sizes.append(d.count); toClient += pair.server.receive(d).datagrams }
            toServer = []
            for d in toClient { sizes.append(d.count); toServer += pair.client.receive(d).datagrams }
            if toServer.isEmpty { break }
        }
        XCTAssertFalse(sizes.isEmpty)
        XCTAssertTrue(sizes.allSatisfy { $0 <= 1200 }, "\(sizes)")
        XCTAssertEqual(pair.server.state, .connected)
    }

    func testLostFlightIsRetransmittedOnTimer() throws {
        let pair = try makePair()
        run(pair, dropFirstServerFlight: true)
        XCTAssertEqual(pair.server.state, .handshaking)
        // OpenSSL's first retransmission timer is 1 s.
        Thread.sleep(forTimeInterval: 1.1)
        let retransmitted = pair.server.poll(now: .now).datagrams
        XCTAssertFalse(retransmitted.isEmpty, "server resends its flight")
        var toServer: [[UInt8]] = []
        for d in retransmitted { toServer += pair.client.receive(d).datagrams }
        var connected = false
        for d in toServer { if case .connected? = pair.server.receive(d).event { connected = true } }
        XCTAssertTrue(connected)
    }

    func testHandshakeTimesOut() throws {
        let cert = try DTLSCertificate.generateSelfSigned()
        let start = ContinuousClock.now
        let server = try DTLSEndpoint(context: try DTLSContext(certificate: cert), role: .server,
                                      expectedRemoteFingerprint: nil, handshakeTimeout: .seconds(5), now: start)
        _ = server.start()
        XCTAssertNil(server.poll(now: start.advanced(by: .seconds(1))).event)
        XCTAssertEqual(server.poll(now: start.advanced(by: .seconds(6))).event, .failed(.timedOut))
    }

    func testGarbageIsDroppedWithoutCrashing() throws {
        let pair = try makePair()
        var rng = SystemRandomNumberGenerator()
        for length in [0, 1, 13, 25, 100, 1500, 4000] {
            var junk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if length > 0 { junk[0] = 22 } // looks like a handshake record
            _ = pair.server.receive(junk)
        }
        // A server that saw garbage may fail, but a fresh one still completes normally.
        let fresh = try makePair()
        let (s, _) = run(fresh)
        guard case .connected? = s.first else { return XCTFail("\(s)") }
        // Garbage after connection does not break the association.
        for _ in 0..<50 {
            var junk = (0..<200).map { _ in UInt8.random(in: 0...255, using: &rng) }
            junk[0] = 23
            _ = fresh.server.receive(junk)
        }
        XCTAssertEqual(fresh.server.state, .connected)
    }

    func testApplicationDataAndCloseNotify() throws {
        let pair = try makePair()
        run(pair)
        let sent = pair.client.send(applicationData: Array("hello sctp".utf8))
        var received: [[UInt8]] = []
        for d in sent.datagrams { received += pair.server.receive(d).applicationData }
        XCTAssertEqual(received, [Array("hello sctp".utf8)])
        let bye = pair.client.close()
        XCTAssertFalse(bye.datagrams.isEmpty)
        var event: DTLSEvent?
        for d in bye.datagrams { event = pair.server.receive(d).event ?? event }
        XCTAssertEqual(event, .closed)
        XCTAssertEqual(pair.server.state, .closed)
    }

    func testCertificatePEMRoundTripKeepsFingerprint() throws {
        let cert = try DTLSCertificate.generateSelfSigned()
        let pem = cert.pem()
        XCTAssertTrue(pem.certificate.hasPrefix("-----BEGIN CERTIFICATE-----"))
        let loaded = try DTLSCertificate.load(certificatePEM: pem.certificate, privateKeyPEM: pem.privateKey)
        XCTAssertEqual(loaded.fingerprint, cert.fingerprint)
        XCTAssertEqual(cert.fingerprint.bytes.count, 32)
        let other = try DTLSCertificate.generateSelfSigned()
        XCTAssertThrowsError(try DTLSCertificate.load(certificatePEM: pem.certificate, privateKeyPEM: other.pem().privateKey))
        XCTAssertThrowsError(try DTLSCertificate.load(certificatePEM: "junk", privateKeyPEM: "junk"))
    }

    func testFingerprintFormatting() {
        let f = DTLSFingerprint(bytes: [0x0a, 0xff, 0x10])
        XCTAssertEqual(f.hexString, "0A:FF:10")
        XCTAssertEqual(DTLSFingerprint(algorithm: "SHA-256", hex: "0a:FF:10"), f)
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", hex: "0a:F:10"))
        XCTAssertNil(DTLSFingerprint(algorithm: "sha-256", hex: ""))
    }
}
