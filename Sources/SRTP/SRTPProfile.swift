/// SRTP protection profiles negotiated through DTLS-SRTP's use_srtp extension
/// (RFC 5764 §4.1.2, RFC 7714 §14.2). Values are the IANA profile identifiers.
public enum SRTPProfile: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// SRTP_AES128_CM_HMAC_SHA1_80: mandatory to implement for WebRTC.
    case aes128CmHmacSha1_80 = 0x0001
    /// SRTP_AEAD_AES_128_GCM: preferred; one AEAD pass instead of AES-CM plus HMAC-SHA1.
    case aeadAes128Gcm = 0x0007

    /// Master key length in bytes.
    public var keyLength: Int { 16 }

    /// Master salt length in bytes (14 for AES-CM, 12 for AEAD per RFC 7714 §12).
    public var saltLength: Int {
        switch self {
        case .aes128CmHmacSha1_80: return 14
        case .aeadAes128Gcm: return 12
        }
    }

    /// Length of the DTLS keying material to export: two keys and two salts (RFC 5764 §4.2).
    public var keyingMaterialLength: Int { 2 * (keyLength + saltLength) }

    /// The name OpenSSL's `SSL_CTX_set_tlsext_use_srtp` understands.
    public var openSSLName: String {
        switch self {
        case .aes128CmHmacSha1_80: return "SRTP_AES128_CM_SHA1_80"
        case .aeadAes128Gcm: return "SRTP_AEAD_AES_128_GCM"
        }
    }

    /// Bytes `protect` may append: 10-byte HMAC tag, or 16-byte GCM tag; SRTCP adds a 4-byte index.
    public static let maxTrailerLength = 16 + 4 + 16

    public var description: String { openSSLName }

    public init?(openSSLName: String) {
        guard let p = SRTPProfile.allCases.first(where: { $0.openSSLName == openSSLName }) else { return nil }
        self = p
    }
}
