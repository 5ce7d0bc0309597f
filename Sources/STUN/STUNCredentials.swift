/// Keys for MESSAGE-INTEGRITY (RFC 8489 §9).
public enum STUNCredentials {
    /// Short-term credential key (§9.1.1), what ICE uses: the password's UTF-8 bytes.
    /// (The OpaqueString profile of RFC 8265 is the identity on ICE passwords, which are
    /// restricted to ice-chars by RFC 8839.)
    public static func shortTermKey(password: String) -> [UInt8] {
        Array(password.utf8)
    }

    /// Long-term credential key (§9.2.2, MD5 algorithm): MD5(username ":" realm ":" password).
    ///
    /// The caller passes the password already prepared with SASLprep/OpaqueString; this
    /// module does no string preparation (for ASCII passwords it is the identity).
    public static func longTermKey(username: String, realm: String, password: String) -> [UInt8] {
        HMAC.md5(Array("\(username):\(realm):\(password)".utf8))
    }
}
