/// Sender report, PT=200 (RFC 3550 section 6.4.1).
///
///     |V=2|P|    RC   |   PT=SR=200   |             length            |
///     |                         SSRC of sender                        |
///     |              NTP timestamp, most significant word             |
///     |             NTP timestamp, least significant word             |
///     |                         RTP timestamp                         |
///     |                     sender's packet count                     |
///     |                      sender's octet count                     |
///     |                 report blocks (RC x 24 octets)                |
///     |                  profile-specific extensions                  |
public struct SenderReport: Sendable, Equatable {
    /// The RC field is 5 bits wide.
    public static let maxReportBlocks = 31

    /// SSRC of the sender.
    public var ssrc: UInt32
    /// 64-bit NTP timestamp (seconds since 1900 in the high word, fraction in the low word).
    public var ntpTimestamp: UInt64
    /// The same instant in the RTP clock of the sender's media.
    public var rtpTimestamp: UInt32
    /// Packets sent since the start of transmission.
    public var packetCount: UInt32
    /// Payload octets sent since the start of transmission.
    public var octetCount: UInt32
    /// Up to 31 reception report blocks.
    public var reportBlocks: [ReceptionReport]
    /// Profile-specific extension octets following the report blocks (kept for round-tripping).
    public var profileExtensions: [UInt8]

    /// Creates a sender report.
    public init(
        ssrc: UInt32, ntpTimestamp: UInt64, rtpTimestamp: UInt32,
        packetCount: UInt32, octetCount: UInt32,
        reportBlocks: [ReceptionReport] = [], profileExtensions: [UInt8] = []
    ) {
        self.ssrc = ssrc
        self.ntpTimestamp = ntpTimestamp
        self.rtpTimestamp = rtpTimestamp
        self.packetCount = packetCount
        self.octetCount = octetCount
        self.reportBlocks = reportBlocks
        self.profileExtensions = profileExtensions
    }

    /// The middle 32 bits of the NTP timestamp: what receivers echo as LSR.
    public var compactNTP: UInt32 { UInt32(truncatingIfNeeded: ntpTimestamp >> 16) }

    init(count: UInt8, body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        ssrc = try reader.readUInt32()
        ntpTimestamp = try reader.readUInt64()
        rtpTimestamp = try reader.readUInt32()
        packetCount = try reader.readUInt32()
        octetCount = try reader.readUInt32()
        reportBlocks = try ReceptionReport.readBlocks(count: count, reader: &reader)
        profileExtensions = Array(reader.rest)
    }

    var headerCount: UInt8 { UInt8(truncatingIfNeeded: reportBlocks.count) }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard reportBlocks.count <= Self.maxReportBlocks else { throw .unencodable }
        out.appendUInt32(ssrc)
        out.appendUInt64(ntpTimestamp)
        out.appendUInt32(rtpTimestamp)
        out.appendUInt32(packetCount)
        out.appendUInt32(octetCount)
        for block in reportBlocks { block.write(into: &out) }
        out += profileExtensions
    }
}
