import COpenSSL
import SRTP

/// What happened while feeding a DTLS endpoint: datagrams to send to the peer, application data
/// received (SCTP, later), and at most one state change.
public struct DTLSOutput: Sendable {
    public var datagrams: [[UInt8]] = []
    public var applicationData: [[UInt8]] = []
    public var event: DTLSEvent?
    public init() {}
}

public enum DTLSEvent: Sendable, Equatable {
    /// Handshake done, peer certificate matched the SDP fingerprint, SRTP keys exported.
    case connected(SRTPKeyingMaterial)
    case failed(DTLSError)
    /// The peer sent close_notify.
    case closed
}

/// One DTLS 1.2 association (RFC 6347) carrying DTLS-SRTP (RFC 5764), driven by the caller:
/// feed it received datagrams and timer ticks; it returns datagrams to send. It never touches a
/// socket, so the media loop owns all I/O and this type stays testable in-process.
///
/// Ownership: one endpoint belongs to one transport on one thread (the media loop).
public final class DTLSEndpoint: @unchecked Sendable {
    public enum Role: Sendable { case server, client }
    public enum State: Sendable, Equatable { case new, handshaking, connected, failed, closed }

    public let role: Role
    public private(set) var state: State = .new
    /// The SRTP profile both sides agreed on, once connected.
    public private(set) var srtpProfile: SRTPProfile?

    private let ssl: OpaquePointer
    private let queue: UnsafeMutablePointer<sb_dgram_queue>
    private let readBIO: OpaquePointer
    private var expectedFingerprint: DTLSFingerprint?
    /// Handshake finished before the peer's fingerprint was known (its SDP answer can arrive
    /// after its ClientHello): digest and keys wait here for `provideRemoteFingerprint`.
    private var unverified: (digest: [UInt8], keys: SRTPKeyingMaterial)?
    private let requireFingerprint: Bool
    /// A server has nothing to retransmit until the client's first flight arrived.
    private var sawPeerFlight = false
    private let handshakeDeadline: ContinuousClock.Instant

    /// Every datagram-writing BIO shares one method table, made once per process.
    // Created once, never mutated afterwards: safe to share.
    nonisolated(unsafe) private static let bioMethod: OpaquePointer? = sb_dgram_bio_method_new()

    /// - Parameters:
    ///   - expectedRemoteFingerprint: the peer's `a=fingerprint`; the handshake fails unless the
    ///     peer's certificate digest matches it. When nil and `requireFingerprint` is true, a
    ///     finished handshake waits for `provideRemoteFingerprint` before reporting `connected`.
    public init(context: DTLSContext, role: Role, expectedRemoteFingerprint: DTLSFingerprint?,
                requireFingerprint: Bool = true, mtu: Int = 1200, handshakeTimeout: Duration = .seconds(30),
                now: ContinuousClock.Instant = .now) throws(DTLSError) {
        guard let ssl = SSL_new(context.context) else { throw .context(OpenSSLError.drain()) }
        guard let queue = sb_dgram_queue_new(mtu), let method = DTLSEndpoint.bioMethod,
              let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(method) else {
            SSL_free(ssl)
            throw .context("BIO allocation failed")
        }
        // An empty read BIO means "no data yet", not end of file.
        _ = sb_BIO_set_mem_eof_return(rbio, -1)
        sb_dgram_bio_attach(wbio, queue)
        SSL_set_bio(ssl, rbio, wbio) // the SSL object now owns both BIOs
        _ = sb_SSL_set_mtu(ssl, mtu)
        _ = sb_DTLS_set_link_mtu(ssl, mtu)
        switch role {
        case .server: SSL_set_accept_state(ssl)
        case .client: SSL_set_connect_state(ssl)
        }
        self.ssl = ssl
        self.queue = queue
        self.readBIO = rbio
        self.role = role
        self.expectedFingerprint = expectedRemoteFingerprint
        self.requireFingerprint = requireFingerprint
        self.handshakeDeadline = now.advanced(by: handshakeTimeout)
    }

    deinit {
        SSL_free(ssl)
        sb_dgram_queue_free(queue)
    }

    /// A client sends its ClientHello; a server waits for one.
    public func start() -> DTLSOutput {
        var out = DTLSOutput()
        guard state == .new else { return out }
        state = .handshaking
        if role == .client { advanceHandshake(&out) }
        drain(&out)
        return out
    }

    /// Feeds one received DTLS datagram.
    public func receive(_ datagram: [UInt8]) -> DTLSOutput {
        var out = DTLSOutput()
        guard state == .new || state == .handshaking || state == .connected else { return out }
        if state == .new { state = .handshaking }
        sawPeerFlight = true
        _ = datagram.withUnsafeBytes { BIO_write(readBIO, $0.baseAddress, Int32($0.count)) }
        if state == .handshaking && unverified == nil { advanceHandshake(&out) }
        if state == .connected { readApplicationData(&out) }
        drain(&out)
        return out
    }

    /// Retransmits a lost flight when OpenSSL's timer expired; fails the handshake after the deadline.
    public func poll(now: ContinuousClock.Instant) -> DTLSOutput {
        var out = DTLSOutput()
        guard state == .handshaking || state == .new else { return out }
        if now >= handshakeDeadline {
            fail(.timedOut, &out)
            return out
        }
        // Nothing to retransmit before the first flight, or once the handshake is done and
        // only the peer's fingerprint is awaited: skip OpenSSL (this runs every tick for every
        // transport).
        guard state == .handshaking, unverified == nil, role == .client || sawPeerFlight else { return out }
        ERR_clear_error()
        if sb_DTLSv1_handle_timeout(ssl) < 0 { fail(.handshake(OpenSSLError.drain()), &out) }
        drain(&out)
        return out
    }

    /// Encrypts application data (SCTP over DTLS, RFC 8261).
    public func send(applicationData: [UInt8]) -> DTLSOutput {
        var out = DTLSOutput()
        guard state == .connected, !applicationData.isEmpty else { return out }
        ERR_clear_error()
        _ = applicationData.withUnsafeBytes { SSL_write(ssl, $0.baseAddress, Int32($0.count)) }
        drain(&out)
        return out
    }

    /// Sends close_notify.
    public func close() -> DTLSOutput {
        var out = DTLSOutput()
        guard state == .connected || state == .handshaking else { return out }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        state = .closed
        drain(&out)
        return out
    }

    // MARK: -

    private func advanceHandshake(_ out: inout DTLSOutput) {
        ERR_clear_error()
        let r = SSL_do_handshake(ssl)
        if r == 1 {
            finishHandshake(&out)
            return
        }
        switch SSL_get_error(ssl, r) {
        case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE: break
        default: fail(.handshake(OpenSSLError.drain()), &out)
        }
    }

    private func finishHandshake(_ out: inout DTLSOutput) {
        guard let peer = SSL_get1_peer_certificate(ssl) else { return fail(.missingPeerCertificate, &out) }
        let digestOrNil = DTLSCertificate.sha256(of: peer)
        X509_free(peer)
        guard let digest = digestOrNil else { return fail(.missingPeerCertificate, &out) }
        if let expected = expectedFingerprint {
            guard expected.algorithm == "sha-256", digest == expected.bytes else {
                return fail(.fingerprintMismatch, &out)
            }
        }
        guard let selected = SSL_get_selected_srtp_profile(ssl),
              let profile = SRTPProfile(rawValue: UInt16(truncatingIfNeeded: selected.pointee.id)) else {
            return fail(.noSRTPProfile, &out)
        }
        var material = [UInt8](repeating: 0, count: profile.keyingMaterialLength)
        let label = "EXTRACTOR-dtls_srtp"
        let ok = SSL_export_keying_material(ssl, &material, material.count, label, label.utf8.count, nil, 0, 0)
        guard ok == 1, let keys = try? SRTPKeyingMaterial(profile: profile, exported: material) else {
            return fail(.keyExport(OpenSSLError.drain()), &out)
        }
        srtpProfile = profile
        if expectedFingerprint == nil && requireFingerprint {
            unverified = (digest, keys)
            return
        }
        state = .connected
        out.event = .connected(keys)
    }

    /// Supplies the peer's `a=fingerprint` once its SDP arrives. If the handshake already
    /// finished, this verifies the certificate now and reports `connected` or `failed`.
    public func provideRemoteFingerprint(_ fingerprint: DTLSFingerprint) -> DTLSOutput {
        var out = DTLSOutput()
        expectedFingerprint = fingerprint
        guard let pending = unverified else { return out }
        unverified = nil
        if fingerprint.algorithm == "sha-256" && fingerprint.bytes == pending.digest {
            state = .connected
            out.event = .connected(pending.keys)
        } else {
            fail(.fingerprintMismatch, &out)
        }
        return out
    }

    private func readApplicationData(_ out: inout DTLSOutput) {
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while true {
            ERR_clear_error()
            let n = SSL_read(ssl, &buffer, Int32(buffer.count))
            if n > 0 {
                out.applicationData.append(Array(buffer.prefix(Int(n))))
                continue
            }
            let error = SSL_get_error(ssl, n)
            if error == SSL_ERROR_ZERO_RETURN {
                state = .closed
                out.event = .closed
            } else if error != SSL_ERROR_WANT_READ && error != SSL_ERROR_WANT_WRITE {
                // A corrupt or forged record after the handshake is dropped by OpenSSL without
                // killing the association; only a fatal alert shows up as SSL_ERROR_SSL.
                if error == SSL_ERROR_SSL { fail(.handshake(OpenSSLError.drain()), &out) }
            }
            return
        }
    }

    private func fail(_ error: DTLSError, _ out: inout DTLSOutput) {
        // A handshake that OpenSSL completed but we reject (wrong fingerprint) is ended with
        // close_notify so the peer does not keep sending media into the void.
        if error == .fingerprintMismatch || error == .noSRTPProfile { _ = SSL_shutdown(ssl) }
        state = .failed
        out.event = .failed(error)
        drain(&out) // OpenSSL may have queued an alert for the peer
    }

    private func drain(_ out: inout DTLSOutput) {
        let count = Int(sb_dgram_queue_count(queue))
        guard count > 0, let bytes = sb_dgram_queue_bytes(queue) else { return }
        var offset = 0
        for i in 0..<count {
            let size = Int(sb_dgram_queue_size(queue, Int32(i)))
            out.datagrams.append(Array(UnsafeBufferPointer(start: bytes + offset, count: size)))
            offset += size
        }
        sb_dgram_queue_clear(queue)
    }
}
