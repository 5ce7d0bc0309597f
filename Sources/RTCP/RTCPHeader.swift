/// Well-known RTCP packet type values (RFC 3550 section 12.1, RFC 4585 section 6.1).
public enum RTCPPacketType {
    /// SR, RFC 3550 section 6.4.1.
    public static let senderReport: UInt8 = 200
    /// RR, RFC 3550 section 6.4.2.
    public static let receiverReport: UInt8 = 201
    /// SDES, RFC 3550 section 6.5.
    public static let sourceDescription: UInt8 = 202
    /// BYE, RFC 3550 section 6.6.
    public static let goodbye: UInt8 = 203
    /// APP, RFC 3550 section 6.7 (parsed as `.unknown`).
    public static let application: UInt8 = 204
    /// RTPFB transport-layer feedback, RFC 4585 section 6.2.
    public static let transportFeedback: UInt8 = 205
    /// PSFB payload-specific feedback, RFC 4585 section 6.3.
    public static let payloadSpecificFeedback: UInt8 = 206
    /// XR, RFC 3611 (parsed as `.unknown`).
    public static let extendedReport: UInt8 = 207
}

/// The common 4-octet RTCP header (RFC 3550 section 6.4.1):
///
///     |V=2|P|  count  |      PT       |             length            |
///
/// `count` is RC/SC for reports and SDES/BYE, and FMT for feedback (RFC 4585 section 6.1).
public struct RTCPHeader: Sendable, Equatable {
    /// The P bit: the packet ends with padding whose last octet is the padding length.
    public var padding: Bool
    /// The 5-bit count or FMT field.
    public var count: UInt8
    /// The packet type octet.
    public var packetType: UInt8
    /// Length in 32-bit words minus one, header included.
    public var length: UInt16

    /// Size of the whole packet in octets, header and padding included.
    public var packetSize: Int { (Int(length) + 1) * 4 }

    /// Creates a header from its fields.
    public init(padding: Bool, count: UInt8, packetType: UInt8, length: UInt16) {
        self.padding = padding
        self.count = count
        self.packetType = packetType
        self.length = length
    }

    /// Reads the header at the start of `bytes`. Only checks the version; the caller
    /// decides whether `packetSize` fits the buffer.
    public init(_ bytes: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(bytes)
        let first = try reader.readUInt8()
        guard first >> 6 == 2 else { throw .invalidVersion(first >> 6) }
        padding = first & 0x20 != 0
        count = first & 0x1F
        packetType = try reader.readUInt8()
        length = try reader.readUInt16()
    }

    /// Reads the header at the start of `bytes`, or returns nil when it is not a version-2 header.
    public static func peek(_ bytes: [UInt8]) -> RTCPHeader? {
        try? RTCPHeader(bytes[...])
    }

    /// RFC 5761 section 4 demultiplexing of RTP and RTCP on one port: version 2 and a
    /// second octet in 192...223 means RTCP (those values would be RTP payload types 64-95,
    /// which RFC 5761 forbids for RTP when multiplexing).
    public static func looksLikeRTCP(_ bytes: [UInt8]) -> Bool {
        guard bytes.count >= 4, bytes[0] >> 6 == 2 else { return false }
        return (192...223).contains(bytes[1])
    }

    func write(into out: inout [UInt8]) {
        out.append(0x80 | (padding ? 0x20 : 0) | (count & 0x1F))
        out.append(packetType)
        out.appendUInt16(length)
    }
}
