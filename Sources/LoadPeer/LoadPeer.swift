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
    public let ice: ICECredentials
    public let certificate: DTLSCertificate
    private let dtls: DTLSEndpoint
    public private(set) var srtp: SRTPContext?
    public let server: UDPAddress
    private var serverStorage = sockaddr_storage()
    private let serverLength: socklen_t
    /// The server's ICE credentials, once `connect` was called (for consent checks).
    private var serverICE: ICECredentials?

    /// `certificate` and `ice`: given when they were announced in an offer before the server's
    /// address was known (WHIP/WHEP); made here otherwise.
    public init(server: UDPAddress, serverFingerprint: DTLSFingerprint,
                profiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
                certificate: DTLSCertificate? = nil, ice: ICECredentials = .random()) throws {
        self.server = server
        self.ice = ice
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
        self.certificate = try certificate ?? DTLSCertificate.generateSelfSigned()
        dtls = try DTLSEndpoint(context: try DTLSContext(certificate: self.certificate, srtpProfiles: profiles), role: .client,
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

    /// The success response to a connectivity check the server sent us (a full ICE agent checks
    /// too, RFC 8445 §7.3); nil if `datagram` is not a binding request for our credentials.
    public func answerCheck(_ datagram: [UInt8]) -> [UInt8]? {
        guard let request = try? STUNMessage(parsing: datagram), request.messageType == .bindingRequest,
              request.verifyMessageIntegrity(rawBytes: datagram, key: Array(ice.pwd.utf8)),
              let address = STUNAddress(host: server.host, port: server.port) else { return nil }
        return STUNMessage(type: .bindingSuccess, transactionID: request.transactionID, attributes: [.xorMappedAddress(address)])
            .serialized(integrityKey: Array(ice.pwd.utf8), addFingerprint: true)
    }

    /// Sends a consent-freshness check (RFC 7675) to the server this peer connected to.
    public func sendConsent() {
        guard let serverICE else { return }
        send(bindingRequest(serverUfrag: serverICE.ufrag, serverPwd: serverICE.pwd, useCandidate: true))
    }

    /// ICE check, then DTLS as client until SRTP keys exist. Returns false on timeout.
    public func connect(to parameters: TransportParameters, deadline: Duration = .seconds(5)) -> Bool {
        connect(serverICE: parameters.ice, deadline: deadline)
    }

    /// The same, for a server known only from its SDP (ufrag/pwd, and the address given at init).
    public func connect(serverICE: ICECredentials, deadline: Duration = .seconds(5)) -> Bool {
        self.serverICE = serverICE
        let end = ContinuousClock.now.advanced(by: deadline)
        var answered = false
        var attempts = 0
        while !answered && attempts < 25 && ContinuousClock.now < end {
            attempts += 1
            send(bindingRequest(serverUfrag: serverICE.ufrag, serverPwd: serverICE.pwd))
            while let reply = receive(), let message = try? STUNMessage(parsing: reply) {
                if message.messageType == .bindingSuccess { answered = true; break }
                if let response = answerCheck(reply) { send(response) }
            }
        }
        guard answered else { return false }
        for d in dtls.start().datagrams { send(d) }
        while ContinuousClock.now < end {
            guard let datagram = receive() else {
                for d in dtls.poll(now: .now).datagrams { send(d) }
                continue
            }
            if datagram[0] < 4, let response = answerCheck(datagram) { send(response); continue }
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
