import CSocket
import Glibc

/// Preallocated buffers, iovecs, addresses and message headers for one recvmmsg/sendmmsg
/// batch. Allocated once per socket, reused for every batch: the hot path allocates nothing.
///
/// Ownership: used only by the media loop thread.
final class DatagramSlab {
    let capacity: Int
    let slotSize: Int
    private let data: UnsafeMutableRawPointer
    private let iovecs: UnsafeMutablePointer<iovec>
    let headers: UnsafeMutablePointer<sb_mmsghdr>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    /// Slots filled (send side) or received (receive side).
    var count = 0
    /// Send side: when the packet that caused each datagram arrived (monotonic ns; 0 = none),
    /// for the forward-latency histogram.
    let arrivals: UnsafeMutablePointer<Int64>

    init(capacity: Int, slotSize: Int) {
        self.capacity = capacity
        self.slotSize = slotSize
        data = UnsafeMutableRawPointer.allocate(byteCount: capacity * slotSize, alignment: 16)
        iovecs = .allocate(capacity: capacity)
        headers = .allocate(capacity: capacity)
        names = .allocate(capacity: capacity)
        arrivals = .allocate(capacity: capacity)
        arrivals.initialize(repeating: 0, count: capacity)
        for i in 0..<capacity {
            iovecs[i] = iovec(iov_base: data + i * slotSize, iov_len: slotSize)
            names[i] = sockaddr_storage()
            headers[i] = sb_mmsghdr()
            headers[i].msg_hdr.msg_iov = iovecs + i
            headers[i].msg_hdr.msg_iovlen = 1
            headers[i].msg_hdr.msg_name = UnsafeMutableRawPointer(names + i)
            headers[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
        }
    }

    deinit {
        data.deallocate()
        iovecs.deallocate()
        headers.deallocate()
        names.deallocate()
        arrivals.deallocate()
    }

    /// Full slot `i` (its whole capacity), for receiving into or composing a packet in.
    func slot(_ i: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(start: data + i * slotSize, count: slotSize)
    }

    /// Resets lengths before a receive (the kernel overwrites them).
    func prepareForReceive() {
        for i in 0..<capacity {
            iovecs[i].iov_len = slotSize
            headers[i].msg_hdr.msg_namelen = socklen_t(MemoryLayout<sockaddr_storage>.size)
            headers[i].msg_hdr.msg_flags = 0
            headers[i].msg_len = 0
        }
        count = 0
    }

    func receivedLength(_ i: Int) -> Int { Int(headers[i].msg_len) }

    func truncated(_ i: Int) -> Bool { headers[i].msg_hdr.msg_flags & Int32(MSG_TRUNC) != 0 }

    func address(_ i: Int) -> UDPAddress? { UDPAddress(storage: UnsafeRawPointer(names + i)) }

    /// Claims the next send slot for `address`; nil when the batch is full (flush first).
    func claimSendSlot(to address: UDPAddress) -> Int? {
        guard count < capacity else { return nil }
        let i = count
        headers[i].msg_hdr.msg_namelen = address.write(to: UnsafeMutableRawPointer(names + i))
        headers[i].msg_hdr.msg_flags = 0
        return i
    }

    /// The length committed for send slot `i`.
    func sendLength(_ i: Int) -> Int { iovecs[i].iov_len }

    /// Commits the slot claimed last with its final length.
    func commitSendSlot(_ i: Int, length: Int, arrival: Int64) {
        iovecs[i].iov_len = length
        arrivals[i] = arrival
        count = i + 1
    }
}
