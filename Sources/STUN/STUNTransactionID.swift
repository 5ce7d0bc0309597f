/// The 96-bit transaction ID of a STUN message (RFC 8489 §5).
///
/// Stored as three words so the value is a trivially copyable, hashable `Sendable` scalar
/// that can key a dictionary of outstanding transactions without allocating.
public struct STUNTransactionID: Sendable, Hashable, CustomStringConvertible {
    /// The first, second and third 32-bit words in network order.
    public let word0: UInt32, word1: UInt32, word2: UInt32

    /// Creates an ID from its three big-endian words.
    public init(_ word0: UInt32, _ word1: UInt32, _ word2: UInt32) {
        self.word0 = word0
        self.word1 = word1
        self.word2 = word2
    }

    /// Creates an ID from exactly 12 bytes; nil for any other count.
    public init?(bytes: some Collection<UInt8>) {
        guard bytes.count == 12 else { return nil }
        let b = Array(bytes)
        self.init(readUInt32(b, 0), readUInt32(b, 4), readUInt32(b, 8))
    }

    /// A fresh ID from the system's cryptographically secure generator, as RFC 8489 §5
    /// requires (“uniformly and randomly chosen”) so that responses cannot be forged.
    public static func random() -> STUNTransactionID {
        var rng = SystemRandomNumberGenerator()
        return STUNTransactionID(rng.next(), rng.next(), rng.next())
    }

    /// The 12 bytes in wire order.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12)
        out.appendUInt32(word0)
        out.appendUInt32(word1)
        out.appendUInt32(word2)
        return out
    }

    /// Lower-case hex, for logs.
    public var description: String {
        bytes.map { byte in
            let hex = String(byte, radix: 16)
            return byte < 0x10 ? "0" + hex : hex
        }.joined()
    }
}
