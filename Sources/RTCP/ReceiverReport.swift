/// Receiver report, PT=201 (RFC 3550 section 6.4.2): the SR layout without the sender info.
///
///     |V=2|P|    RC   |   PT=RR=201   |             length            |
///     |                     SSRC of packet sender                     |
///     |                 report blocks (RC x 24 octets)                |
///     |                  profile-specific extensions                  |
public struct ReceiverReport: Sendable, Equatable {
    /// The RC field is 5 bits wide.
    public static let maxReportBlocks = 31

    /// SSRC of the packet sender.
    public var ssrc: UInt32
    /// Up to 31 reception report blocks.
    public var reportBlocks: [ReceptionReport]
    /// Profile-specific extension octets following the report blocks (kept for round-tripping).
    public var profileExtensions: [UInt8]

    /// Creates a receiver report.
    public init(ssrc: UInt32, reportBlocks: [ReceptionReport] = [], profileExtensions: [UInt8] = []) {
        self.ssrc = ssrc
        self.reportBlocks = reportBlocks
        self.profileExtensions = profileExtensions
    }

    init(count: UInt8, body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        ssrc = try reader.readUInt32()
        reportBlocks = try ReceptionReport.readBlocks(count: count, reader: &reader)
        profileExtensions = Array(reader.rest)
    }

    var headerCount: UInt8 { UInt8(truncatingIfNeeded: reportBlocks.count) }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard reportBlocks.count <= Self.maxReportBlocks else { throw .unencodable }
        out.appendUInt32(ssrc)
        for block in reportBlocks { block.write(into: &out) }
        out += profileExtensions
    }
}
