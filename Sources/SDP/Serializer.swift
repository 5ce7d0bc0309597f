// Writing the model back to SDP text: RFC 8866 §5 line order, always CRLF line ends.

extension SessionDescription: CustomStringConvertible {
    public func serialized() -> String {
        var out = ""
        out.reserveCapacity(4096)
        func line(_ type: Character, _ value: String) {
            out.append(type)
            out.append("=")
            out.append(value)
            out.append("\r\n")
        }
        line("v", "\(version)")
        line("o", origin.value)
        line("s", sessionName)
        if let information { line("i", information) }
        if let uri { line("u", uri) }
        for e in emails { line("e", e) }
        for p in phones { line("p", p) }
        if let connection { line("c", connection.value) }
        for b in bandwidths { line("b", b.text) }
        for t in timing {
            line("t", "\(t.start) \(t.stop)")
            for r in t.repeats { line("r", r) }
        }
        if let timeZones { line("z", timeZones) }
        if let encryptionKey { line("k", encryptionKey) }
        for a in attributes { out += a.line + "\r\n" }
        for m in media {
            let port = "\(m.port)" + (m.portCount.map { "/\($0)" } ?? "")
            line("m", ([m.kind.description, port, m.proto] + m.formats).joined(separator: " "))
            if let i = m.information { line("i", i) }
            for c in m.connections { line("c", c.value) }
            for b in m.bandwidths { line("b", b.text) }
            if let k = m.encryptionKey { line("k", k) }
            for a in m.attributes { out += a.line + "\r\n" }
        }
        return out
    }

    public var description: String { serialized() }
}
