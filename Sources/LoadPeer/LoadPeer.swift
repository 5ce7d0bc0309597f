import DTLS
import Glibc
import ICE
import MediaTransport
import SRTP
import STUN

/// A minimal client-side WebRTC peer driven by our own code, for load generation and
/// benchmarks (never as the only proof of interop: that is what aiortc, the livekit SDK and
/// Chromium are for). A real UDP socket on loopback, a controlling ICE check, a DTLS client and
/// SRTP, against a server transport whose parameters it is given.
public final class LoadPeer {
    public let fd: Int32
    public let ice = ICECredentials.random()
    public let certificate: DTLSCertificate
    private let dtls: DTLSEndpoint
    public private(set) var srtp: SRTPContext?
    public let server: UDPAddress
    private var serverStorage = sockaddr_storage()
    private let serverLength: socklen_t

    public init(server: UDPAddress, serverFingerprint: DTLSFingerprint,
                profiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]) throws {
        self.server = server
        let fd = socket(server.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        self.fd = fd
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var size: Int32 = 4 << 20
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        let local = UDPAddress(host: server.isIPv6 ? "::1" : "127.0.0.1", port: 0)!
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { local.write(to: $0.baseAddress!) }
        _ = withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) } }
        var target = sockaddr_storage()
        serverLength = withUnsafeMutableBytes(of: &target) { server.write(to: $0.baseAddress!) }
        serverStorage = target
        certificate = try DTLSCertificate.generateSelfSigned()
        dtls = try DTLSEndpoint(context: try DTLSContext(certificate: certificate, srtpProfiles: profiles), role: .client,
                                expectedRemoteFingerprint: serverFingerprint)
    }

    deinit { close(fd) }

    public func send(_ bytes: UnsafeRawBufferPointer) {
        _ = withUnsafePointer(to: &serverStorage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { sendto(fd, bytes.baseAddress, bytes.count, 0, $0, serverLength) }
        }
    }

    public func send(_ bytes: [UInt8]) { bytes.withUnsafeBytes { send($0) } }

    /// One datagram, or nil after the 200 ms socket timeout (blocking mode).
    public func receive() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 2048)
        let n = recv(fd, &buffer, buffer.count, 0)
        return n > 0 ? Array(buffer.prefix(n)) : nil
    }

    /// After `connect`: reads never block (for an epoll-driven receiver).
    public func setNonBlocking() {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
    }

    /// A controlling ICE connectivity check for the server transport with these credentials
    /// (`key` signs with another password, to test refusals).
    public func bindingRequest(serverUfrag: String, serverPwd: String, useCandidate: Bool = true, key: String? = nil) -> [UInt8] {
        var attributes: [STUNAttribute] = [.username("\(serverUfrag):\(ice.ufrag)"), .priority(1_845_501_695),
                                           .iceControlling(UInt64.random(in: 0...UInt64.max))]
        if useCandidate { attributes.append(.useCandidate) }
        return STUNMessage(type: .bindingRequest, attributes: attributes)
            .serialized(integrityKey: Array((key ?? serverPwd).utf8), addFingerprint: true)
    }

    /// ICE check, then DTLS as client until SRTP keys exist. Returns false on timeout.
    public func connect(to parameters: TransportParameters, deadline: Duration = .seconds(5)) -> Bool {
        let end = ContinuousClock.now.advanced(by: deadline)
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
}
