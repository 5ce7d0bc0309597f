// Parsing SDP text (RFC 8866 §5, §9) into the model.
//
// Leniencies, all deliberate: LF or CRLF line ends (RFC 8866 §5 asks parsers to accept LF),
// blank lines are skipped, runs of spaces between fields are accepted, and session-level lines
// after `s=` may come in any order. Strictness, also deliberate: unknown line letters are
// rejected (RFC 8866 §5 allows reject-or-ignore), every *known* attribute must match its
// grammar (as libwebrtc does: a bad candidate/fingerprint/rtpmap fails the whole description),
// mids must be unique and groups may only name existing mids. Unknown attributes are kept verbatim.

extension SessionDescription {
    public init(parsing text: String, limits: SDPLimits = .default) throws(SDPParseError) {
        let utf8 = text.utf8
        guard utf8.count <= limits.maxBytes else {
            throw SDPParseError(line: 0, reason: .tooLarge(bytes: utf8.count))
        }
        try self.init(parsing: Array(utf8), limits: limits)
    }

    public init(parsing bytes: [UInt8], limits: SDPLimits = .default) throws(SDPParseError) {
        var p = SDPParser(limits: limits)
        self = try p.parse(bytes)
    }
}

struct SDPParser {
    let limits: SDPLimits
    /// Line number of each a=mid / a=group, for post-parse consistency errors.
    private var midLines: [(mid: String, line: Int)] = []
    private var groupLines: [(group: Group, line: Int)] = []

    init(limits: SDPLimits) { self.limits = limits }

    private enum Phase { case start, afterVersion, afterOrigin, session, media }

    mutating func parse(_ bytes: [UInt8]) throws(SDPParseError) -> SessionDescription {
        guard bytes.count <= limits.maxBytes else { throw SDPParseError(line: 0, reason: .tooLarge(bytes: bytes.count)) }
        var phase = Phase.start
        var session = SessionDescription(origin: Origin(sessionID: "0", sessionVersion: 0), timing: [])
        var current: MediaDescription?
        var lineNumber = 0

        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count && bytes[end] != 0x0A { end += 1 }
            let lineStart = start
            start = end + 1
            lineNumber += 1
            guard lineNumber <= limits.maxLines else { throw SDPParseError(line: lineNumber, reason: .tooManyLines) }
            var lineEnd = end
            if lineEnd > lineStart && bytes[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            if lineEnd == lineStart { continue } // blank line, or the text's final line ending
            guard lineEnd - lineStart <= limits.maxLineBytes else {
                throw SDPParseError(line: lineNumber, reason: .lineTooLong)
            }
            let raw = bytes[lineStart..<lineEnd]
            // NUL and bare CR are excluded from SDP text (RFC 8866 §9 byte-string).
            // Invalid UTF-8 is detected by the repair String(decoding:) would have to make
            // (String(validating:) needs macOS 15; the package supports macOS 14).
            let line = String(decoding: raw, as: UTF8.self)
            guard !raw.contains(0x00), !raw.contains(0x0D), line.utf8.elementsEqual(raw) else {
                throw SDPParseError(line: lineNumber, reason: .invalidEncoding)
            }
            let utf8 = Array(line.utf8.prefix(2))
            guard utf8.count == 2, utf8[1] == UInt8(ascii: "="), utf8[0] >= 0x61, utf8[0] <= 0x7A else {
                throw SDPParseError(line: lineNumber, reason: .malformedLine)
            }
            let type = Character(Unicode.Scalar(utf8[0]))
            let value = line.dropFirst(2)
            func fail(_ r: SDPParseError.Reason) -> SDPParseError { SDPParseError(line: lineNumber, reason: r) }

            switch (phase, type) {
            case (.start, "v"):
                guard value == "0" else { throw fail(.unsupportedVersion) }
                phase = .afterVersion
            case (.start, _):
                throw fail(.missingLine("v"))
            case (.afterVersion, "o"):
                guard let o = Origin(value) else { throw fail(.malformedOrigin) }
                session.origin = o
                phase = .afterOrigin
            case (.afterVersion, _):
                throw fail(.missingLine("o"))
            case (.afterOrigin, "s"):
                // RFC 8866 §5.3: non-empty; "-" when there is no name. Empty is tolerated as " ".
                session.sessionName = String(value)
                phase = .session
            case (.afterOrigin, _):
                throw fail(.missingLine("s"))
            case (.session, "i"): session.information = String(value)
            case (.session, "u"): session.uri = String(value)
            case (.session, "e"): session.emails.append(String(value))
            case (.session, "p"): session.phones.append(String(value))
            case (.session, "c"):
                guard session.connection == nil, let c = Connection(value) else { throw fail(.malformedConnection) }
                session.connection = c
            case (.session, "b"):
                guard let b = Bandwidth(value) else { throw fail(.malformedBandwidth) }
                session.bandwidths.append(b)
            case (.session, "t"):
                guard let t = Timing(value) else { throw fail(.malformedTiming) }
                session.timing.append(t)
            case (.session, "r"):
                guard !session.timing.isEmpty else { throw fail(.unexpectedLine("r")) }
                session.timing[session.timing.count - 1].repeats.append(String(value))
            case (.session, "z"): session.timeZones = String(value)
            case (.session, "k"): session.encryptionKey = String(value)
            case (.session, "a"):
                guard session.attributes.count < limits.maxAttributesPerSection else { throw fail(.tooManyAttributes) }
                let a = try attribute(value, rtp: false, sessionLevel: true, line: lineNumber)
                session.attributes.append(a)
            case (.session, "m"), (.media, "m"):
                if let m = current { session.media.append(m) }
                guard session.media.count < limits.maxMediaSections else { throw fail(.tooManyMediaSections) }
                guard let m = Self.mediaLine(value) else { throw fail(.malformedMediaLine) }
                current = m
                phase = .media
            case (.media, "i"): current?.information = String(value)
            case (.media, "c"):
                guard let c = Connection(value) else { throw fail(.malformedConnection) }
                current?.connections.append(c)
            case (.media, "b"):
                guard let b = Bandwidth(value) else { throw fail(.malformedBandwidth) }
                current?.bandwidths.append(b)
            case (.media, "k"): current?.encryptionKey = String(value)
            case (.media, "a"):
                guard let m = current, m.attributes.count < limits.maxAttributesPerSection else {
                    throw fail(.tooManyAttributes)
                }
                let a = try attribute(value, rtp: m.isRTP, sessionLevel: false, line: lineNumber)
                current?.attributes.append(a)
            case (_, "v"), (_, "o"), (_, "s"), (_, "u"), (_, "e"), (_, "p"), (_, "t"), (_, "r"), (_, "z"):
                throw fail(.unexpectedLine(type))
            default:
                throw fail(.unknownLineType(type))
            }
        }
        if let m = current { session.media.append(m) }

        switch phase {
        case .start: throw SDPParseError(line: 0, reason: .missingLine("v"))
        case .afterVersion: throw SDPParseError(line: 0, reason: .missingLine("o"))
        case .afterOrigin: throw SDPParseError(line: 0, reason: .missingLine("s"))
        case .session, .media: break
        }
        guard !session.timing.isEmpty else { throw SDPParseError(line: 0, reason: .missingLine("t")) }
        try checkConsistency()
        return session
    }

    /// `m=<media> <port>[/<count>] <proto> <fmt> ...` (RFC 8866 §5.14).
    static func mediaLine(_ s: Substring) -> MediaDescription? {
        let f = Scan.fields(s)
        guard f.count >= 4, f.count <= 260, Scan.isToken(f[0]), Scan.isVisible(f[2]) else { return nil }
        let portParts = f[1].split(separator: "/", omittingEmptySubsequences: false)
        guard portParts.count <= 2, let port = Scan.decimal(portParts[0], as: UInt16.self) else { return nil }
        var count: UInt16?
        if portParts.count == 2 {
            guard let c = Scan.decimal(portParts[1], as: UInt16.self) else { return nil }
            count = c
        }
        let proto = String(f[2])
        let formats = f[3...]
        if MediaDescription.isRTP(proto) {
            // RTP payload types are 7 bits (RFC 3550 §5.1).
            guard formats.allSatisfy({ (Scan.decimal($0, as: UInt8.self) ?? 128) <= 127 }) else { return nil }
        } else {
            guard formats.allSatisfy({ Scan.isVisible($0) }) else { return nil }
        }
        var m = MediaDescription(kind: MediaKind(String(f[0])), port: port, proto: proto,
                                 formats: formats.map(String.init), connection: nil)
        m.portCount = count
        return m
    }

    private mutating func attribute(_ s: Substring, rtp: Bool, sessionLevel: Bool,
                                    line: Int) throws(SDPParseError) -> SDPAttribute {
        let name: Substring, value: Substring?
        if let colon = s.firstIndex(of: ":") {
            name = s[..<colon]
            value = s[s.index(after: colon)...]
        } else {
            name = s
            value = nil
        }
        guard Scan.isToken(name) else { throw SDPParseError(line: line, reason: .malformedLine) }
        let n = String(name)
        guard Self.isValid(name: n, value: value, rtp: rtp) else {
            throw SDPParseError(line: line, reason: .malformedAttribute(n))
        }
        if n == "mid", !sessionLevel, let value { midLines.append((String(value), line)) }
        if n == "group", let value, let g = Group(attributeValue: value) { groupLines.append((g, line)) }
        return SDPAttribute(n, value.map(String.init))
    }

    /// Grammar check for the attributes this module gives typed access to.
    static func isValid(name: String, value: Substring?, rtp: Bool) -> Bool {
        func check<T: SDPAttributeValue>(_: T.Type) -> Bool { value.flatMap { T(attributeValue: $0) } != nil }
        switch name {
        case "mid": return value.map(MidSyntax.isValid) ?? false
        case "ice-ufrag": return value.map(ICEChars.isValidUfrag) ?? false
        case "ice-pwd": return value.map(ICEChars.isValidPwd) ?? false
        case "ice-options": return check(ICEOptions.self)
        case "fingerprint": return check(Fingerprint.self)
        case "setup": return check(Setup.self)
        case "rtpmap": return !rtp || check(RTPMap.self)
        case "fmtp": return !rtp || check(FMTP.self)
        case "rtcp-fb": return !rtp || check(RTCPFeedback.self)
        case "extmap": return check(ExtMap.self)
        case "ssrc": return check(SSRCAttribute.self)
        case "ssrc-group": return check(SSRCGroup.self)
        case "msid": return check(MSID.self)
        case "rid": return check(RID.self)
        case "simulcast": return check(Simulcast.self)
        case "candidate": return check(Candidate.self)
        case "sctpmap": return check(SCTPMap.self)
        case "group": return check(Group.self)
        case "msid-semantic": return check(MSIDSemantic.self)
        case "sctp-port": return value.flatMap { Scan.decimal($0, as: UInt16.self) } != nil
        case "max-message-size": return value.flatMap { Scan.decimal($0, as: UInt64.self) } != nil
        default: return true
        }
    }

    /// RFC 8843 §9.1 / RFC 5888 §4: mids are unique, and a group can only name existing mids.
    private func checkConsistency() throws(SDPParseError) {
        var seen: Set<String> = []
        for (mid, line) in midLines where !seen.insert(mid).inserted {
            throw SDPParseError(line: line, reason: .duplicateMid(mid))
        }
        for (group, line) in groupLines {
            if let missing = group.mids.first(where: { !seen.contains($0) }) {
                throw SDPParseError(line: line, reason: .unknownGroupMid(missing))
            }
        }
    }
}
