import PayloadFormats

/// Opus over RTP (RFC 7587): each RTP payload is exactly one Opus packet, whose duration the
/// TOC gives (RFC 6716 section 3.1). Validates the packet and reports its duration; the RTP
/// timestamp (48 kHz clock) places it on the timeline, so gaps from DTX, mute or loss show
/// up as timestamp jumps.
public struct OpusDepacketizer: Sendable {
    /// One Opus packet.
    public struct Frame: Sendable, Equatable {
        /// RTP timestamp (48 kHz).
        public var timestamp: UInt32
        /// Duration in 48 kHz samples.
        public var duration: Int
        /// Whether the TOC says stereo.
        public var isStereo: Bool
    }

    /// Packets accepted.
    public private(set) var packets = 0
    /// Malformed packets rejected.
    public private(set) var malformed = 0

    /// Creates a depacketizer.
    public init() {}

    /// Validates `payload` and returns its frame description. An empty payload (some senders
    /// use it as a keep-alive) and a malformed one throw `.malformedOpus`.
    public mutating func push(payload: UnsafeRawBufferPointer, timestamp: UInt32) throws(RecorderError) -> Frame {
        guard let duration = OpusTOC.packetDuration(of: payload) else {
            malformed += 1
            throw .malformedOpus
        }
        packets += 1
        return Frame(timestamp: timestamp, duration: duration, isStereo: payload[0] & 0x04 != 0)
    }
}
