// Stream identification attributes: ssrc / ssrc-group (RFC 5576), msid (RFC 8830),
// rid (RFC 8851), simulcast (RFC 8853), group (RFC 5888) and msid-semantic.

/// `a=ssrc:<ssrc> <attribute>[:<value>]`, e.g. `cname:abc` or `msid:stream track`.
public struct SSRCAttribute: SDPAttributeValue, Hashable {
    public static let attributeName = "ssrc"
    public var ssrc: UInt32
    public var attribute: String
    public var value: String?

    public init(ssrc: UInt32, attribute: String, value: String? = nil) {
        self.ssrc = ssrc
        self.attribute = attribute
        self.value = value
    }

    public init?(attributeValue: Substring) {
        let (head, rest) = Scan.splitFirst(attributeValue)
        guard let ssrc = Scan.decimal(head, as: UInt32.self), let rest else { return nil }
        let name: Substring
        if let colon = rest.firstIndex(of: ":") {
            name = rest[..<colon]
            value = String(rest[rest.index(after: colon)...])
        } else {
            name = rest
            value = nil
        }
        guard Scan.isToken(name) else { return nil }
        self.ssrc = ssrc
        self.attribute = String(name)
    }

    public var attributeValue: String { "\(ssrc) \(attribute)" + (value.map { ":\($0)" } ?? "") }
}

/// `a=ssrc-group:<semantics> <ssrc>...`: FID pairs a media SSRC with its RTX SSRC (RFC 4588 §8.1),
/// SIM lists simulcast layers (libwebrtc legacy signalling).
public struct SSRCGroup: SDPAttributeValue, Hashable {
    public static let attributeName = "ssrc-group"
    public var semantics: String
    public var ssrcs: [UInt32]

    public init(semantics: String, ssrcs: [UInt32]) {
        self.semantics = semantics
        self.ssrcs = ssrcs
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count >= 2, Scan.isToken(f[0]) else { return nil }
        var ssrcs: [UInt32] = []
        for s in f.dropFirst() {
            guard let v = Scan.decimal(s, as: UInt32.self) else { return nil }
            ssrcs.append(v)
        }
        self.init(semantics: String(f[0]), ssrcs: ssrcs)
    }

    public var attributeValue: String { ([semantics] + ssrcs.map(String.init)).joined(separator: " ") }
}

/// `a=msid:<stream-id> [<track-id>]` (RFC 8830 §2). Chrome uses `-` for "no stream".
public struct MSID: SDPAttributeValue, Hashable {
    public static let attributeName = "msid"
    public var streamID: String
    public var trackID: String?

    public init(streamID: String, trackID: String? = nil) {
        self.streamID = streamID
        self.trackID = trackID
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 1 || f.count == 2, f.allSatisfy({ Scan.isVisible($0) }) else { return nil }
        streamID = String(f[0])
        trackID = f.count == 2 ? String(f[1]) : nil
    }

    public var attributeValue: String { streamID + (trackID.map { " \($0)" } ?? "") }
}

/// `a=rid:<id> <send|recv> [pt=<fmt,...>;<restriction>=<value>...]` (RFC 8851 §10).
public struct RID: SDPAttributeValue, Hashable {
    public static let attributeName = "rid"
    public enum RIDDirection: String, Hashable, Sendable { case send, recv }

    public var id: String
    public var direction: RIDDirection
    /// Restrictions in order, including `pt` (see `payloadTypes`).
    public var restrictions: [SDPParameter]

    public init(id: String, direction: RIDDirection, restrictions: [SDPParameter] = []) {
        self.id = id
        self.direction = direction
        self.restrictions = restrictions
    }

    /// rid-syntax = 1*(ALPHA / DIGIT / "-" / "_") (RFC 8851 §10).
    static func isValidID(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.count <= 255 && s.utf8.allSatisfy { b in
            (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x2D || b == 0x5F
        }
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 2 || f.count == 3, Self.isValidID(f[0]),
              let dir = RIDDirection(rawValue: String(f[1])) else { return nil }
        var restrictions: [SDPParameter] = []
        if f.count == 3 {
            guard let list = SDPParameter.list(f[2]) else { return nil }
            restrictions = list
        }
        self.init(id: String(f[0]), direction: dir, restrictions: restrictions)
    }

    /// The `pt=` restriction as payload types; empty if absent or unparsable.
    public var payloadTypes: [UInt8] {
        guard let pt = restrictions["pt"] else { return [] }
        return pt.split(separator: ",").compactMap { Scan.decimal($0, as: UInt8.self) }
    }

    public var attributeValue: String {
        "\(id) \(direction.rawValue)" + (restrictions.isEmpty ? "" : " \(restrictions.text)")
    }
}

/// `a=simulcast:send f;h;q recv ...` (RFC 8853 §5.1). Each list entry is a set of alternative
/// rids (`,`); a `~` prefix marks a stream that starts paused.
public struct Simulcast: SDPAttributeValue, Hashable {
    public static let attributeName = "simulcast"

    public struct Stream: Hashable, Sendable {
        public var rid: String
        public var paused: Bool
        public init(rid: String, paused: Bool = false) {
            self.rid = rid
            self.paused = paused
        }
    }

    /// Outer array: streams (`;`); inner array: alternatives for that stream (`,`).
    public var send: [[Stream]]
    public var recv: [[Stream]]

    public init(send: [[Stream]] = [], recv: [[Stream]] = []) {
        self.send = send
        self.recv = recv
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 2 || f.count == 4 else { return nil }
        var send: [[Stream]]?
        var recv: [[Stream]]?
        for i in stride(from: 0, to: f.count, by: 2) {
            guard let list = Self.parseList(f[i + 1]) else { return nil }
            switch f[i] {
            case "send" where send == nil: send = list
            case "recv" where recv == nil: recv = list
            default: return nil
            }
        }
        self.init(send: send ?? [], recv: recv ?? [])
    }

    static func parseList(_ s: Substring) -> [[Stream]]? {
        var out: [[Stream]] = []
        for alt in s.split(separator: ";", omittingEmptySubsequences: false) {
            var streams: [Stream] = []
            for id in alt.split(separator: ",", omittingEmptySubsequences: false) {
                let paused = id.hasPrefix("~")
                let rid = paused ? id.dropFirst() : id
                guard RID.isValidID(rid) else { return nil }
                streams.append(Stream(rid: String(rid), paused: paused))
            }
            out.append(streams)
        }
        return out
    }

    static func render(_ list: [[Stream]]) -> String {
        list.map { $0.map { ($0.paused ? "~" : "") + $0.rid }.joined(separator: ",") }.joined(separator: ";")
    }

    public var attributeValue: String {
        var parts: [String] = []
        if !send.isEmpty { parts.append("send \(Self.render(send))") }
        if !recv.isEmpty { parts.append("recv \(Self.render(recv))") }
        return parts.joined(separator: " ")
    }
}

/// `a=group:<semantics> <mid>...` (RFC 5888 §5); BUNDLE is RFC 8843 §7.
public struct Group: SDPAttributeValue, Hashable {
    public static let attributeName = "group"
    public var semantics: String
    public var mids: [String]

    public init(semantics: String, mids: [String]) {
        self.semantics = semantics
        self.mids = mids
    }

    public static func bundle(_ mids: [String]) -> Group { Group(semantics: "BUNDLE", mids: mids) }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard let first = f.first, Scan.isToken(first), f.allSatisfy({ Scan.isToken($0) }) else { return nil }
        self.init(semantics: String(first), mids: f.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantics] + mids).joined(separator: " ") }
}

/// `a=msid-semantic: WMS [ids]` (pre-RFC 8830 libwebrtc form; Chrome writes a space after the colon).
public struct MSIDSemantic: SDPAttributeValue, Hashable {
    public static let attributeName = "msid-semantic"
    public var semantic: String
    public var identifiers: [String]

    public init(semantic: String = "WMS", identifiers: [String] = []) {
        self.semantic = semantic
        self.identifiers = identifiers
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard let first = f.first, f.allSatisfy({ Scan.isVisible($0) }) else { return nil }
        self.init(semantic: String(first), identifiers: f.dropFirst().map(String.init))
    }

    public var attributeValue: String { ([semantic] + identifiers).joined(separator: " ") }
}

/// mid values are RFC 8866 tokens (RFC 5888 §4). 255 bytes is far beyond the 16 bytes the
/// RTP MID header extension can carry, but only bounds memory here.
enum MidSyntax {
    static func isValid(_ s: Substring) -> Bool { Scan.isToken(s) && s.utf8.count <= 255 }
}
