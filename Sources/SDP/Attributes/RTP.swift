// RTP attributes: rtpmap / fmtp (RFC 8866 §6.6, §6.15), rtcp-fb (RFC 4585 §4.2),
// extmap (RFC 8285 §8) and the direction attributes (RFC 8866 §6.7, RFC 3264 §6.1).

/// An ordered `key[=value]` pair (fmtp parameters, rid restrictions, candidate extensions).
public struct SDPParameter: Hashable, Sendable {
    public var key: String
    public var value: String?

    public init(_ key: String, _ value: String? = nil) {
        self.key = key
        self.value = value
    }

    var text: String { value.map { "\(key)=\($0)" } ?? key }

    /// `a=b;c=d` → pairs; spaces around `;` are tolerated (RFC 8866 leaves fmtp format-specific).
    static func list(_ s: Substring) -> [SDPParameter]? {
        var out: [SDPParameter] = []
        for part in s.split(separator: ";", omittingEmptySubsequences: true) {
            let p = Scan.trimmed(part)
            if p.isEmpty { continue }
            guard Scan.isVisible(p) else { return nil }
            if let eq = p.firstIndex(of: "=") {
                out.append(SDPParameter(String(Scan.trimmed(p[..<eq])), String(Scan.trimmed(p[p.index(after: eq)...]))))
            } else {
                out.append(SDPParameter(String(p)))
            }
        }
        return out
    }
}

extension [SDPParameter] {
    /// First value for `key`, compared case-insensitively (RFC 6184 §8.1 parameters are case-insensitive).
    public subscript(key: String) -> String? {
        let k = key.lowercased()
        return first { $0.key.lowercased() == k }?.value
    }

    var text: String { map(\.text).joined(separator: ";") }
}

/// sendrecv / sendonly / recvonly / inactive. Absent means sendrecv (RFC 8866 §6.7).
public enum Direction: String, Hashable, Sendable, CaseIterable {
    case sendrecv, sendonly, recvonly, inactive

    public var sends: Bool { self == .sendrecv || self == .sendonly }
    public var receives: Bool { self == .sendrecv || self == .recvonly }

    public init(sends: Bool, receives: Bool) {
        switch (sends, receives) {
        case (true, true): self = .sendrecv
        case (true, false): self = .sendonly
        case (false, true): self = .recvonly
        case (false, false): self = .inactive
        }
    }

    /// The direction as seen from the other side (sendonly ↔ recvonly).
    public var reversed: Direction { Direction(sends: receives, receives: sends) }

    /// Both constraints at once: used to clamp an answer to what the offer allows (RFC 3264 §6.1).
    public func intersection(_ other: Direction) -> Direction {
        Direction(sends: sends && other.sends, receives: receives && other.receives)
    }
}

/// `a=rtpmap:<pt> <encoding>/<clock>[/<channels>]`.
public struct RTPMap: SDPAttributeValue, Hashable {
    public static let attributeName = "rtpmap"
    public var payloadType: UInt8
    public var encodingName: String
    public var clockRate: UInt32
    /// Audio channel count; nil when absent (which RFC 8866 §6.6 defines as 1).
    public var channels: UInt16?

    public init(payloadType: UInt8, encodingName: String, clockRate: UInt32, channels: UInt16? = nil) {
        self.payloadType = payloadType
        self.encodingName = encodingName
        self.clockRate = clockRate
        self.channels = channels
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 2, let pt = Scan.decimal(f[0], as: UInt8.self), pt <= 127 else { return nil }
        let enc = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard enc.count == 2 || enc.count == 3, Scan.isToken(enc[0]),
              let clock = Scan.decimal(enc[1], as: UInt32.self), clock > 0 else { return nil }
        var channels: UInt16?
        if enc.count == 3 {
            guard let c = Scan.decimal(enc[2], as: UInt16.self), c > 0 else { return nil }
            channels = c
        }
        self.init(payloadType: pt, encodingName: String(enc[0]), clockRate: clock, channels: channels)
    }

    public var attributeValue: String {
        "\(payloadType) \(encodingName)/\(clockRate)" + (channels.map { "/\($0)" } ?? "")
    }
}

/// `a=fmtp:<pt> <parameters>`; parameters keep their order so re-serialization is stable.
/// Non-`key=value` parameters (RED's `111/111`, RFC 2198 §5) are kept as a key without value.
public struct FMTP: SDPAttributeValue, Hashable {
    public static let attributeName = "fmtp"
    public var payloadType: UInt8
    public var parameters: [SDPParameter]

    public init(payloadType: UInt8, parameters: [SDPParameter]) {
        self.payloadType = payloadType
        self.parameters = parameters
    }

    public init?(attributeValue: Substring) {
        let (head, rest) = Scan.splitFirst(attributeValue)
        guard let pt = Scan.decimal(head, as: UInt8.self), pt <= 127,
              let params = SDPParameter.list(rest ?? "") else { return nil }
        self.init(payloadType: pt, parameters: params)
    }

    public var attributeValue: String { "\(payloadType) \(parameters.text)" }
}

/// `a=rtcp-fb:<pt|*> <type> [<parameter>]`, e.g. `nack pli`, `ccm fir`, `transport-cc`.
public struct RTCPFeedback: SDPAttributeValue, Hashable {
    public static let attributeName = "rtcp-fb"
    /// nil for `*` (applies to every payload type of the section).
    public var payloadType: UInt8?
    public var type: String
    /// Everything after the type, e.g. `pli` or `fir`; nil if absent.
    public var parameter: String?

    public init(payloadType: UInt8?, type: String, parameter: String? = nil) {
        self.payloadType = payloadType
        self.type = type
        self.parameter = parameter
    }

    public init?(attributeValue: Substring) {
        let (head, rest) = Scan.splitFirst(attributeValue)
        guard let rest else { return nil }
        if head == "*" {
            payloadType = nil
        } else {
            guard let pt = Scan.decimal(head, as: UInt8.self), pt <= 127 else { return nil }
            payloadType = pt
        }
        let (type, param) = Scan.splitFirst(rest)
        guard Scan.isToken(type) else { return nil }
        self.type = String(type)
        self.parameter = param.map(String.init)
    }

    public var attributeValue: String {
        (payloadType.map(String.init) ?? "*") + " \(type)" + (parameter.map { " \($0)" } ?? "")
    }

    /// Whether two feedback lines ask for the same mechanism, ignoring the payload type.
    public func sameMechanism(as other: RTCPFeedback) -> Bool {
        type.lowercased() == other.type.lowercased() && parameter?.lowercased() == other.parameter?.lowercased()
    }
}

/// `a=extmap:<id>[/<direction>] <uri> [<attributes>]` (RFC 8285 §8).
public struct ExtMap: SDPAttributeValue, Hashable {
    public static let attributeName = "extmap"
    /// 1-14 for one-byte headers, up to 255 with two-byte headers (RFC 8285 §4-5);
    /// 4096-4351 are the offer-only range of RFC 8285 §7.
    public var id: UInt16
    public var direction: Direction?
    public var uri: String
    public var extensionAttributes: String?

    public init(id: UInt16, uri: String, direction: Direction? = nil, extensionAttributes: String? = nil) {
        self.id = id
        self.uri = uri
        self.direction = direction
        self.extensionAttributes = extensionAttributes
    }

    public init?(attributeValue: Substring) {
        let (head, rest) = Scan.splitFirst(attributeValue)
        guard let rest else { return nil }
        let idParts = head.split(separator: "/", omittingEmptySubsequences: false)
        guard idParts.count <= 2, let id = Scan.decimal(idParts[0], as: UInt16.self),
              (1...255).contains(id) || (4096...4351).contains(id) else { return nil }
        if idParts.count == 2 {
            guard let d = Direction(rawValue: String(idParts[1])) else { return nil }
            direction = d
        } else {
            direction = nil
        }
        let (uri, attrs) = Scan.splitFirst(rest)
        guard Scan.isVisible(uri) else { return nil }
        self.id = id
        self.uri = String(uri)
        self.extensionAttributes = attrs.map(String.init)
    }

    public var attributeValue: String {
        "\(id)" + (direction.map { "/\($0.rawValue)" } ?? "") + " \(uri)" + (extensionAttributes.map { " \($0)" } ?? "")
    }
}
