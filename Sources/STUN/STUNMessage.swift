/// A parsed or to-be-sent STUN message (RFC 8489 §5, §6).
///
/// A plain value: parsing copies what it needs out of the datagram, and integrity checks take
/// the original bytes again (``verifyMessageIntegrity(rawBytes:key:)``) because the HMAC covers
/// the bytes as received, padding included.
public struct STUNMessage: Sendable, Equatable {
    /// Class and method.
    public var messageType: STUNMessageType
    /// The transaction this message belongs to.
    public var transactionID: STUNTransactionID
    /// Attributes in wire order. Parsing drops attributes that RFC 8489 §14.5 says to ignore
    /// (anything after MESSAGE-INTEGRITY except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT).
    public var attributes: [STUNAttribute]

    /// Header size (RFC 8489 §5).
    public static let headerLength = 20
    /// The most attributes a parsed message may carry. ICE messages have fewer than a dozen;
    /// the cap bounds the work a hostile datagram can cause.
    public static let maximumAttributeCount = 64

    /// Creates a message.
    public init(
        type: STUNMessageType,
        transactionID: STUNTransactionID = .random(),
        attributes: [STUNAttribute] = []
    ) {
        self.messageType = type
        self.transactionID = transactionID
        self.attributes = attributes
    }

    /// Cheap first-byte test used by demultiplexers (RFC 7983 §7): a first byte of 0...3 is
    /// STUN when sharing a port with DTLS, RTP/RTCP and TURN channels. (The parser itself
    /// accepts any first byte with the top two bits zero, RFC 8489 §5.)
    public static func isSTUN(_ firstByte: UInt8) -> Bool { firstByte < 4 }

    /// A stricter pre-check: at least a header, top two bits zero, and the magic cookie.
    public static func looksLikeSTUN(_ bytes: [UInt8]) -> Bool {
        bytes.count >= headerLength && bytes[0] & 0xC0 == 0 && readUInt32(bytes, 4) == stunMagicCookie
    }

    // MARK: Lookup helpers

    /// The first attribute of the given type, if any (RFC 8489 §14: only the first occurrence
    /// of a repeated attribute needs processing).
    public func first(_ type: STUNAttributeType) -> STUNAttribute? {
        attributes.first { $0.type == type }
    }

    /// USERNAME, if present.
    public var username: String? {
        for case .username(let value) in attributes { return value }
        return nil
    }

    /// XOR-MAPPED-ADDRESS, falling back to MAPPED-ADDRESS (RFC 8489 §14.1: old servers).
    public var mappedAddress: STUNAddress? {
        for case .xorMappedAddress(let value) in attributes { return value }
        for case .mappedAddress(let value) in attributes { return value }
        return nil
    }

    /// ERROR-CODE, if present.
    public var errorCode: STUNErrorCode? {
        for case .errorCode(let value) in attributes { return value }
        return nil
    }

    /// PRIORITY, if present.
    public var priority: UInt32? {
        for case .priority(let value) in attributes { return value }
        return nil
    }

    /// Whether USE-CANDIDATE is present.
    public var hasUseCandidate: Bool { attributes.contains(.useCandidate) }

    /// ICE-CONTROLLING's tie-breaker, if present.
    public var iceControlling: UInt64? {
        for case .iceControlling(let value) in attributes { return value }
        return nil
    }

    /// ICE-CONTROLLED's tie-breaker, if present.
    public var iceControlled: UInt64? {
        for case .iceControlled(let value) in attributes { return value }
        return nil
    }

    /// Types of comprehension-required attributes this module does not understand, without
    /// duplicates, in order of appearance. A non-empty result on a request means the agent
    /// must answer 420 with these in UNKNOWN-ATTRIBUTES (RFC 8489 §6.3.1.1).
    public var unknownComprehensionRequiredAttributes: [UInt16] {
        var result: [UInt16] = []
        for case .unknown(let type, _) in attributes
        where type < 0x8000 && !result.contains(type) {
            result.append(type)
        }
        return result
    }
}
