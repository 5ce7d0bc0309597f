import DTLS
import Glibc
import ICE
import SRTP
import STUN
@testable import MediaTransport

/// A minimal client-side WebRTC peer for in-process tests: a real UDP socket on 127.0.0.1, a
/// controlling ICE check, a DTLS client and SRTP. (Interop with stacks we did not write is
/// proven by the aiortc test; this drives edge cases the real stacks won't produce on demand.)
final class TestPeer {
    let fd: Int32
    let ice = ICECredentials.random()
    let certificate: DTLSCertificate
    let dtls: DTLSEndpoint
    var srtp: SRTPContext?
    let server: UDPAddress

    init(server: UDPAddress, serverFingerprint: DTLSFingerprint, profiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]) throws {
        self.server = server
        let fd = socket(server.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        // Bind to loopback of the server's family, ephemeral port.
        let local = UDPAddress(host: server.isIPv6 ? "::1" : "127.0.0.1", port: 0)!
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { local.write(to: $0.baseAddress!) }
        _ = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        certificate = try DTLSCertificate.generateSelfSigned()
        dtls = try DTLSEndpoint(context: try DTLSContext(certificate: certificate, srtpProfiles: profiles), role: .client,
                                expectedRemoteFingerprint: serverFingerprint)
    }

    deinit { close(fd) }

    func send(_ bytes: [UInt8]) {
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { server.write(to: $0.baseAddress!) }
        _ = bytes.withUnsafeBytes { buffer in
            withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, buffer.baseAddress, buffer.count, 0, $0, length) }
            }
        }
    }

    /// One datagram, or nil after the 200 ms socket timeout.
    func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? Array(buffer.prefix(n)) : nil
    }

    func bindingRequest(serverUfrag: String, serverPwd: String, useCandidate: Bool = true, key: String? = nil) -> [UInt8] {
        var attributes: [STUNAttribute] = [.username("\(serverUfrag):\(ice.ufrag)"), .priority(1_845_501_695),
                                           .iceControlling(UInt64.random(in: 0...UInt64.max))]
        if useCandidate { attributes.append(.useCandidate) }
        return STUNMessage(type: .bindingRequest, attributes: attributes)
            .serialized(integrityKey: Array((key ?? serverPwd).utf8), addFingerprint: true)
    }

    /// ICE check, then DTLS as client until SRTP keys exist. Returns false on timeout.
    func connect(to parameters: TransportParameters, deadline: Duration = .seconds(5)) -> Bool {
        let end = ContinuousClock.now.advanced(by: deadline)
        // Like a real agent, retransmit the check until answered.
        var answered = false
        for _ in 0..<5 where !answered {
            send(bindingRequest(serverUfrag: parameters.ice.ufrag, serverPwd: parameters.ice.pwd))
            if let reply = receive(), let message = try? STUNMessage(parsing: reply) {
                answered = message.messageType == .bindingSuccess
            }
        }
        guard answered else { return false }
        for d in dtls.start().datagrams { send(d) }
        while ContinuousClock.now < end {
            guard let datagram = receive() else {
                for d in dtls.poll(now: .now).datagrams { send(d) }
                continue
            }
            guard (20...63).contains(datagram[0]) else { continue }
            let out = dtls.receive(datagram)
            for d in out.datagrams { send(d) }
            if case .connected(let keys)? = out.event {
                srtp = try? SRTPContext(keys: keys, isDTLSClient: true)
                return srtp != nil
            }
        }
        return false
    }

    static func rtp(seq: UInt16, ssrc: UInt32, payloadType: UInt8 = 96, payload: Int = 1000) -> [UInt8] {
        var p: [UInt8] = [0x80, payloadType, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x30, 0x39,
                          UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seq)) }
        return p
    }
}
