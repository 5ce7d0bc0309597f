/// Puts RTP packets back in sequence-number order, waiting a bounded time for missing ones.
///
/// Packets are kept in a ring indexed by extended sequence number (wrap-around safe, see
/// ``SequenceUnwrapper``); the ring is allocated once. When the next expected packet is
/// missing, `pop` waits until the first packet after the gap has waited `maxDelay`, or until
/// the gap spans `maxPackets`, then gives up and reports the gap as `.lost` so the caller can
/// ask for a keyframe. While waiting, `forEachMissing` lists what to NACK (RFC 4585).
///
/// A jump of more than `restartDistance` either way (a new sender, an SSRC change) is
/// reported as `.restart` without inserting: the caller drains, resets and inserts again.
public struct ReorderBuffer<Element> {
    /// Limits.
    public typealias Configuration = ReorderBufferConfiguration

    /// What `insert` did.
    public enum InsertResult: Sendable, Equatable {
        case accepted
        /// Already held.
        case duplicate
        /// Older than what was already released (arrived after its gap was given up).
        case late
        /// Too far from the current position: drain, reset, insert again.
        case restart
    }

    /// What `pop` released.
    public enum Output {
        /// The next packet in order, with its extended sequence number.
        case packet(Element, sequence: Int64)
        /// These extended sequence numbers were given up.
        case lost(ClosedRange<Int64>)
    }

    private struct Slot {
        var sequence: Int64
        var arrival: Int64
        var element: Element
    }

    public let configuration: Configuration
    private var slots: [Slot?]
    private let mask: Int64
    private var unwrapper = SequenceUnwrapper()
    private var next: Int64?
    private var highest: Int64 = 0
    /// Packets held.
    public private(set) var count = 0
    /// Packets reported lost so far.
    public private(set) var lostCount: Int64 = 0
    /// Late and duplicate packets dropped so far.
    public private(set) var droppedCount = 0

    /// Creates an empty buffer.
    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        slots = Array(repeating: nil, count: configuration.capacity)
        mask = Int64(configuration.capacity - 1)
    }

    /// The next extended sequence number `pop` will release, once known.
    public var nextSequence: Int64? { next }

    /// Adds a packet that arrived at `arrival` (nanoseconds, any monotonic clock).
    public mutating func insert(_ element: Element, sequenceNumber: UInt16, arrival: Int64) -> InsertResult {
        guard let next else {
            let sequence = unwrapper.unwrap(sequenceNumber)
            self.next = sequence
            highest = sequence
            store(element, sequence: sequence, arrival: arrival)
            return .accepted
        }
        var probe = unwrapper
        let sequence = probe.unwrap(sequenceNumber)
        if sequence - highest > configuration.restartDistance || next - sequence > configuration.restartDistance {
            return .restart
        }
        unwrapper = probe
        if sequence < next {
            droppedCount += 1
            return .late
        }
        let index = Int(sequence & mask)
        if let slot = slots[index], slot.sequence == sequence {
            droppedCount += 1
            return .duplicate
        }
        if sequence - next >= Int64(configuration.capacity) {
            // Out of room: give up on everything that would be overwritten.
            forceRelease(below: sequence - Int64(configuration.capacity) + 1)
        }
        store(element, sequence: sequence, arrival: arrival)
        highest = max(highest, sequence)
        return .accepted
    }

    /// Releases the next packet in order, a given-up gap, or nil when it must wait.
    public mutating func pop(now: Int64) -> Output? {
        guard let current = next else { return nil }
        if let packet = take(current) { return packet }
        guard highest > current else { return nil }
        // The head is missing: find the first packet after the gap.
        var first = current + 1
        while first <= highest, slots[Int(first & mask)]?.sequence != first { first += 1 }
        guard first <= highest, let waiting = slots[Int(first & mask)] else { return nil }
        guard first - current >= Int64(configuration.maxPackets) || highest - current >= Int64(configuration.maxPackets)
                || now - waiting.arrival >= configuration.maxDelay
        else { return nil }
        next = first
        lostCount += first - current
        return .lost(current...(first - 1))
    }

    /// Releases everything held, in order, reporting gaps (at the end of a recording or
    /// before a restart).
    public mutating func drain() -> [Output] {
        var out: [Output] = []
        while count > 0, let output = pop(now: .max) { out.append(output) }
        return out
    }

    /// Forgets all state (after `drain`, when `insert` reported `.restart`).
    public mutating func reset() {
        for index in slots.indices { slots[index] = nil }
        unwrapper = SequenceUnwrapper()
        next = nil
        highest = 0
        count = 0
    }

    /// Calls `body` with each missing sequence number between the next expected and the
    /// highest held, oldest first (what a NACK should ask for), at most `limit` of them.
    public func forEachMissing(limit: Int = 64, _ body: (UInt16) -> Void) {
        guard let next else { return }
        var reported = 0
        var sequence = next
        while sequence < highest, reported < limit {
            if slots[Int(sequence & mask)]?.sequence != sequence {
                body(UInt16(truncatingIfNeeded: sequence))
                reported += 1
            }
            sequence += 1
        }
    }

    private mutating func store(_ element: Element, sequence: Int64, arrival: Int64) {
        slots[Int(sequence & mask)] = Slot(sequence: sequence, arrival: arrival, element: element)
        count += 1
    }

    private mutating func take(_ sequence: Int64) -> Output? {
        let index = Int(sequence & mask)
        guard let slot = slots[index], slot.sequence == sequence else { return nil }
        slots[index] = nil
        count -= 1
        next = sequence + 1
        return .packet(slot.element, sequence: sequence)
    }

    private mutating func forceRelease(below floor: Int64) {
        // Only reached when the caller has not popped for `capacity` packets, or after a jump
        // of more than `capacity`: held packets that would be overwritten are dropped.
        guard let current = next else { return }
        var sequence = current
        while sequence < floor {
            let index = Int(sequence & mask)
            if let slot = slots[index], slot.sequence == sequence {
                slots[index] = nil
                count -= 1
                droppedCount += 1
            } else {
                lostCount += 1
            }
            sequence += 1
        }
        next = floor
    }
}

/// Limits of a ``ReorderBuffer``.
public struct ReorderBufferConfiguration: Sendable {
    /// Ring size; the most packets held (rounded up to a power of two).
    public var capacity: Int
    /// Give up on a gap once it spans this many packets.
    public var maxPackets: Int
    /// Give up on a gap once the packet after it has waited this long (nanoseconds).
    public var maxDelay: Int64
    /// A sequence jump larger than this is a stream restart, not loss or reordering.
    public var restartDistance: Int64

    /// Creates limits. Defaults: 512 packets, gaps of 256 packets or 150 ms.
    public init(capacity: Int = 512, maxPackets: Int = 256, maxDelay: Int64 = 150_000_000, restartDistance: Int64 = 3_000) {
        var size = 16
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.maxPackets = max(1, min(maxPackets, size))
        self.maxDelay = max(0, maxDelay)
        self.restartDistance = max(Int64(size), restartDistance)
    }
}
