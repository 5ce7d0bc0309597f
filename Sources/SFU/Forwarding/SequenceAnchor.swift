/// Where a consumer's current stretch of output began (its last re-anchoring: start, resume,
/// layer or source switch), in source and output sequence numbers.
///
/// Packets from before the anchor (late or resent ones of an earlier stretch) must not be sent:
/// their output numbers were used by that stretch. "Before" is a 16-bit serial-number comparison
/// (RFC 1982), which only means something within half the sequence space: once the stream has
/// run 32768 packets past an anchor, every new packet would compare as older. So the anchor
/// follows the stream, staying between 8192 and 16384 packets behind the newest one; a packet
/// delayed by more than that is too old to matter (and out of every retransmission cache).
struct SequenceAnchor: Sendable {
    private(set) var source: UInt16 = 0
    private(set) var output: UInt16 = 0
    static let maximumLag: UInt16 = 16384
    static let trailingDistance: UInt16 = 8192

    /// A new stretch starts at `source`, sent as `output`.
    mutating func reset(source: UInt16, output: UInt16) {
        self.source = source
        self.output = output
    }

    /// Whether a packet of the current stretch with `sequence` may be sent (false: from before
    /// the anchor); moves the anchor up behind the stream.
    mutating func admit(_ sequence: UInt16) -> Bool {
        guard Int16(bitPattern: sequence &- source) >= 0 else { return false }
        let lag = sequence &- source
        if lag > Self.maximumLag {
            let step = lag &- Self.trailingDistance
            source &+= step
            output &+= step
        }
        return true
    }

    /// Whether output number `sequence` was sent in the current stretch.
    func isSince(output sequence: UInt16) -> Bool { Int16(bitPattern: sequence &- output) >= 0 }
}
