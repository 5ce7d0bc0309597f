/// Errors thrown while parsing or serializing RTCP packets.
///
/// Parsers never trap on hostile input; every structural problem surfaces as one of
/// these cases so callers can count and drop bad feedback without special handling.
public enum RTCPError: Error, Equatable, Sendable {
    /// The buffer ended before a field, or before the length a header declared.
    case truncated
    /// The version field was not 2 (RFC 3550 section 6.4.1).
    case invalidVersion(UInt8)
    /// The P bit was set but the padding count octet was zero or larger than the packet
    /// (RFC 3550 section 6.4.1, "padding").
    case invalidPadding
    /// A count field (RC, SC, item counts, status counts) does not agree with the length
    /// field, or unexpected bytes follow the last element.
    case inconsistentLength
    /// The packet declares more elements than this implementation accepts (see the
    /// `max…` constants on each packet type). Caps bound allocation on hostile input.
    case limitExceeded
    /// A field holds a value the format reserves or forbids (e.g. TWCC status symbol 11,
    /// a REMB bitrate that overflows 64 bits, an empty TWCC feedback).
    case invalidValue
    /// A value cannot be represented on the wire (e.g. more than 31 report blocks, an SDES
    /// item longer than 255 octets, a TWCC delta beyond ±8.19 s). Only thrown by serializers
    /// and builders.
    case unencodable
}
