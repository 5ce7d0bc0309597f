/// Where a consumer's current stretch of output began (its last re-anchoring: start, resume,
/// layer or source switch), in source and output sequence numbers.
///
/// Packets from before the anchor (late or resent ones of an earlier stretch) must not be sent:
/// their output numbers were used by that stretch. "Before" is a 16-bit serial-number comparison
/// (RFC 1982), which only means something within half the sequence space: compared with a fixed
/// anchor, every packet 32768 or more after it would look older, and the stream would stop. So
/// the check only runs for the first `window` packets of a stretch, long enough for every late
/// packet of the previous one to have arrived; after that everything of this SSRC is sent, as
/// before any re-anchoring. (A stray packet far ahead cannot move the anchor either.)
struct SequenceAnchor: Sendable {
    private(set) var source: UInt16 = 0
    private(set) var output: UInt16 = 0
    /// Packets admitted since the anchor, up to `window`.
    private var admitted = 0
    static let window = 8192

    /// A new stretch starts at `source`, sent as `output`.
    mutating func reset(source: UInt16, output: UInt16) {
        self.source = source
        self.output = output
        admitted = 0
    }

    /// Whether a packet of the current stretch with `sequence` may be sent (false: from before
    /// the anchor).
    mutating func admit(_ sequence: UInt16) -> Bool {
        guard admitted < Self.window else { return true }
        guard Int16(bitPattern: sequence &- source) >= 0 else { return false }
        admitted += 1
        return true
    }

    /// Whether output number `sequence` was sent in the current stretch (a NACK for an earlier
    /// one cannot be mapped to this stretch's cache). Past the window, every packet still in a
    /// retransmission cache (at most a few thousand back) is of this stretch.
    func isSince(output sequence: UInt16) -> Bool {
        admitted >= Self.window || Int16(bitPattern: sequence &- output) >= 0
    }
}
