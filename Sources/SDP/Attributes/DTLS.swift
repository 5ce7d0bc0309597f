// DTLS-SRTP attributes: fingerprint (RFC 8122 §5) and setup (RFC 4145 §4, RFC 8842 §5).

/// `a=fingerprint:<hash-func> <XX:XX:...>`.
public struct Fingerprint: SDPAttributeValue, Hashable {
    public static let attributeName = "fingerprint"
    /// Lower-cased hash function name, e.g. `sha-256`.
    public var algorithm: String
    public var bytes: [UInt8]

    public init(algorithm: String, bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// The form WebRTC endpoints must support (RFC 8827 §6.5).
    public init(sha256 bytes: [UInt8]) { self.init(algorithm: "sha-256", bytes: bytes) }

    /// Digest sizes of the RFC 8122 §5 hash functions; a mismatch means a corrupted line.
    static let digestLengths: [String: Int] = [
        "md2": 16, "md5": 16, "sha-1": 20, "sha-224": 28, "sha-256": 32, "sha-384": 48, "sha-512": 64,
    ]

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 2, Scan.isToken(f[0]) else { return nil }
        let hex = f[1].split(separator: ":", omittingEmptySubsequences: false)
        guard hex.count <= 64 else { return nil }
        var bytes: [UInt8] = []
        for pair in hex {
            // RFC 8122 says upper-case hex; lower case is accepted as libwebrtc does.
            guard pair.utf8.count == 2, let b = UInt8(pair, radix: 16) else { return nil }
            bytes.append(b)
        }
        let algorithm = f[0].lowercased()
        if let expected = Self.digestLengths[algorithm], expected != bytes.count { return nil }
        self.init(algorithm: algorithm, bytes: bytes)
    }

    /// Upper-case colon-separated hex, as RFC 8122 §5 specifies.
    public var hex: String {
        bytes.map { b in
            let digits = Array("0123456789ABCDEF")
            return String([digits[Int(b >> 4)], digits[Int(b & 0xF)]])
        }.joined(separator: ":")
    }

    public var attributeValue: String { "\(algorithm) \(hex)" }
}

/// `a=setup` (RFC 4145 §4). JSEP offers use actpass (RFC 8829 §5.2.1); an ICE-lite SFU answers
/// passive so the browser starts the DTLS handshake toward it.
public enum Setup: String, SDPAttributeValue, Hashable, CaseIterable {
    public static let attributeName = "setup"
    case active, passive, actpass, holdconn

    public init?(attributeValue: Substring) {
        self.init(rawValue: Scan.trimmed(attributeValue).lowercased())
    }

    public var attributeValue: String { rawValue }
}
