import COpenSSL

/// One direction of SRTP/SRTCP (RFC 3711; AEAD per RFC 7714) on OpenSSL 3's libcrypto, a drop-in
/// for the libsrtp-backed `SRTPSession`: same initialiser, same in-place calls, same `SRTPError`s,
/// byte-compatible on the wire (the tests cross-check both ways against libsrtp).
///
/// Keys are derived once (RFC 3711 §4.3, kdr 0) and the EVP contexts are keyed once, at init; per
/// packet nothing is allocated and no lock is taken. State per SSRC (ROC and highest index, replay
/// windows of 1024 RTP / 128 SRTCP packets inbound, the SRTCP index outbound) lives in a bounded
/// table (`SRTPStreamTable`): an inbound session admits an SSRC only once one of its packets
/// authenticated, and refuses new SSRCs past `maxStreams` with
/// `.library(code: EVPSRTPSession.streamLimitErrorCode)`.
///
/// An outbound session only protects and an inbound one only unprotects. Outbound, repeating an
/// index is allowed (a forwarder resends on NACK, as libsrtp's `allow_repeat_tx`), at any age.
///
/// Ownership: a session belongs to one transport, driven by one thread (the media loop); it is
/// `@unchecked Sendable` only so that it can be created elsewhere and handed over.
public final class EVPSRTPSession: SRTPTransforming, @unchecked Sendable {
    public enum Direction: Sendable { case inbound, outbound }

    public let profile: SRTPProfile
    public let direction: Direction
    /// Most SSRCs this session keeps state for.
    public var maxStreams: Int { streams.limit }

    /// `SRTPError.library(code:)` values, libsrtp's status numbers for the same conditions.
    /// No room for another SSRC (srtp_err_status_alloc_fail).
    public static let streamLimitErrorCode: Int32 = 3
    /// Set-up failed: OpenSSL refused a key or cipher (srtp_err_status_init_fail).
    public static let initErrorCode: Int32 = 5
    /// OpenSSL failed mid-packet; not expected (srtp_err_status_cipher_fail).
    public static let cipherErrorCode: Int32 = 8
    /// Protect on an inbound session or unprotect on an outbound one (srtp_err_status_no_such_op).
    public static let wrongDirectionErrorCode: Int32 = 12
    /// An SRTCP packet with E = 0 while the session encrypts SRTCP (srtp_err_status_cant_check).
    public static let unencryptedSRTCPErrorCode: Int32 = 14
    /// The SRTCP index of an SSRC is exhausted (2^31 packets); rekey (srtp_err_status_key_expired).
    public static let keyExpiredErrorCode: Int32 = 15

    /// Enough for a publisher's simulcast, RTX, FEC and RTCP-only SSRCs.
    public static let defaultInboundStreamLimit = 64
    /// A subscriber's transport carries an SSRC (and RTX SSRC) per forwarded track.
    public static let defaultOutboundStreamLimit = 512

    let streams: SRTPStreamTable
    let rtp: SRTPTransform
    let rtcp: SRTPTransform
    /// Whether SRTCP packets sent without encryption (E = 0) are accepted. Off, as in libsrtp: both
    /// DTLS-SRTP profiles encrypt SRTCP. The tests turn it on to check that path (RFC 7714 §17.3).
    var acceptsUnencryptedSRTCP = false
    /// IV at 0..<16, ROC word at 16..<20, computed MAC at 32..<52.
    let scratch: UnsafeMutableRawPointer
    static let scratchSize = 64

    public convenience init(profile: SRTPProfile, masterKeyAndSalt: [UInt8], direction: Direction,
                            maxStreams: Int? = nil) throws(SRTPError) {
        guard masterKeyAndSalt.count == profile.keyLength + profile.saltLength else { throw .malformed }
        guard var keys = SRTPKeyDerivation.sessionKeys(profile: profile, masterKeyAndSalt: masterKeyAndSalt) else {
            throw .library(code: Self.initErrorCode)
        }
        defer { keys.wipe() }
        try self.init(profile: profile, sessionKeys: keys, direction: direction, maxStreams: maxStreams)
    }

    /// From session keys directly (RFC 7714's test vectors publish those, not master keys).
    init(profile: SRTPProfile, sessionKeys keys: SRTPSessionKeys, direction: Direction,
         maxStreams: Int?) throws(SRTPError) {
        let encrypt = direction == .outbound
        guard let rtp = SRTPTransform(profile: profile, key: keys.rtpKey, salt: keys.rtpSalt,
                                      authKey: keys.rtpAuthKey, encrypt: encrypt) else { throw .library(code: Self.initErrorCode) }
        guard let rtcp = SRTPTransform(profile: profile, key: keys.rtcpKey, salt: keys.rtcpSalt,
                                       authKey: keys.rtcpAuthKey, encrypt: encrypt) else {
            rtp.free()
            throw .library(code: Self.initErrorCode)
        }
        self.profile = profile
        self.direction = direction
        self.rtp = rtp
        self.rtcp = rtcp
        let limit = maxStreams ?? (encrypt ? Self.defaultOutboundStreamLimit : Self.defaultInboundStreamLimit)
        streams = SRTPStreamTable(limit: limit, replayWindows: !encrypt)
        scratch = .allocate(byteCount: Self.scratchSize, alignment: 16)
        scratch.initializeMemory(as: UInt8.self, repeating: 0, count: Self.scratchSize)
    }

    deinit {
        rtp.free()
        rtcp.free()
        OPENSSL_cleanse(scratch, Self.scratchSize)
        scratch.deallocate()
    }

    /// Authentication tag length: 80-bit HMAC-SHA1 (RFC 3711 §5.2) or 128-bit GCM (RFC 7714 §5).
    var tagLength: Int { profile == .aeadAes128Gcm ? EVPAESGCM.tagLength : 10 }

    // MARK: In place on a caller-owned buffer (the forwarding path: no allocation)

    /// Encrypts the RTP packet occupying `buffer[0..<length]` in place and returns the new length.
    /// `buffer` must have `SRTPProfile.maxTrailerLength` spare bytes after the packet.
    public func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try checked(buffer, length, spare: SRTPProfile.maxTrailerLength, outbound: true)
        return try sealRTP(base, length)
    }

    /// Decrypts and authenticates `buffer[0..<length]` in place; returns the plaintext length.
    public func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try checked(buffer, length, spare: 0, outbound: false)
        return try openRTP(base, length)
    }

    public func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try checked(buffer, length, spare: SRTPProfile.maxTrailerLength, outbound: true)
        return try sealRTCP(base, length)
    }

    public func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int {
        let base = try checked(buffer, length, spare: 0, outbound: false)
        return try openRTCP(base, length)
    }

    /// The same bounds `SRTPSession` enforces (at least an RTCP header, trailer space), plus the
    /// session's direction.
    @inline(__always)
    private func checked(_ buffer: UnsafeMutableRawBufferPointer, _ length: Int, spare: Int,
                         outbound: Bool) throws(SRTPError) -> UnsafeMutableRawPointer {
        guard length >= 8, length <= SRTPPacketLayout.maxPacketLength, length + spare <= buffer.count,
              let base = buffer.baseAddress else { throw .bufferTooSmall }
        guard (direction == .outbound) == outbound else { throw .library(code: Self.wrongDirectionErrorCode) }
        return base
    }
}
