/// What was sent under each transport-wide sequence number, for matching feedback to sends.
///
/// A fixed ring indexed by the low bits of the unwrapped sequence number: recording a send and
/// looking one up allocate nothing. Entries older than the ring are overwritten, and feedback
/// for them is ignored (at 1 packet per 0.5 ms the ring covers 2 s).
public struct SentPacketHistory: Sendable {
    public struct Entry: Sendable, Equatable {
        public var sequence: Int64
        public var sendTimeUs: Int64
        public var size: Int
        /// The probe cluster the packet belonged to, 0 for media.
        public var probeCluster: Int
        /// Feedback has already reported this packet (received or lost).
        public var reported: Bool
    }

    private var entries: [Entry]
    private let mask: Int
    private var unwrapper = SequenceUnwrapper()
    public private(set) var highestSequence: Int64 = -1

    public init(capacity: Int = 4096) {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        entries = Array(repeating: Entry(sequence: -1, sendTimeUs: 0, size: 0, probeCluster: 0, reported: true), count: capacity)
        mask = capacity - 1
    }

    /// Records a send; returns the unwrapped sequence number.
    @discardableResult
    public mutating func recordSend(sequence: UInt16, size: Int, at sendTimeUs: Int64, probeCluster: Int = 0) -> Int64 {
        let unwrapped = unwrapper.unwrap(sequence)
        entries[Int(unwrapped) & mask] = Entry(sequence: unwrapped, sendTimeUs: sendTimeUs, size: size,
                                              probeCluster: probeCluster, reported: false)
        highestSequence = max(highestSequence, unwrapped)
        return unwrapped
    }

    /// The send of `sequence` (a 16-bit feedback number, unwrapped near the newest send), if
    /// it is still in the ring and not yet reported; marks it reported.
    public mutating func takeUnreported(_ sequence: UInt16) -> Entry? {
        let unwrapped = unwrapper.unwrapWithoutUpdate(sequence)
        let index = Int(unwrapped) & mask
        guard entries[index].sequence == unwrapped, !entries[index].reported else { return nil }
        entries[index].reported = true
        return entries[index]
    }
}

/// 16-bit sequence numbers to a monotonic 64-bit count (RFC 3550 A.1's idea, without the
/// probation): a step of less than half the space forward or back is taken as the nearest.
public struct SequenceUnwrapper: Sendable {
    private var last: Int64 = -1

    public init() {}

    public mutating func unwrap(_ value: UInt16) -> Int64 {
        let result = unwrapWithoutUpdate(value)
        if result > last { last = result }
        return result
    }

    public func unwrapWithoutUpdate(_ value: UInt16) -> Int64 {
        guard last >= 0 else { return Int64(value) }
        let lastLow = UInt16(truncatingIfNeeded: last)
        let forward = Int64(value &- lastLow)  // 0..<65536
        let delta = forward < 32768 ? forward : forward - 65536
        return last + delta
    }
}
