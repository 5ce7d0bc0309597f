import DTLS
import ICE
import SRTP
import STUN
import Synchronization
import XCTest
@testable import MediaTransport

/// Collects what the media loop hands a transport's owner (written on the loop, read by the test).
final class Inbox: @unchecked Sendable {
    private let lock = Mutex<([[UInt8]], [[UInt8]], [TransportState])>(([], [], []))
    func rtp(_ p: UnsafeMutableRawBufferPointer) { let a = Array(p); lock.withLock { $0.0.append(a) } }
    func rtcp(_ p: UnsafeMutableRawBufferPointer) { let a = Array(p); lock.withLock { $0.1.append(a) } }
    func state(_ s: TransportState) { lock.withLock { $0.2.append(s) } }
    var rtpPackets: [[UInt8]] { lock.withLock { $0.0 } }
    var rtcpPackets: [[UInt8]] { lock.withLock { $0.1 } }
    var states: [TransportState] { lock.withLock { $0.2 } }
}

final class TransportServerTests: XCTestCase {
    private var server: TransportServer!

    override func setUpWithError() throws {
        server = try TransportServer(configuration: TransportConfiguration(
            bindAddresses: ["127.0.0.1"], udpPort: 0, consentTimeout: .seconds(2)))
        server.start()
    }

    override func tearDown() {
        server.stop()
        server = nil
    }

    private var address: UDPAddress { server.localAddresses[0] }
    private var serverFingerprint: DTLSFingerprint { server.dtlsContext.certificate.fingerprint }

    private func wait(_ what: String, timeout: Duration = .seconds(5), _ condition: () -> Bool) {
        let end = ContinuousClock.now.advanced(by: timeout)
        while !condition() && ContinuousClock.now < end { usleep(5_000) }
        XCTAssertTrue(condition(), "timed out waiting for \(what)")
    }

    /// Registers a transport that echoes RTP and RTCP back, and records everything.
    private func echoTransport(_ inbox: Inbox, peer: TestPeer?) throws -> WebRTCTransport {
        let transport = try server.makeTransport(remoteFingerprint: peer?.certificate.fingerprint)
        transport.onStateChange = { inbox.state($0) }
        transport.onRTP = { [unowned transport] p in inbox.rtp(p); transport.sendRTP(UnsafeRawBufferPointer(p)) }
        transport.onRTCP = { p in inbox.rtcp(p) }
        server.register(transport)
        return transport
    }

    func testCandidatesAndParameters() throws {
        XCTAssertEqual(server.candidates.count, 1)
        XCTAssertEqual(server.candidates[0].host, "127.0.0.1")
        XCTAssertEqual(server.candidates[0].port, address.port)
        XCTAssertNotEqual(address.port, 0)
        let t = try server.makeTransport()
        XCTAssertEqual(t.parameters.fingerprint.bytes.count, 32)
        XCTAssertTrue(ICECredentials.isValid(pwd: t.parameters.ice.pwd))
    }

    func testICEDTLSAndSRTPEchoBothProfiles() throws {
        for profile in SRTPProfile.allCases {
            let inbox = Inbox()
            let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint, profiles: [profile])
            let transport = try echoTransport(inbox, peer: peer)
            XCTAssertTrue(peer.connect(to: transport.parameters), "\(profile)")
            wait("connected") { inbox.states.contains(.connected(profile)) }
            guard let srtp = peer.srtp else { return XCTFail("no SRTP") }
            var echoed = 0
            for seq in UInt16(1)...20 {
                var packet = TestPeer.rtp(seq: seq, ssrc: 0xCAFE)
                try srtp.outbound.protectRTP(&packet)
                peer.send(packet)
                if var back = peer.receive(), back[0] >= 128 {
                    try srtp.inbound.unprotectRTP(&back)
                    XCTAssertEqual(back, TestPeer.rtp(seq: seq, ssrc: 0xCAFE))
                    echoed += 1
                }
            }
            XCTAssertEqual(echoed, 20)
            XCTAssertEqual(inbox.rtpPackets.count, 20)
            var rr: [UInt8] = [0x81, 201, 0, 7, 0, 0, 0xCA, 0xFE] + [UInt8](repeating: 0, count: 24)
            try srtp.outbound.protectRTCP(&rr)
            peer.send(rr)
            wait("rtcp") { inbox.rtcpPackets.count == 1 }
            XCTAssertEqual(inbox.rtcpPackets.first?.count, 32)
        }
    }

    /// Our threads: tid -> (name, scheduling policy: field 41 of /proc/self/task/<tid>/stat).
    private func threadPolicies() throws -> [String: (name: String, policy: Int)] {
        var threads: [String: (name: String, policy: Int)] = [:]
        for tid in try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") {
            guard let stat = try? String(contentsOfFile: "/proc/self/task/\(tid)/stat", encoding: .utf8),
                  let open = stat.firstIndex(of: "("), let close = stat.lastIndex(of: ")") else { continue }
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            threads[tid] = (String(stat[stat.index(after: open)..<close]), Int(fields[38]) ?? -1) // field 41 = 39th after the name
        }
        return threads
    }

    func testRealtimePriorityIsAppliedToTheMediaThreadOnly() throws {
        let before = try threadPolicies()
        let server = try TransportServer(configuration: TransportConfiguration(
            bindAddresses: ["127.0.0.1"], udpPort: 0, consentTimeout: .seconds(5), realtimePriority: 3))
        let problem = server.start()
        defer { server.stop() }
        let after = try threadPolicies()
        let started = after.filter { before[$0.key] == nil && $0.value.name == "sb-media" }
        XCTAssertEqual(started.count, 1, "\(after)")
        if let problem {
            // Without CAP_SYS_NICE the loop runs normally and says why.
            XCTAssertTrue(problem.contains("SCHED_FIFO 3"), problem)
            XCTAssertEqual(started.values.map(\.policy), [Int(SCHED_OTHER)])
        } else {
            XCTAssertEqual(started.values.map(\.policy), [Int(SCHED_FIFO)])
            XCTAssertEqual(after.filter { started[$0.key] == nil && $0.value.policy == Int(SCHED_FIFO) }.count, 0,
                           "no other thread is real-time: \(after)")
            // A thread created by the media thread (as the concurrency pool grows from whichever
            // thread queues work) does not inherit the real-time policy.
            let childPolicy = Mutex<Int32>(-2)
            let done = DispatchSemaphore(value: 0)
            server.loop.executeAndWait {
                XCTAssertEqual(sched_getscheduler(0), SCHED_FIFO | 0x4000_0000, "work runs on the real-time thread, reset-on-fork")
                Thread {
                    childPolicy.withLock { $0 = sched_getscheduler(0) }
                    done.signal()
                }.start()
            }
            XCTAssertEqual(done.wait(timeout: .now() + 5), .success)
            XCTAssertEqual(childPolicy.withLock { $0 }, SCHED_OTHER, "SCHED_RESET_ON_FORK")
        }
        let normal = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        XCTAssertNil(normal.start())
        normal.stop()
    }

    func testIPv4AndIPv6SocketsEachCarryATransport() throws {
        let dual = try TransportServer(configuration: TransportConfiguration(
            bindAddresses: ["127.0.0.1", "::1"], udpPort: 0, consentTimeout: .seconds(5)))
        dual.start()
        defer { dual.stop() }
        XCTAssertEqual(dual.localAddresses.count, 2)
        XCTAssertEqual(Set(dual.candidates.map(\.host)), ["127.0.0.1", "::1"])
        for local in dual.localAddresses {
            let inbox = Inbox()
            let peer = try TestPeer(server: local, serverFingerprint: dual.dtlsContext.certificate.fingerprint)
            let transport = try dual.makeTransport(remoteFingerprint: peer.certificate.fingerprint)
            transport.onStateChange = { inbox.state($0) }
            transport.onRTP = { [unowned transport] p in inbox.rtp(p); transport.sendRTP(UnsafeRawBufferPointer(p)) }
            dual.register(transport)
            XCTAssertTrue(peer.connect(to: transport.parameters), "\(local)")
            var packet = TestPeer.rtp(seq: 1, ssrc: 5)
            try peer.srtp!.outbound.protectRTP(&packet)
            peer.send(packet)
            guard var back = peer.receive() else { return XCTFail("no echo over \(local)") }
            try peer.srtp!.inbound.unprotectRTP(&back)
            XCTAssertEqual(back, TestPeer.rtp(seq: 1, ssrc: 5))
        }
    }

    func testBadInputIsDroppedAndCounted() throws {
        let inbox = Inbox()
        let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint)
        let transport = try echoTransport(inbox, peer: peer)
        let stranger = try TestPeer(server: address, serverFingerprint: transport.parameters.fingerprint)
        var rng = SystemRandomNumberGenerator()
        // Random bytes of every class from an address with no transport.
        for first: UInt8 in [0, 1, 22, 100, 128, 200, 255] {
            stranger.send([first] + (0..<100).map { _ in UInt8.random(in: 0...255, using: &rng) })
        }
        // Unknown ufrag and wrong password.
        stranger.send(stranger.bindingRequest(serverUfrag: "nobody", serverPwd: "whatever-password-123456"))
        stranger.send(stranger.bindingRequest(serverUfrag: transport.parameters.ice.ufrag, serverPwd: "wrong-password-0123456789"))
        XCTAssertEqual(try STUNMessage(parsing: stranger.receive() ?? []).errorCode?.code, 401)
        XCTAssertTrue(peer.connect(to: transport.parameters))
        guard let srtp = peer.srtp else { return XCTFail() }
        var good = TestPeer.rtp(seq: 1, ssrc: 7)
        try srtp.outbound.protectRTP(&good)
        var forged = good
        forged[30] ^= 1
        peer.send(forged)        // authentication failure
        peer.send(good)          // accepted
        peer.send(good)          // replay
        peer.send([0x80, 0x60, 0, 1]) // truncated RTP
        wait("drops published") {
            let d = server.dropCounters
            return d[.srtpAuthenticationFailed] == 1 && d[.srtpReplayed] == 1 && d[.stunUnknownUfrag] >= 1
                && d[.stunRejected] >= 1 && d[.srtpUnknownAddress] >= 1 && d[.dtlsUnknownAddress] >= 1
                && d[.unknownFirstByte] >= 1 && d[.srtpMalformed] >= 1
        }
        XCTAssertEqual(inbox.rtpPackets.count, 1)
        XCTAssertEqual(server.activeTransports, 1)
    }

    func testConsentExpiryClosesTransportAndTellsOwner() throws {
        let inbox = Inbox()
        let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint)
        let transport = try echoTransport(inbox, peer: peer)
        XCTAssertTrue(peer.connect(to: transport.parameters))
        wait("closed by consent timeout", timeout: .seconds(6)) { inbox.states.contains(.closed(.consentExpired)) }
        wait("forgotten") { server.activeTransports == 0 }
    }

    func testConsentRefreshKeepsTransportAlive() throws {
        let inbox = Inbox()
        let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint)
        let transport = try echoTransport(inbox, peer: peer)
        XCTAssertTrue(peer.connect(to: transport.parameters))
        for _ in 0..<6 {
            usleep(500_000)
            peer.send(peer.bindingRequest(serverUfrag: transport.parameters.ice.ufrag, serverPwd: transport.parameters.ice.pwd))
        }
        XCTAssertFalse(inbox.states.contains { $0.isClosed })
    }

    func testFingerprintMismatchClosesWithDTLSFailure() throws {
        let inbox = Inbox()
        let transport = try server.makeTransport(remoteFingerprint: DTLSFingerprint(bytes: [UInt8](repeating: 1, count: 32)))
        transport.onStateChange = { inbox.state($0) }
        server.register(transport)
        let peer = try TestPeer(server: address, serverFingerprint: transport.parameters.fingerprint)
        _ = peer.connect(to: transport.parameters, deadline: .seconds(1))
        wait("dtls failure") { inbox.states.contains { if case .closed(.dtlsFailed) = $0 { true } else { false } } }
    }

    func testServerLearnsFingerprintAfterHandshake() throws {
        let inbox = Inbox()
        let transport = try echoTransport(inbox, peer: nil)
        let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint)
        _ = peer.connect(to: transport.parameters, deadline: .seconds(1))
        XCTAssertFalse(inbox.states.contains(.connected(.aeadAes128Gcm)), "no fingerprint yet: not connected")
        let fingerprint = peer.certificate.fingerprint
        server.execute { transport.setRemote(ice: nil, fingerprint: fingerprint) }
        wait("connected after fingerprint") { inbox.states.contains(.connected(.aeadAes128Gcm)) }
    }

    func testMediaFollowsRenomination() throws {
        let inbox = Inbox()
        let peer = try TestPeer(server: address, serverFingerprint: serverFingerprint)
        let transport = try echoTransport(inbox, peer: peer)
        XCTAssertTrue(peer.connect(to: transport.parameters))
        guard let srtp = peer.srtp else { return XCTFail() }
        // The "same client" from a new address (a network change): a new socket nominates.
        let moved = try TestPeer(server: address, serverFingerprint: transport.parameters.fingerprint)
        moved.send(moved.bindingRequest(serverUfrag: transport.parameters.ice.ufrag, serverPwd: transport.parameters.ice.pwd))
        XCTAssertEqual(try STUNMessage(parsing: moved.receive() ?? []).messageType, .bindingSuccess)
        var packet = TestPeer.rtp(seq: 1, ssrc: 9)
        try srtp.outbound.protectRTP(&packet)
        moved.send(packet)
        guard var echoed = moved.receive() else { return XCTFail("echo did not follow the new pair") }
        try srtp.inbound.unprotectRTP(&echoed)
        XCTAssertEqual(echoed, TestPeer.rtp(seq: 1, ssrc: 9))
    }
}
