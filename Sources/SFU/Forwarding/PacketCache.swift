/// Recent packets of one producer, by sequence number, for answering NACKs (RFC 4585 §6.2.1).
/// One preallocated slab; storing a packet copies it into its slot, nothing is allocated per
/// packet. Slot = sequence number modulo capacity; a stale slot is detected by its stored seq.
///
/// Ownership: media loop thread only.
final class PacketCache: @unchecked Sendable {
    let capacity: Int
    private let slotSize = 1500
    private let storage: UnsafeMutableRawPointer
    private var lengths: [Int]
    private var sequenceNumbers: [UInt16]

    init(capacity: Int) {
        self.capacity = capacity
        storage = .allocate(byteCount: capacity * slotSize, alignment: 16)
        lengths = Array(repeating: 0, count: capacity)
        sequenceNumbers = Array(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    func store(_ packet: UnsafeRawBufferPointer, sequenceNumber: UInt16) {
        guard packet.count <= slotSize, let base = packet.baseAddress else { return }
        let slot = Int(sequenceNumber) % capacity
        (storage + slot * slotSize).copyMemory(from: base, byteCount: packet.count)
        lengths[slot] = packet.count
        sequenceNumbers[slot] = sequenceNumber
    }

    /// The cached packet with `sequenceNumber`, valid until the slot is overwritten.
    func packet(sequenceNumber: UInt16) -> UnsafeRawBufferPointer? {
        let slot = Int(sequenceNumber) % capacity
        guard lengths[slot] > 0, sequenceNumbers[slot] == sequenceNumber else { return nil }
        return UnsafeRawBufferPointer(start: storage + slot * slotSize, count: lengths[slot])
    }
}
