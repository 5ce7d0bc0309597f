/// Receiver Estimated Maximum Bitrate, PT=206 (PSFB) FMT=15 (application layer feedback)
/// with the 'REMB' identifier (draft-alvestrand-rmcat-remb-03 section 2.2).
///
///     |V=2|P| FMT=15  |   PT=206      |             length            |
///     |                  SSRC of packet sender                        |
///     |                  SSRC of media source (0)                     |
///     |  Unique identifier 'R' 'E' 'M' 'B'                            |
///     |  Num SSRC     | BR Exp    |  BR Mantissa                      |
///     |   SSRC feedback                                               |  (Num SSRC times)
///
/// The bitrate is `mantissa << exponent` bits per second, with an 18-bit mantissa and a
/// 6-bit exponent. The stored fields are the wire fields, so parse/serialize round-trips exactly.
public struct ReceiverEstimatedMaximumBitrate: Sendable, Equatable {
    /// 'REMB' in ASCII.
    static let identifier: [UInt8] = [0x52, 0x45, 0x4D, 0x42]
    /// Num SSRC is one octet.
    public static let maxSSRCs = 255
    static let maxMantissa: UInt32 = (1 << 18) - 1

    /// SSRC of the REMB's sender.
    public var senderSSRC: UInt32
    /// The draft says 0; kept as read for round-tripping.
    public var mediaSSRC: UInt32
    /// 6-bit exponent.
    public private(set) var exponent: UInt8
    /// 18-bit mantissa.
    public private(set) var mantissa: UInt32
    /// The streams this estimate applies to.
    public var ssrcs: [UInt32]

    /// Creates a REMB, encoding `bitrate` with the largest mantissa that fits 18 bits
    /// (i.e. the smallest exponent), rounding down. `bitrate` then reads back the encoded value.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, bitrate: UInt64, ssrcs: [UInt32]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.ssrcs = ssrcs
        var exponent: UInt8 = 0
        var value = bitrate
        while value > UInt64(Self.maxMantissa) {
            value >>= 1
            exponent += 1
        }
        // At most 46 shifts for a 64-bit input, so the exponent always fits 6 bits.
        self.exponent = exponent
        self.mantissa = UInt32(value)
    }

    /// The estimate in bits per second.
    public var bitrate: UInt64 { UInt64(mantissa) << UInt64(exponent) }

    /// Whether a PSFB FMT=15 body carries the REMB identifier (other AFB messages exist).
    static func matches(body: ArraySlice<UInt8>) -> Bool {
        body.count >= 12 && body.dropFirst(8).prefix(4).elementsEqual(identifier)
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        senderSSRC = try reader.readUInt32()
        mediaSSRC = try reader.readUInt32()
        guard try reader.readBytes(4).elementsEqual(Self.identifier) else { throw .invalidValue }
        let count = Int(try reader.readUInt8())
        let packed = try reader.readUInt24()
        exponent = UInt8(packed >> 18)
        mantissa = packed & Self.maxMantissa
        // Reject values whose shift overflows 64 bits rather than report a wrong bitrate.
        guard (UInt64(mantissa) << UInt64(exponent)) >> UInt64(exponent) == UInt64(mantissa) else {
            throw .invalidValue
        }
        guard reader.remaining == count * 4 else { throw .inconsistentLength }
        var ssrcs: [UInt32] = []
        ssrcs.reserveCapacity(count)
        for _ in 0..<count { ssrcs.append(try reader.readUInt32()) }
        self.ssrcs = ssrcs
    }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard ssrcs.count <= Self.maxSSRCs else { throw .unencodable }
        out.appendUInt32(senderSSRC)
        out.appendUInt32(mediaSSRC)
        out += Self.identifier
        out.append(UInt8(ssrcs.count))
        out.appendUInt24(UInt32(exponent) << 18 | mantissa)
        for ssrc in ssrcs { out.appendUInt32(ssrc) }
    }
}
