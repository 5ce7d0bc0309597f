/// An RTP packet as a value (RFC 3550 §5.1), for signalling-rate code, tests and tools.
/// The forwarding hot path uses ``RTPHeaderView`` instead, which does not allocate.
public struct RTPPacket: Sendable, Equatable {
    /// The M bit; meaning is profile-specific (for video, last packet of a frame).
    public var marker: Bool
    /// 7-bit payload type; higher bits are dropped when serialized.
    public var payloadType: UInt8
    /// Sequence number, wrapping at 2^16.
    public var sequenceNumber: UInt16
    /// Media timestamp in the payload format's clock rate.
    public var timestamp: UInt32
    /// Synchronization source.
    public var ssrc: UInt32
    /// Contributing sources; at most 15 (the CC field is 4 bits), extra entries are dropped
    /// when serialized.
    public var csrcs: [UInt32]
    /// The header extension, if the X bit is set.
    public var headerExtension: RTPHeaderExtension?
    /// The payload, without padding.
    public var payload: [UInt8]
    /// Padding bytes after the payload including the final count byte (RFC 3550 §5.1);
    /// 0 means no padding (P bit clear). Serialized as zero bytes followed by the count.
    public var paddingLength: UInt8

    /// The RTP version this module speaks.
    public static let version: UInt8 = 2
    /// Fixed header size.
    public static let fixedHeaderLength = 12
    /// The most CSRCs the 4-bit CC field can express.
    public static let maximumCSRCCount = 15
    /// The largest packet accepted: the most a UDP datagram or RFC 4571 frame carries.
    public static let maximumLength = 65_535

    /// Creates a packet.
    public init(
        marker: Bool = false,
        payloadType: UInt8,
        sequenceNumber: UInt16,
        timestamp: UInt32,
        ssrc: UInt32,
        csrcs: [UInt32] = [],
        headerExtension: RTPHeaderExtension? = nil,
        payload: [UInt8] = [],
        paddingLength: UInt8 = 0
    ) {
        self.marker = marker
        self.payloadType = payloadType
        self.sequenceNumber = sequenceNumber
        self.timestamp = timestamp
        self.ssrc = ssrc
        self.csrcs = csrcs
        self.headerExtension = headerExtension
        self.payload = payload
        self.paddingLength = paddingLength
    }

    /// The value of the first RFC 8285 extension element with `id`, if any.
    public func extensionValue(id: UInt8) -> [UInt8]? {
        headerExtension?.element(id: id)?.value
    }
}
