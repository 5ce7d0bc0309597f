/// Extends 16-bit RTP sequence numbers to 64 bits across wrap-around (RFC 3550 appendix A.1):
/// each number is placed within half the range of the highest seen, so reordered packets
/// land before it and wrapped ones after.
public struct SequenceUnwrapper: Sendable {
    private var highest: Int64?

    /// Creates an unwrapper; the first number maps to itself plus 2^16 so that packets
    /// reordered before it stay positive.
    public init() {}

    /// The extended value of `sequence`.
    public mutating func unwrap(_ sequence: UInt16) -> Int64 {
        guard let highest else {
            let value = Int64(sequence) + (1 << 16)
            self.highest = value
            return value
        }
        let delta = Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highest)))
        let value = highest + delta
        if value > highest { self.highest = value }
        return value
    }
}

/// Extends 32-bit RTP timestamps to 64 bits across wrap-around, the same way: within half
/// the range (2^31 ticks: 12.4 hours at 48 kHz, 6.6 hours at 90 kHz) of the highest seen.
public struct TimestampUnwrapper: Sendable {
    private var highest: Int64?

    /// Creates an unwrapper; the first timestamp maps to itself plus 2^32.
    public init() {}

    /// The extended value of `timestamp`, advancing the reference when it is newer.
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        let value = peek(timestamp)
        if value > (highest ?? .min) { highest = value }
        return value
    }

    /// The extended value of `timestamp` without moving the reference (for RTCP sender
    /// reports, which must not disturb the packet timeline).
    public func peek(_ timestamp: UInt32) -> Int64 {
        guard let highest else { return Int64(timestamp) + (1 << 32) }
        let delta = Int64(Int32(bitPattern: timestamp &- UInt32(truncatingIfNeeded: highest)))
        return highest + delta
    }
}
