/// Picture Loss Indication, PT=206 (PSFB) FMT=1 (RFC 4585 section 6.3.1).
///
///     |V=2|P|  FMT=1  |    PT=206     |          length=2             |
///     |                  SSRC of packet sender                        |
///     |                  SSRC of media source                         |
///
/// PLI carries no FCI; any octets after the two SSRCs are ignored (RFC 4585 6.3.1.2
/// says there is exactly one PLI per message, but being lenient costs nothing).
public struct PictureLossIndication: Sendable, Equatable {
    /// SSRC of the PLI's sender.
    public var senderSSRC: UInt32
    /// SSRC of the video stream that needs a keyframe.
    public var mediaSSRC: UInt32

    /// Creates a PLI.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        senderSSRC = try reader.readUInt32()
        mediaSSRC = try reader.readUInt32()
    }

    func writeBody(into out: inout [UInt8]) {
        out.appendUInt32(senderSSRC)
        out.appendUInt32(mediaSSRC)
    }
}
