/// One STUN attribute (RFC 8489 §14; ICE attributes RFC 8445 §7.1.1, §16.1).
///
/// Attributes this module does not model are kept as ``unknown(type:value:)`` so a message
/// re-serializes byte for byte and an ICE agent can list comprehension-required ones in a
/// 420 response.
public enum STUNAttribute: Sendable, Hashable {
    /// MAPPED-ADDRESS (§14.1), the pre-RFC 5389 reflexive address.
    case mappedAddress(STUNAddress)
    /// XOR-MAPPED-ADDRESS (§14.2), the reflexive address; the XOR is applied on the wire only.
    case xorMappedAddress(STUNAddress)
    /// USERNAME (§14.3): for ICE, “remote-ufrag:local-ufrag”; at most 512 bytes.
    case username(String)
    /// MESSAGE-INTEGRITY (§14.5): the 20-byte HMAC-SHA1 as received.
    case messageIntegrity([UInt8])
    /// MESSAGE-INTEGRITY-SHA256 (§14.6): 16 to 32 bytes of (possibly truncated) HMAC-SHA256.
    case messageIntegritySHA256([UInt8])
    /// FINGERPRINT (§14.7): CRC-32 of the message XOR 0x5354554E, as received.
    case fingerprint(UInt32)
    /// ERROR-CODE (§14.8).
    case errorCode(STUNErrorCode)
    /// REALM (§14.9), long-term credentials only.
    case realm(String)
    /// NONCE (§14.10), long-term credentials only.
    case nonce(String)
    /// UNKNOWN-ATTRIBUTES (§14.13): the types a 420 response complains about.
    case unknownAttributes([UInt16])
    /// SOFTWARE (§14.14): agent description, at most 763 bytes.
    case software(String)
    /// PRIORITY (RFC 8445 §7.1.1): the priority a peer-reflexive candidate would get.
    case priority(UInt32)
    /// USE-CANDIDATE (RFC 8445 §7.1.2): the controlling agent nominates this pair.
    case useCandidate
    /// ICE-CONTROLLED (RFC 8445 §7.1.3) with the sender's 64-bit tie-breaker.
    case iceControlled(UInt64)
    /// ICE-CONTROLLING (RFC 8445 §7.1.3) with the sender's 64-bit tie-breaker.
    case iceControlling(UInt64)
    /// Any other attribute, value without padding, kept verbatim.
    case unknown(type: UInt16, value: [UInt8])

    /// The wire type of this attribute.
    public var type: STUNAttributeType {
        switch self {
        case .mappedAddress: .mappedAddress
        case .xorMappedAddress: .xorMappedAddress
        case .username: .username
        case .messageIntegrity: .messageIntegrity
        case .messageIntegritySHA256: .messageIntegritySHA256
        case .fingerprint: .fingerprint
        case .errorCode: .errorCode
        case .realm: .realm
        case .nonce: .nonce
        case .unknownAttributes: .unknownAttributes
        case .software: .software
        case .priority: .priority
        case .useCandidate: .useCandidate
        case .iceControlled: .iceControlled
        case .iceControlling: .iceControlling
        case .unknown(let type, _): STUNAttributeType(rawValue: type)
        }
    }
}
