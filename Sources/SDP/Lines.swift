// Values of the non-attribute SDP lines (RFC 8866 §5) and the raw attribute container.

/// One `a=` line, stored verbatim so unknown attributes survive a parse/serialize round trip
/// (RFC 8866 §5.13: unknown attributes are ignored, not dropped, by a relaying party).
public struct SDPAttribute: Hashable, Sendable {
    public var name: String
    /// Text after the first `:`; nil for property attributes such as `a=rtcp-mux`.
    public var value: String?

    public init(_ name: String, _ value: String? = nil) {
        self.name = name
        self.value = value
    }

    /// Builds the attribute line for a typed value.
    public init<T: SDPAttributeValue>(_ typed: T) {
        self.init(T.attributeName, typed.attributeValue)
    }

    var line: String { value.map { "a=\(name):\($0)" } ?? "a=\(name)" }
}

/// A typed view of one attribute kind. `init?(attributeValue:)` is the grammar check the
/// parser applies to every known attribute, so typed accessors never meet malformed values.
public protocol SDPAttributeValue: Sendable {
    static var attributeName: String { get }
    init?(attributeValue: Substring)
    var attributeValue: String { get }
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>` (RFC 8866 §5.2).
public struct Origin: Hashable, Sendable {
    public var username: String
    /// Kept as text: RFC 8866 only says 1*DIGIT, and peers do send ids beyond 64 bits.
    public var sessionID: String
    /// JSEP (RFC 8829 §5.2.2) increments this on every new description of the session.
    public var sessionVersion: UInt64
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(username: String = "-", sessionID: String, sessionVersion: UInt64,
                networkType: String = "IN", addressType: String = "IP4", address: String = "127.0.0.1") {
        self.username = username
        self.sessionID = sessionID
        self.sessionVersion = sessionVersion
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    init?(_ s: Substring) {
        let f = Scan.fields(s)
        guard f.count == 6, f.allSatisfy({ Scan.isVisible($0) }),
              f[1].utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let version = Scan.decimal(f[2], as: UInt64.self) else { return nil }
        self.init(username: String(f[0]), sessionID: String(f[1]), sessionVersion: version,
                  networkType: String(f[3]), addressType: String(f[4]), address: String(f[5]))
    }

    var value: String { "\(username) \(sessionID) \(sessionVersion) \(networkType) \(addressType) \(address)" }
}

/// `c=<nettype> <addrtype> <connection-address>` (RFC 8866 §5.7). The address keeps any
/// `/ttl/count` suffix as text; WebRTC only uses plain unicast addresses.
public struct Connection: Hashable, Sendable {
    public var networkType: String
    public var addressType: String
    public var address: String

    public init(networkType: String = "IN", addressType: String = "IP4", address: String) {
        self.networkType = networkType
        self.addressType = addressType
        self.address = address
    }

    /// `c=IN IP4 0.0.0.0` / `IN IP6 ::` chosen from the address form.
    public init(address: String) {
        self.init(addressType: address.contains(":") ? "IP6" : "IP4", address: address)
    }

    init?(_ s: Substring) {
        let f = Scan.fields(s)
        guard f.count == 3, f.allSatisfy({ Scan.isVisible($0) }) else { return nil }
        self.init(networkType: String(f[0]), addressType: String(f[1]), address: String(f[2]))
    }

    var value: String { "\(networkType) \(addressType) \(address)" }
}

/// `b=<bwtype>:<bandwidth>` (RFC 8866 §5.8), e.g. `b=AS:2500` or `b=TIAS:2500000`.
public struct Bandwidth: Hashable, Sendable {
    public var type: String
    public var value: UInt64

    public init(type: String, value: UInt64) {
        self.type = type
        self.value = value
    }

    init?(_ s: Substring) {
        guard let colon = s.firstIndex(of: ":"), Scan.isToken(s[..<colon]),
              let v = Scan.decimal(s[s.index(after: colon)...], as: UInt64.self) else { return nil }
        self.init(type: String(s[..<colon]), value: v)
    }

    var text: String { "\(type):\(value)" }
}

/// `t=<start> <stop>` plus its `r=` repeat lines (RFC 8866 §5.9-5.10). WebRTC always uses `t=0 0`.
public struct Timing: Hashable, Sendable {
    public var start: UInt64
    public var stop: UInt64
    /// Raw `r=` values, preserved but not interpreted.
    public var repeats: [String]

    public init(start: UInt64 = 0, stop: UInt64 = 0, repeats: [String] = []) {
        self.start = start
        self.stop = stop
        self.repeats = repeats
    }

    init?(_ s: Substring) {
        let f = Scan.fields(s)
        guard f.count == 2, let a = Scan.decimal(f[0], as: UInt64.self),
              let b = Scan.decimal(f[1], as: UInt64.self) else { return nil }
        self.init(start: a, stop: b)
    }
}

/// The `<media>` field of an m-line (RFC 8866 §5.14).
public enum MediaKind: Hashable, Sendable, CustomStringConvertible {
    case audio, video, application
    /// `text`, `message`, or anything newer; kept so such sections can be rejected, not lost.
    case other(String)

    public init(_ s: String) {
        switch s {
        case "audio": self = .audio
        case "video": self = .video
        case "application": self = .application
        default: self = .other(s)
        }
    }

    public var description: String {
        switch self {
        case .audio: "audio"
        case .video: "video"
        case .application: "application"
        case .other(let s): s
        }
    }
}
