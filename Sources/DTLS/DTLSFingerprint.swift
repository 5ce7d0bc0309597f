/// A certificate fingerprint as carried by SDP's `a=fingerprint` (RFC 8122 §5): a hash
/// function name and the digest bytes, written as upper-case hex pairs joined by colons.
public struct DTLSFingerprint: Sendable, Hashable, CustomStringConvertible {
    public let algorithm: String
    public let bytes: [UInt8]

    public init(algorithm: String = "sha-256", bytes: [UInt8]) {
        self.algorithm = algorithm.lowercased()
        self.bytes = bytes
    }

    /// Parses "AB:CD:..." (case-insensitive); nil when any pair is not hex.
    public init?(algorithm: String, hex: String) {
        var out: [UInt8] = []
        for pair in hex.split(separator: ":", omittingEmptySubsequences: false) {
            guard pair.count == 2, let b = UInt8(pair, radix: 16) else { return nil }
            out.append(b)
        }
        guard !out.isEmpty, out.count <= 64 else { return nil }
        self.init(algorithm: algorithm, bytes: out)
    }

    /// The value part of `a=fingerprint:` (without the algorithm).
    public var hexString: String {
        bytes.map { b in
            let s = String(b, radix: 16, uppercase: true)
            return s.count == 1 ? "0" + s : s
        }.joined(separator: ":")
    }

    /// `sha-256 AB:CD:...`, the attribute value.
    public var description: String { "\(algorithm) \(hexString)" }
}
