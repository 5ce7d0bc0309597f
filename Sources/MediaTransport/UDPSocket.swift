import CSocket
import Glibc

public enum UDPSocketError: Error, Equatable, Sendable {
    case create(errno: Int32)
    case bind(address: String, errno: Int32)
    case option(name: String, errno: Int32)

    public var message: String {
        switch self {
        case .create(let e): return "socket(): \(String(cString: strerror(e)))"
        case .bind(let a, let e): return "bind(\(a)): \(String(cString: strerror(e)))"
        case .option(let n, let e): return "setsockopt(\(n)): \(String(cString: strerror(e)))"
        }
    }
}

/// A non-blocking UDP socket with batched I/O (recvmmsg/sendmmsg). One per address family
/// carries every peer connection.
final class UDPSocket {
    let fd: Int32
    let isIPv6: Bool
    let localAddress: UDPAddress

    init(bindTo address: UDPAddress, bufferBytes: Int = 4 << 20) throws(UDPSocketError) {
        let family = address.isIPv6 ? AF_INET6 : AF_INET
        let fd = socket(family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .create(errno: errno) }
        func option(_ level: Int32, _ name: Int32, _ value: Int32, _ label: String) throws(UDPSocketError) {
            var v = value
            if setsockopt(fd, level, name, &v, socklen_t(MemoryLayout<Int32>.size)) != 0 {
                let e = errno
                close(fd)
                throw .option(name: label, errno: e)
            }
        }
        if address.isIPv6 { try option(Int32(IPPROTO_IPV6), IPV6_V6ONLY, 1, "IPV6_V6ONLY") }
        // Bursts (a keyframe fanned out) overflow the 208 KiB default; the kernel caps at rmem_max.
        try option(SOL_SOCKET, SO_RCVBUF, Int32(bufferBytes), "SO_RCVBUF")
        try option(SOL_SOCKET, SO_SNDBUF, Int32(bufferBytes), "SO_SNDBUF")
        var storage = sockaddr_storage()
        let length = withUnsafeMutableBytes(of: &storage) { address.write(to: $0.baseAddress!) }
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { Glibc.bind(fd, $0, length) }
        }
        guard bound == 0 else {
            let e = errno
            close(fd)
            throw .bind(address: address.description, errno: e)
        }
        var actual = sockaddr_storage()
        var actualLength = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &actualLength) }
        }
        self.fd = fd
        self.isIPv6 = address.isIPv6
        self.localAddress = withUnsafeBytes(of: &actual) { UDPAddress(storage: $0.baseAddress!) } ?? address
    }

    deinit { close(fd) }

    /// Receives up to `slab.capacity` datagrams without blocking; returns how many arrived.
    func receive(into slab: DatagramSlab) -> Int {
        slab.prepareForReceive()
        let n = sb_recvmmsg(fd, slab.headers, UInt32(slab.capacity), Int32(MSG_DONTWAIT), nil)
        slab.count = max(0, Int(n))
        return slab.count
    }

    /// Sends every datagram queued in `slab`; returns (sent, dropped). A full send buffer drops
    /// the rest of the batch rather than blocking the media loop.
    func send(_ slab: DatagramSlab) -> (sent: Int, dropped: Int, bytes: Int) {
        var offset = 0
        var failed = 0
        var attempts = 0
        var bytes = 0
        while offset < slab.count && attempts < 4 {
            let n = sb_sendmmsg(fd, slab.headers + offset, UInt32(slab.count - offset), Int32(MSG_DONTWAIT))
            if n > 0 {
                for i in offset..<(offset + Int(n)) { bytes += slab.sendLength(i) }
                offset += Int(n)
                continue
            }
            let e = errno
            if e == EINTR { continue }
            if e == EAGAIN || e == EWOULDBLOCK { attempts += 1; continue }
            // A datagram the kernel refuses (e.g. unreachable address): skip it, keep the rest.
            offset += 1
            failed += 1
        }
        let total = slab.count
        slab.count = 0
        return (offset - failed, total - offset + failed, bytes)
    }
}
