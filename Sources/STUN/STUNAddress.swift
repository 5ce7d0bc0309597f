#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A transport address carried by MAPPED-ADDRESS and XOR-MAPPED-ADDRESS (RFC 8489 §14.1, §14.2):
/// an IPv4 or IPv6 address plus a UDP/TCP port.
///
/// The address bytes are private so the family and byte count can never disagree.
public struct STUNAddress: Sendable, Hashable, CustomStringConvertible {
    /// Address family, with the wire values of RFC 8489 §14.1.
    public enum Family: UInt8, Sendable, Hashable {
        case ipv4 = 0x01
        case ipv6 = 0x02

        /// Number of address bytes for the family.
        public var addressLength: Int { self == .ipv4 ? 4 : 16 }
    }

    /// IPv4 or IPv6.
    public let family: Family
    /// The address in network order: 4 bytes for IPv4, 16 for IPv6.
    public let addressBytes: [UInt8]
    /// The port in host order.
    public var port: UInt16

    /// An IPv4 address from its four bytes in network order.
    public init(ipv4 a: UInt8, _ b: UInt8, _ c: UInt8, _ d: UInt8, port: UInt16) {
        self.family = .ipv4
        self.addressBytes = [a, b, c, d]
        self.port = port
    }

    /// An address from raw bytes: 4 bytes make IPv4, 16 make IPv6, anything else is nil.
    public init?(addressBytes: [UInt8], port: UInt16) {
        switch addressBytes.count {
        case 4: family = .ipv4
        case 16: family = .ipv6
        default: return nil
        }
        self.addressBytes = addressBytes
        self.port = port
    }

    /// Parses a textual address (“192.0.2.1”, “2001:db8::1”) with `inet_pton`; nil if it is
    /// neither. A pure conversion: no name resolution happens.
    public init?(host: String, port: UInt16) {
        var v4 = [UInt8](repeating: 0, count: 4)
        var v6 = [UInt8](repeating: 0, count: 16)
        // Each buffer is exactly the size inet_pton writes for its family.
        if v4.withUnsafeMutableBytes({ inet_pton(AF_INET, host, $0.baseAddress) }) == 1 {
            self.init(addressBytes: v4, port: port)
        } else if v6.withUnsafeMutableBytes({ inet_pton(AF_INET6, host, $0.baseAddress) }) == 1 {
            self.init(addressBytes: v6, port: port)
        } else {
            return nil
        }
    }

    /// The address without the port: dotted quad, or RFC 5952 style compressed IPv6.
    public var host: String {
        if family == .ipv4 {
            return addressBytes.map(String.init).joined(separator: ".")
        }
        var groups: [UInt16] = []
        for i in stride(from: 0, to: 16, by: 2) {
            groups.append(UInt16(addressBytes[i]) << 8 | UInt16(addressBytes[i + 1]))
        }
        // RFC 5952 §4.2: compress the longest run (length >= 2) of zero groups, first wins.
        var bestStart = -1, bestLength = 0, runStart = -1
        for i in 0...8 {
            if i < 8 && groups[i] == 0 {
                if runStart < 0 { runStart = i }
            } else if runStart >= 0 {
                if i - runStart > bestLength { bestStart = runStart; bestLength = i - runStart }
                runStart = -1
            }
        }
        let hex = { (g: UInt16) in String(g, radix: 16) }
        guard bestLength >= 2 else { return groups.map(hex).joined(separator: ":") }
        let head = groups[..<bestStart].map(hex).joined(separator: ":")
        let tail = groups[(bestStart + bestLength)...].map(hex).joined(separator: ":")
        return head + "::" + tail
    }

    /// “192.0.2.1:3478” or “[2001:db8::1]:3478”.
    public var description: String {
        family == .ipv4 ? "\(host):\(port)" : "[\(host)]:\(port)"
    }
}
