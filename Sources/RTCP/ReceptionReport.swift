/// One reception report block carried in SR and RR packets (RFC 3550 section 6.4.1).
///
///     |                 SSRC_n (SSRC of source)                       |
///     | fraction lost |       cumulative number of packets lost       |
///     |           extended highest sequence number received           |
///     |                      interarrival jitter                      |
///     |                         last SR (LSR)                         |
///     |                   delay since last SR (DLSR)                  |
public struct ReceptionReport: Sendable, Equatable {
    /// Size of one block on the wire.
    public static let size = 24

    /// The source this block reports on.
    public var ssrc: UInt32
    /// Fraction of packets lost since the previous report, as a fixed-point number / 256.
    public var fractionLost: UInt8
    /// Cumulative packets lost: a signed 24-bit value (it goes negative with duplicates).
    /// Values outside -8388608...8388607 are clamped on serialization, as RFC 3550
    /// section 6.4.1 asks senders to do.
    public var cumulativeLost: Int32
    /// Extended highest sequence number received (cycles << 16 | highest sequence number).
    public var extendedHighestSequenceNumber: UInt32
    /// Interarrival jitter in RTP timestamp units.
    public var jitter: UInt32
    /// Middle 32 bits of the NTP timestamp of the last SR received (LSR).
    public var lastSenderReport: UInt32
    /// Delay since that SR, in units of 1/65536 s (DLSR).
    public var delaySinceLastSenderReport: UInt32

    /// Creates a report block.
    public init(
        ssrc: UInt32, fractionLost: UInt8 = 0, cumulativeLost: Int32 = 0,
        extendedHighestSequenceNumber: UInt32 = 0, jitter: UInt32 = 0,
        lastSenderReport: UInt32 = 0, delaySinceLastSenderReport: UInt32 = 0
    ) {
        self.ssrc = ssrc
        self.fractionLost = fractionLost
        self.cumulativeLost = cumulativeLost
        self.extendedHighestSequenceNumber = extendedHighestSequenceNumber
        self.jitter = jitter
        self.lastSenderReport = lastSenderReport
        self.delaySinceLastSenderReport = delaySinceLastSenderReport
    }

    init(reader: inout ByteReader) throws(RTCPError) {
        ssrc = try reader.readUInt32()
        fractionLost = try reader.readUInt8()
        let raw = try reader.readUInt24()
        // Sign-extend the 24-bit two's-complement value.
        cumulativeLost = Int32(bitPattern: raw << 8) >> 8
        extendedHighestSequenceNumber = try reader.readUInt32()
        jitter = try reader.readUInt32()
        lastSenderReport = try reader.readUInt32()
        delaySinceLastSenderReport = try reader.readUInt32()
    }

    func write(into out: inout [UInt8]) {
        out.appendUInt32(ssrc)
        out.append(fractionLost)
        let clamped = min(max(cumulativeLost, -0x80_0000), 0x7F_FFFF)
        out.appendUInt24(UInt32(bitPattern: clamped) & 0xFF_FFFF)
        out.appendUInt32(extendedHighestSequenceNumber)
        out.appendUInt32(jitter)
        out.appendUInt32(lastSenderReport)
        out.appendUInt32(delaySinceLastSenderReport)
    }

    /// Reads `count` blocks; the 5-bit RC field already bounds `count` to 31.
    static func readBlocks(count: UInt8, reader: inout ByteReader) throws(RTCPError) -> [ReceptionReport] {
        guard reader.remaining >= Int(count) * size else { throw .inconsistentLength }
        var blocks: [ReceptionReport] = []
        blocks.reserveCapacity(Int(count))
        for _ in 0..<count {
            blocks.append(try ReceptionReport(reader: &reader))
        }
        return blocks
    }
}
