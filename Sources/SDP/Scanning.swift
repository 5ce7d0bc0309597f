// Small lexical helpers shared by the line and attribute parsers (RFC 8866 §9 grammar).

enum Scan {
    /// Strict unsigned decimal: 1...20 ASCII digits, no sign, no spaces (RFC 8866 uses 1*DIGIT).
    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ s: Substring, as _: T.Type = T.self) -> T? {
        guard !s.isEmpty, s.utf8.count <= 20, s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return T(s, radix: 10)
    }

    static func decimal<T: FixedWidthInteger & UnsignedInteger>(_ s: String, as type: T.Type = T.self) -> T? {
        decimal(Substring(s), as: type)
    }

    /// RFC 8866 token-char: printable ASCII except space and the separators `"(),/:;<=>?@[\]{}`.
    static func isToken(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy(isTokenByte)
    }

    static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case 0x21, 0x23...0x27, 0x2A, 0x2B, 0x2D, 0x2E, 0x30...0x39, 0x41...0x5A, 0x5E...0x7E: return true
        default: return false
        }
    }

    /// Printable ASCII without space: what addresses, URIs and other "non-ws-string"s use.
    static func isVisible(_ s: Substring) -> Bool {
        !s.isEmpty && s.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F }
    }

    /// Split on single spaces, dropping empty fields so that doubled spaces are tolerated.
    static func fields(_ s: Substring) -> [Substring] {
        s.split(separator: " ", omittingEmptySubsequences: true)
    }

    static func trimmed(_ s: Substring) -> Substring {
        var t = s
        while let f = t.first, f == " " || f == "\t" { t.removeFirst() }
        while let l = t.last, l == " " || l == "\t" { t.removeLast() }
        return t
    }

    /// Splits `head rest` at the first space; `rest` has leading spaces removed.
    static func splitFirst(_ s: Substring) -> (Substring, Substring?) {
        guard let i = s.firstIndex(of: " ") else { return (s, nil) }
        let rest = trimmed(s[s.index(after: i)...])
        return (s[..<i], rest.isEmpty ? nil : rest)
    }
}
