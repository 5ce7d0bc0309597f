/// Why bytes were rejected as an RTP packet (RFC 3550 §5.1, RFC 8285 §4).
///
/// Both ``RTPPacket/init(parsing:)`` and ``RTPHeaderView/init(validating:)`` throw these;
/// neither ever traps on input.
public enum RTPParseError: Error, Sendable, Equatable {
    /// Shorter than the 12-byte fixed header, or the CSRC list or extension header runs past
    /// the end.
    case truncated
    /// The version field is not 2.
    case unsupportedVersion(UInt8)
    /// Longer than 65 535 bytes, more than any UDP datagram or RFC 4571 frame can carry.
    case tooLarge
    /// The P bit is set but the padding count is zero or exceeds the bytes after the header.
    case invalidPadding
    /// The extension header's length (in 32-bit words) runs past the end of the packet.
    case extensionOverflow
    /// An RFC 8285 element's length runs past the end of the extension block.
    case malformedExtensionElement
    /// More than ``RTPHeaderExtension/maximumElementCount`` RFC 8285 elements.
    case tooManyExtensionElements
}
