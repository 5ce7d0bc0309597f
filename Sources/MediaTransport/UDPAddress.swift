import Glibc

/// An IPv4 or IPv6 address and port, small and hashable so the demultiplexer can look a
/// transport up by remote address on every packet without allocating.
public struct UDPAddress: Hashable, Sendable, CustomStringConvertible {
    /// IPv6 address bytes (IPv4 stored in the low 32 bits of `low` with `isIPv6 == false`).
    public let high: UInt64
    public let low: UInt64
    public let port: UInt16
    public let isIPv6: Bool

    public init(ipv4 bytes: (UInt8, UInt8, UInt8, UInt8), port: UInt16) {
        self.init(high: 0, low: UInt64(bytes.0) << 24 | UInt64(bytes.1) << 16 | UInt64(bytes.2) << 8 | UInt64(bytes.3),
                  port: port, isIPv6: false)
    }

    init(high: UInt64, low: UInt64, port: UInt16, isIPv6: Bool) {
        self.high = high
        self.low = low
        self.port = port
        self.isIPv6 = isIPv6
    }

    public init?(addressBytes: [UInt8], port: UInt16) {
        switch addressBytes.count {
        case 4:
            self.init(ipv4: (addressBytes[0], addressBytes[1], addressBytes[2], addressBytes[3]), port: port)
        case 16:
            var h: UInt64 = 0, l: UInt64 = 0
            for i in 0..<8 { h = h << 8 | UInt64(addressBytes[i]) }
            for i in 8..<16 { l = l << 8 | UInt64(addressBytes[i]) }
            self.init(high: h, low: l, port: port, isIPv6: true)
        default:
            return nil
        }
    }

    /// Parses a numeric IPv4 or IPv6 literal (no DNS).
    public init?(host: String, port: UInt16) {
        var v4 = in_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            let b = withUnsafeBytes(of: v4) { Array($0) }
            self.init(addressBytes: b, port: port)
            return
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, host, &v6) == 1 {
            let b = withUnsafeBytes(of: v6) { Array($0) }
            self.init(addressBytes: b, port: port)
            return
        }
        return nil
    }

    public var addressBytes: [UInt8] {
        if !isIPv6 { return (0..<4).map { UInt8(truncatingIfNeeded: low >> (24 - 8 * $0)) } }
        return (0..<8).map { UInt8(truncatingIfNeeded: high >> (56 - 8 * $0)) }
            + (0..<8).map { UInt8(truncatingIfNeeded: low >> (56 - 8 * $0)) }
    }

    public var host: String {
        var bytes = addressBytes
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        _ = inet_ntop(isIPv6 ? AF_INET6 : AF_INET, &bytes, &out, socklen_t(out.count))
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    // MARK: sockaddr conversion (used by the socket layer only)

    init?(storage: UnsafeRawPointer) {
        let family = storage.load(as: sa_family_t.self)
        if family == sa_family_t(AF_INET) {
            let sin = storage.load(as: sockaddr_in.self)
            let a = UInt32(bigEndian: sin.sin_addr.s_addr)
            self.init(ipv4: (UInt8(a >> 24), UInt8((a >> 16) & 0xff), UInt8((a >> 8) & 0xff), UInt8(a & 0xff)),
                      port: UInt16(bigEndian: sin.sin_port))
        } else if family == sa_family_t(AF_INET6) {
            // Read the 16 address bytes in place: this runs for every received datagram.
            let sin6 = storage.load(as: sockaddr_in6.self)
            let (high, low) = withUnsafeBytes(of: sin6.sin6_addr) { raw -> (UInt64, UInt64) in
                var h: UInt64 = 0, l: UInt64 = 0
                for i in 0..<8 { h = h << 8 | UInt64(raw[i]) }
                for i in 8..<16 { l = l << 8 | UInt64(raw[i]) }
                return (h, l)
            }
            self.init(high: high, low: low, port: UInt16(bigEndian: sin6.sin6_port), isIPv6: true)
        } else {
            return nil
        }
    }

    /// Writes the sockaddr form into `storage` (at least sizeof(sockaddr_in6)); returns its length.
    public func write(to storage: UnsafeMutableRawPointer) -> socklen_t {
        if isIPv6 {
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for i in 0..<8 { raw[i] = UInt8(truncatingIfNeeded: high >> (56 - 8 * i)) }
                for i in 0..<8 { raw[8 + i] = UInt8(truncatingIfNeeded: low >> (56 - 8 * i)) }
            }
            storage.storeBytes(of: sin6, as: sockaddr_in6.self)
            return socklen_t(MemoryLayout<sockaddr_in6>.size)
        }
        var sin = sockaddr_in()
        sin.sin_family = sa_family_t(AF_INET)
        sin.sin_port = port.bigEndian
        sin.sin_addr.s_addr = UInt32(truncatingIfNeeded: low).bigEndian
        storage.storeBytes(of: sin, as: sockaddr_in.self)
        return socklen_t(MemoryLayout<sockaddr_in>.size)
    }
}
