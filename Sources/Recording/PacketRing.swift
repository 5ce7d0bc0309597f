import Synchronization

/// A bounded single-producer single-consumer queue of packets in memory allocated once: the
/// media loop thread pushes (a copy into a free slot and one release store, no lock, no
/// allocation), the recording's writer pops on its own queue.
///
/// When the writer falls behind (a slow disk) and every slot is taken, the push fails and the
/// ring stays `overflowed`: from then on it refuses everything, and the writer fails the
/// recording. Forwarding never waits for the writer.
public final class PacketRing: @unchecked Sendable {
    /// What a slot holds.
    public enum EntryKind: UInt8, Sendable {
        case rtp
        case senderReport
    }

    /// One queued item, valid only inside `drain`'s body.
    public struct Entry {
        public var kind: EntryKind
        /// Which of the recording's tracks it belongs to (see `RingTap.lane`).
        public var lane: UInt8
        public var arrival: Int64
        /// RTP: the packet.
        public var bytes: UnsafeRawBufferPointer
        /// Sender report fields.
        public var ssrc: UInt32
        public var ntp: UInt64
        public var rtpTimestamp: UInt32
    }

    private struct Header {
        var kind: EntryKind = .rtp
        var lane: UInt8 = 0
        var length: Int = 0
        var arrival: Int64 = 0
        var ssrc: UInt32 = 0
        var ntp: UInt64 = 0
        var rtpTimestamp: UInt32 = 0
    }

    /// Slots (a power of two).
    public let capacity: Int
    /// Largest packet a slot holds; bigger ones are counted in `oversized` and skipped.
    public let slotSize: Int
    private let mask: Int
    private let storage: UnsafeMutableRawPointer
    private let headers: UnsafeMutablePointer<Header>
    /// Next slot to write: written by the producer only.
    private let head = Atomic<Int>(0)
    /// Next slot to read: written by the consumer only.
    private let tail = Atomic<Int>(0)
    private let overflow = Atomic<Bool>(false)
    private let oversizedCount = Atomic<Int>(0)

    /// `capacity` is rounded up to a power of two; memory is `capacity * slotSize` bytes.
    public init(capacity: Int, slotSize: Int = 1600) {
        var size = 2
        while size < capacity { size <<= 1 }
        self.capacity = size
        self.slotSize = slotSize
        mask = size - 1
        storage = UnsafeMutableRawPointer.allocate(byteCount: size * slotSize, alignment: 16)
        // Touched now, on the thread creating the recording: otherwise the media thread takes
        // the page faults, one every 2-3 packets during the ring's first lap (many seconds).
        storage.initializeMemory(as: UInt8.self, repeating: 0, count: size * slotSize)
        headers = UnsafeMutablePointer<Header>.allocate(capacity: size)
        headers.initialize(repeating: Header(), count: size)
    }

    deinit {
        storage.deallocate()
        headers.deinitialize(count: capacity)
        headers.deallocate()
    }

    /// The consumer fell behind and an item was refused: the recording must fail.
    public var overflowed: Bool { overflow.load(ordering: .acquiring) }
    /// Packets larger than a slot, skipped.
    public var oversized: Int { oversizedCount.load(ordering: .relaxed) }
    /// Items waiting (approximate from other threads).
    public var count: Int { head.load(ordering: .acquiring) &- tail.load(ordering: .acquiring) }

    // MARK: Producer (one thread)

    /// Queues a copy of `packet`. Returns false when the ring is (or just became) overflowed.
    @discardableResult
    public func pushRTP(_ packet: UnsafeRawBufferPointer, lane: UInt8, arrival: Int64) -> Bool {
        guard packet.count <= slotSize else {
            oversizedCount.wrappingAdd(1, ordering: .relaxed)
            return true
        }
        guard let index = claim() else { return false }
        if let base = packet.baseAddress, packet.count > 0 {
            (storage + index * slotSize).copyMemory(from: base, byteCount: packet.count)
        }
        headers[index] = Header(kind: .rtp, lane: lane, length: packet.count, arrival: arrival)
        publish()
        return true
    }

    /// Queues a sender report. Returns false when the ring is overflowed.
    @discardableResult
    public func pushSenderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32, lane: UInt8, arrival: Int64) -> Bool {
        guard let index = claim() else { return false }
        headers[index] = Header(kind: .senderReport, lane: lane, length: 0, arrival: arrival, ssrc: ssrc, ntp: ntp,
                                rtpTimestamp: rtp)
        publish()
        return true
    }

    private func claim() -> Int? {
        guard !overflow.load(ordering: .relaxed) else { return nil }
        let position = head.load(ordering: .relaxed)
        guard position &- tail.load(ordering: .acquiring) < capacity else {
            overflow.store(true, ordering: .releasing)
            return nil
        }
        return position & mask
    }

    private func publish() {
        head.wrappingAdd(1, ordering: .releasing)
    }

    // MARK: Consumer (one thread at a time)

    /// Calls `body` with every queued item in order, at most `limit`, and frees their slots.
    /// Returns how many were handled. `body` may throw; the item it threw on counts as taken.
    @discardableResult
    public func drain<E: Error>(limit: Int = .max, _ body: (Entry) throws(E) -> Void) throws(E) -> Int {
        var position = tail.load(ordering: .relaxed)
        let end = head.load(ordering: .acquiring)
        var handled = 0
        defer { tail.store(position, ordering: .releasing) }
        while position != end, handled < limit {
            let index = position & mask
            let header = headers[index]
            let entry = Entry(kind: header.kind, lane: header.lane, arrival: header.arrival,
                              bytes: UnsafeRawBufferPointer(start: storage + index * slotSize, count: header.length),
                              ssrc: header.ssrc, ntp: header.ntp, rtpTimestamp: header.rtpTimestamp)
            position &+= 1
            handled += 1
            try body(entry)
        }
        return handled
    }
}
