import DTLS
import ICE
import SRTP
import STUN

/// One peer connection's transport: ICE-lite, DTLS-SRTP and SRTP/SRTCP over the shared UDP
/// socket. It hands decrypted RTP and RTCP to its owner and encrypts what the owner sends.
///
/// Threading: created on any thread, then owned by the media loop. Callbacks run on the loop
/// thread; `send*` and `close` must be called there too (use `TransportServer.execute` from
/// elsewhere). Set the callbacks before `TransportServer.register`.
public final class WebRTCTransport: @unchecked Sendable {
    public let id: Int
    public let parameters: TransportParameters
    public private(set) var state: TransportState = .new
    /// Where media goes: the nominated (or first validated) candidate pair's remote address.
    public private(set) var remoteAddress: UDPAddress?

    /// State changes (checking, connected, closed). Runs on the media loop.
    public var onStateChange: ((TransportState) -> Void)?
    /// A decrypted RTP packet; the buffer is valid only during the call and may be modified.
    public var onRTP: ((UnsafeMutableRawBufferPointer) -> Void)?
    /// A decrypted RTCP compound packet; valid only during the call.
    public var onRTCP: ((UnsafeMutableRawBufferPointer) -> Void)?
    /// Application data from DTLS (SCTP, for data channels).
    public var onApplicationData: (([UInt8]) -> Void)?
    /// Periodic work of the owner once media flows (RTCP reports, feedback, NACK timers): called
    /// on every media loop tick (20 ms) with the monotonic time in ns.
    public var onTick: ((Int64) -> Void)?

    let agent: ICELiteAgent
    private let dtls: DTLSEndpoint
    private var srtp: SRTPContext?
    private let consentTimeout: Duration
    unowned let server: TransportServer
    /// Counters of this transport (loop thread).
    public private(set) var rtpReceived = 0, rtcpReceived = 0, rtpSent = 0, rtcpSent = 0

    init(id: Int, server: TransportServer, ice: ICECredentials, remoteICE: ICECredentials?,
         remoteFingerprint: DTLSFingerprint?, dtlsRole: DTLSEndpoint.Role, consentTimeout: Duration) throws(DTLSError) {
        self.id = id
        self.server = server
        self.consentTimeout = consentTimeout
        agent = ICELiteAgent(local: ice, remote: remoteICE)
        dtls = try DTLSEndpoint(context: server.dtlsContext, role: dtlsRole,
                                expectedRemoteFingerprint: remoteFingerprint, handshakeTimeout: consentTimeout)
        parameters = TransportParameters(ice: ice, fingerprint: server.dtlsContext.certificate.fingerprint,
                                         candidates: server.candidates)
    }

    // MARK: Owner API (media loop)

    /// Learns the peer's ICE credentials and DTLS fingerprint from its SDP, when they come after
    /// the transport was made (a server-side offer).
    public func setRemote(ice: ICECredentials?, fingerprint: DTLSFingerprint?) {
        if let ice { agent.remote = ice }
        if let fingerprint { deliver(dtls.provideRemoteFingerprint(fingerprint), to: remoteAddress) }
    }

    /// Encrypts and queues one RTP packet. No allocation: the packet is composed in the send batch.
    public func sendRTP(_ packet: UnsafeRawBufferPointer) { sendRTP(packet) { _ in } }

    /// Copies `packet` into the send batch, lets `rewrite` change it there (SSRC, sequence
    /// number... for this receiver), then encrypts it: one copy, no allocation.
    public func sendRTP(_ packet: UnsafeRawBufferPointer, rewrite: (UnsafeMutableRawBufferPointer) -> Void) {
        if sendProtected(packet, rtcp: false, rewrite: rewrite) { rtpSent &+= 1 }
    }

    /// Composes one RTP packet of `length` bytes directly in the send batch (`compose` fills
    /// exactly that many bytes), then encrypts it: for packets that are not a copy of another,
    /// such as RTX retransmissions (RFC 4588), which insert two bytes.
    public func sendRTP(length: Int, compose: (UnsafeMutableRawBufferPointer) -> Void) {
        if sendProtected(length: length, rtcp: false, compose: compose) { rtpSent &+= 1 }
    }

    private func sendProtected(_ packet: UnsafeRawBufferPointer, rtcp: Bool,
                               rewrite: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        sendProtected(length: packet.count, rtcp: rtcp) { buffer in
            buffer.copyMemory(from: packet)
            rewrite(buffer)
        }
    }

    /// The one send path: compose in the socket's send batch, encrypt in place.
    private func sendProtected(length: Int, rtcp: Bool, compose: (UnsafeMutableRawBufferPointer) -> Void) -> Bool {
        guard let srtp, let address = remoteAddress, let socket = server.loop.socketIndex(for: address) else { return false }
        server.loop.send(on: socket, to: address, forwarding: !rtcp) { buffer in
            guard length + SRTPProfile.maxTrailerLength <= buffer.count else { return 0 }
            compose(UnsafeMutableRawBufferPointer(rebasing: buffer[0..<length]))
            let protected = rtcp ? try? srtp.outbound.protectRTCP(buffer, length: length)
                                 : try? srtp.outbound.protectRTP(buffer, length: length)
            return protected ?? 0
        }
        return true
    }

    /// Whether media can be sent now (DTLS done, a remote address known).
    public var canSend: Bool { srtp != nil && remoteAddress != nil }

    public func sendRTCP(_ packet: UnsafeRawBufferPointer) {
        if sendProtected(packet, rtcp: true, rewrite: { _ in }) { rtcpSent &+= 1 }
    }

    /// When the datagram being handled arrived (monotonic ns); 0 outside datagram handling.
    public var currentArrival: Int64 { server.currentArrival }

    public func sendRTP(_ packet: [UInt8]) { packet.withUnsafeBytes { sendRTP($0) } }
    public func sendRTCP(_ packet: [UInt8]) { packet.withUnsafeBytes { sendRTCP($0) } }

    /// Sends DTLS application data (SCTP).
    public func sendApplicationData(_ data: [UInt8]) { deliver(dtls.send(applicationData: data), to: remoteAddress) }

    /// Whether we are the DTLS client: data channel stream ids are even for the client (RFC 8832 §6).
    public var isDTLSClient: Bool { dtls.role == .client }

    /// Sends close_notify and forgets the transport.
    public func close() {
        guard !state.isClosed else { return }
        deliver(dtls.close(), to: remoteAddress)
        finish(.closedByOwner)
    }

    // MARK: From the demultiplexer (media loop)

    func start() { deliver(dtls.start(), to: remoteAddress) }

    func handleSTUN(_ message: STUNMessage, raw: [UInt8], from address: UDPAddress, now: ContinuousClock.Instant) -> Bool {
        guard let source = STUNAddress(addressBytes: address.addressBytes, port: address.port) else { return false }
        switch agent.handle(message, raw: raw, from: source, now: now) {
        case .drop:
            return false
        case .respond(let response, let event, let valid):
            if let socket = server.loop.socketIndex(for: address) {
                server.loop.send(on: socket, to: address, bytes: response)
            }
            guard valid else { return false }
            server.learn(address, for: self)
            switch event {
            case .validated?:
                if remoteAddress == nil { remoteAddress = address }
                if state == .new { transition(to: .checking) }
            case .nominated?:
                // A re-nomination after a network change moves media to the new pair.
                remoteAddress = address
                if state == .new { transition(to: .checking) }
            case nil:
                break
            }
            return true
        }
    }

    func handleDTLS(_ datagram: [UInt8], from address: UDPAddress) {
        if remoteAddress == nil { remoteAddress = address }
        deliver(dtls.receive(datagram), to: address)
    }

    /// Decrypts in place and hands the packet to the owner; returns why it was dropped, if it was.
    func handleSRTP(_ packet: UnsafeMutableRawBufferPointer) -> DropReason? {
        guard let srtp else { return .srtpNotReady }
        guard packet.count >= 12 else { return .srtpMalformed }
        do throws(SRTPError) {
            if isRTCP(secondByte: packet[1]) {
                let length = try srtp.inbound.unprotectRTCP(packet, length: packet.count)
                rtcpReceived &+= 1
                onRTCP?(UnsafeMutableRawBufferPointer(rebasing: packet[0..<length]))
            } else {
                let length = try srtp.inbound.unprotectRTP(packet, length: packet.count)
                rtpReceived &+= 1
                onRTP?(UnsafeMutableRawBufferPointer(rebasing: packet[0..<length]))
            }
            return nil
        } catch .authenticationFailed {
            return .srtpAuthenticationFailed
        } catch .replayed {
            return .srtpReplayed
        } catch {
            return .srtpMalformed
        }
    }

    func tick(now: ContinuousClock.Instant) {
        guard !state.isClosed else { return }
        deliver(dtls.poll(now: now), to: remoteAddress)
        if !state.isClosed && agent.consentExpired(now: now, timeout: consentTimeout) {
            finish(.consentExpired)
        }
        if canSend, let onTick { onTick(monotonicNanoseconds()) }
    }

    // MARK: -

    private func deliver(_ output: DTLSOutput, to address: UDPAddress?) {
        if let address, let socket = server.loop.socketIndex(for: address) {
            for datagram in output.datagrams { server.loop.send(on: socket, to: address, bytes: datagram) }
        }
        switch output.event {
        case .connected(let keys)?:
            do {
                srtp = try SRTPContext(keys: keys, isDTLSClient: dtls.role == .client)
                transition(to: .connected(keys.profile))
            } catch {
                finish(.dtlsFailed("SRTP setup: \(error)"))
            }
        case .failed(let error)?:
            finish(.dtlsFailed("\(error)"))
        case .closed?:
            finish(.peerClosed)
        case nil:
            break
        }
        // After the event: SCTP that arrives with the handshake's last flight finds the
        // transport connected.
        if !state.isClosed {
            for data in output.applicationData { onApplicationData?(data) }
        }
    }

    private func transition(to newState: TransportState) {
        guard state != newState, !state.isClosed else { return }
        state = newState
        onStateChange?(newState)
    }

    private func finish(_ reason: TransportCloseReason) {
        guard !state.isClosed else { return }
        srtp = nil
        transition(to: .closed(reason))
        server.forget(self)
        // The owner's closures often reference objects that reference this transport.
        onRTP = nil
        onRTCP = nil
        onApplicationData = nil
        onStateChange = nil
        onTick = nil
    }
}
