// ICE attributes (RFC 8839 §5): candidate, ice-ufrag / ice-pwd, ice-options.

enum ICEChars {
    /// ice-char = ALPHA / DIGIT / "+" / "/" (RFC 8839 §5.1).
    static func isValid(_ s: Substring, maxLength: Int = 256) -> Bool {
        !s.isEmpty && s.utf8.count <= maxLength && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2B || b == 0x2F
        }
    }

    /// ice-ufrag is 4-256 ice-chars and ice-pwd 22-256 (RFC 8839 §5.4). Parsing only enforces the
    /// character set and the upper bound (peers are not penalised for short values); the builders
    /// check the lower bounds on our own credentials.
    static func isValidUfrag(_ s: Substring) -> Bool { isValid(s) }
    static func isValidPwd(_ s: Substring) -> Bool { isValid(s) }
}

/// `a=candidate` (RFC 8839 §5.1):
/// `foundation SP component SP transport SP priority SP address SP port SP "typ" SP type
///  [SP "raddr" SP addr] [SP "rport" SP port] *(SP ext-name SP ext-value)`.
/// Extensions such as libwebrtc's `generation`, `ufrag`, `network-id`, `network-cost` and the
/// RFC 6544 `tcptype` are kept in order as name/value pairs.
public struct Candidate: SDPAttributeValue, Hashable {
    public static let attributeName = "candidate"

    public enum Kind: Hashable, Sendable, CustomStringConvertible {
        case host, serverReflexive, peerReflexive, relay
        case other(String)

        init(_ s: Substring) {
            switch s {
            case "host": self = .host
            case "srflx": self = .serverReflexive
            case "prflx": self = .peerReflexive
            case "relay": self = .relay
            default: self = .other(String(s))
            }
        }

        public var description: String {
            switch self {
            case .host: "host"
            case .serverReflexive: "srflx"
            case .peerReflexive: "prflx"
            case .relay: "relay"
            case .other(let s): s
            }
        }
    }

    public var foundation: String
    /// 1 = RTP, 2 = RTCP (absent with rtcp-mux). Range 1...256 per RFC 8839 §5.1.
    public var component: UInt16
    /// `UDP`, `TCP`, ... compared case-insensitively by consumers.
    public var transport: String
    public var priority: UInt32
    /// IPv4, IPv6 or an FQDN (mDNS `.local` names from browsers, RFC 8839 §5.1 / draft-mdns-ice).
    public var address: String
    public var port: UInt16
    public var kind: Kind
    public var relatedAddress: String?
    public var relatedPort: UInt16?
    public var extensions: [SDPParameter]

    public init(foundation: String, component: UInt16 = 1, transport: String = "udp", priority: UInt32,
                address: String, port: UInt16, kind: Kind = .host, relatedAddress: String? = nil,
                relatedPort: UInt16? = nil, extensions: [SDPParameter] = []) {
        self.foundation = foundation
        self.component = component
        self.transport = transport
        self.priority = priority
        self.address = address
        self.port = port
        self.kind = kind
        self.relatedAddress = relatedAddress
        self.relatedPort = relatedPort
        self.extensions = extensions
    }

    /// Parses a candidate as it appears in trickle signalling: with or without a leading
    /// `a=` and `candidate:`.
    public init(parsing text: String) throws(SDPParseError) {
        var s = Substring(text)
        if s.hasPrefix("a=") { s = s.dropFirst(2) }
        if s.hasPrefix("candidate:") { s = s.dropFirst("candidate:".count) }
        guard let c = Candidate(attributeValue: s) else {
            throw SDPParseError(line: 1, reason: .malformedAttribute(Self.attributeName))
        }
        self = c
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count >= 8, f[6] == "typ",
              ICEChars.isValid(f[0], maxLength: 32),
              let component = Scan.decimal(f[1], as: UInt16.self), (1...256).contains(component),
              Scan.isToken(f[2]),
              let priority = Scan.decimal(f[3], as: UInt32.self),
              Scan.isVisible(f[4]),
              let port = Scan.decimal(f[5], as: UInt16.self),
              Scan.isToken(f[7]) else { return nil }
        var rest = f[8...]
        var raddr: String?
        var rport: UInt16?
        if rest.first == "raddr" {
            guard rest.count >= 2, Scan.isVisible(rest[rest.startIndex + 1]) else { return nil }
            raddr = String(rest[rest.startIndex + 1])
            rest = rest.dropFirst(2)
        }
        if rest.first == "rport" {
            guard rest.count >= 2, let p = Scan.decimal(rest[rest.startIndex + 1], as: UInt16.self) else { return nil }
            rport = p
            rest = rest.dropFirst(2)
        }
        // Extensions come in name/value pairs; an odd count means a truncated or garbled line.
        guard rest.count % 2 == 0 else { return nil }
        var ext: [SDPParameter] = []
        var i = rest.startIndex
        while i < rest.endIndex {
            guard Scan.isToken(rest[i]), Scan.isVisible(rest[i + 1]) else { return nil }
            ext.append(SDPParameter(String(rest[i]), String(rest[i + 1])))
            i += 2
        }
        self.init(foundation: String(f[0]), component: component, transport: String(f[2]), priority: priority,
                  address: String(f[4]), port: port, kind: Kind(f[7]), relatedAddress: raddr,
                  relatedPort: rport, extensions: ext)
    }

    public var attributeValue: String {
        var s = "\(foundation) \(component) \(transport) \(priority) \(address) \(port) typ \(kind)"
        if let relatedAddress { s += " raddr \(relatedAddress)" }
        if let relatedPort { s += " rport \(relatedPort)" }
        for e in extensions { s += " \(e.key) \(e.value ?? "")" }
        return s
    }

    /// `candidate:...` as used in trickle ICE signalling (RTCIceCandidate.candidate).
    public var candidateString: String { "candidate:\(attributeValue)" }

    public func extensionValue(_ name: String) -> String? {
        extensions.first { $0.key == name }?.value
    }
}

/// `a=ice-options:trickle renomination` (RFC 8839 §5.6): space-separated option tags.
public struct ICEOptions: SDPAttributeValue, Hashable {
    public static let attributeName = "ice-options"
    public var options: [String]

    public init(_ options: [String]) { self.options = options }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard !f.isEmpty, f.allSatisfy({ Scan.isVisible($0) }) else { return nil }
        options = f.map(String.init)
    }

    public var attributeValue: String { options.joined(separator: " ") }
}
