/// Why a datagram was rejected by the STUN parser (RFC 8489 §5, §14).
///
/// Every malformed, truncated, oversized or hostile input maps to one of these cases; the
/// parser never traps on input.
public enum STUNParseError: Error, Sendable, Equatable {
    /// Fewer than the 20 header bytes, or an attribute header/value runs past the end.
    case truncated
    /// The two most significant bits of the header are not zero (RFC 8489 §5).
    case notSTUN
    /// The magic cookie field is not 0x2112A442 (RFC 8489 §5).
    case badMagicCookie
    /// The header length is not a multiple of 4 or disagrees with the datagram size.
    case badLength
    /// More than ``STUNMessage/maximumAttributeCount`` attributes.
    case tooManyAttributes
    /// An attribute follows FINGERPRINT, which must be last (RFC 8489 §14.7).
    case fingerprintNotLast
    /// A known attribute's value has the wrong size or content (the attribute type is given).
    case invalidAttribute(type: UInt16)
    /// A text attribute is not valid UTF-8 or is longer than the RFC allows.
    case invalidText(type: UInt16)
}
