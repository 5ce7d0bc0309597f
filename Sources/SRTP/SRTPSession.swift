import CSRTP

/// Errors from libsrtp, grouped the way a transport counts drops.
public enum SRTPError: Error, Equatable, Sendable {
    case authenticationFailed
    case replayed
    case bufferTooSmall
    case malformed
    case library(code: Int32)

    init(status: srtp_err_status_t) {
        switch status {
        case srtp_err_status_auth_fail: self = .authenticationFailed
        case srtp_err_status_replay_fail, srtp_err_status_replay_old: self = .replayed
        case srtp_err_status_bad_param, srtp_err_status_parse_err: self = .malformed
        default: self = .library(code: Int32(status.rawValue))
        }
    }
}

/// libsrtp2 must be initialised once per process before any session is created.
private let srtpLibraryInitialised: Bool = srtp_init() == srtp_err_status_ok

/// One direction of SRTP/SRTCP for one DTLS association: an outbound session protects what we
/// send (any SSRC), an inbound session unprotects what the peer sends (any SSRC, replay-checked
/// with a 1024-packet window so reordering and retransmissions on real networks survive).
///
/// Ownership: a session belongs to one transport, which is driven by one thread (the media
/// loop); it is `@unchecked Sendable` only so that it can be created elsewhere and handed over.
public final class SRTPSession: SRTPTransforming, @unchecked Sendable {
    public enum Direction: Sendable { case inbound, outbound }

    public let profile: SRTPProfile
    public let direction: Direction
    private let session: srtp_t

    public init(profile: SRTPProfile, masterKeyAndSalt: [UInt8], direction: Direction) throws(SRTPError) {
        guard srtpLibraryInitialised else { throw .library(code: -1) }
        guard masterKeyAndSalt.count == profile.keyLength + profile.saltLength else { throw .malformed }
        var key = masterKeyAndSalt
        var created: srtp_t?
        let status = key.withUnsafeMutableBufferPointer { keyBuffer in
            sb_srtp_create(&created, Int32(profile.rawValue), direction == .inbound ? 1 : 0,
                           keyBuffer.baseAddress, 1024)
        }
        // libsrtp copies the key; wipe ours.
        for i in key.indices { key[i] = 0 }
        guard status == srtp_err_status_ok, let created else { throw SRTPError(status: status) }
        self.profile = profile
        self.direction = direction
        self.session = created
    }

    deinit { srtp_dealloc(session) }

    // MARK: In place on a caller-owned buffer (the forwarding path: no allocation)

    /// Encrypts the RTP packet occupying `buffer[0..<length]` in place and returns the new length.
    /// `buffer` must have `SRTPProfile.maxTrailerLength` spare bytes after the packet.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length, spare: SRTPProfile.maxTrailerLength, srtp_protect)
    }

    /// Decrypts and authenticates `buffer[0..<length]` in place; returns the plaintext length.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length, spare: 0, srtp_unprotect)
    }

    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length, spare: SRTPProfile.maxTrailerLength, srtp_protect_rtcp)
    }

    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        try run(buffer, length, spare: 0, srtp_unprotect_rtcp)
    }

    private func run(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int, spare: Int,
                     _ operation: (srtp_t?, UnsafeMutableRawPointer?, UnsafeMutablePointer<Int32>?) -> srtp_err_status_t)
        throws(SRTPError) -> Int
    {
        // Headers shorter than 12 (RTP) / 8 (RTCP) bytes are rejected by libsrtp itself; guard the
        // capacity here so libsrtp never writes past the buffer.
        guard length >= 8, length + spare <= buffer.count, let base = buffer.baseAddress else {
            throw .bufferTooSmall
        }
        var len = Int32(length)
        let status = operation(session, base, &len)
        guard status == srtp_err_status_ok else { throw SRTPError(status: status) }
        return Int(len)
    }
}
