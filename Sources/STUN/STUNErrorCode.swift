/// The value of an ERROR-CODE attribute (RFC 8489 §14.8): a code 300-699 and a reason phrase.
public struct STUNErrorCode: Sendable, Hashable {
    /// The numeric code, `class * 100 + number` (for example 401 or 487).
    public var code: UInt16
    /// A human-readable reason, at most 763 UTF-8 bytes on the wire (longer text is truncated
    /// at a code point boundary when serialized).
    public var reason: String

    /// Creates an error code; `code` should lie in 300...699.
    public init(code: UInt16, reason: String) {
        self.code = code
        self.reason = reason
    }

    /// 300 Try Alternate.
    public static let tryAlternate = STUNErrorCode(code: 300, reason: "Try Alternate")
    /// 400 Bad Request: malformed request.
    public static let badRequest = STUNErrorCode(code: 400, reason: "Bad Request")
    /// 401 Unauthorized: bad or missing credentials.
    public static let unauthorized = STUNErrorCode(code: 401, reason: "Unauthorized")
    /// 420 Unknown Attribute: send with UNKNOWN-ATTRIBUTES listing the culprits.
    public static let unknownAttribute = STUNErrorCode(code: 420, reason: "Unknown Attribute")
    /// 438 Stale Nonce.
    public static let staleNonce = STUNErrorCode(code: 438, reason: "Stale Nonce")
    /// 487 Role Conflict (RFC 8445 §7.3.1.1).
    public static let roleConflict = STUNErrorCode(code: 487, reason: "Role Conflict")
    /// 500 Server Error.
    public static let serverError = STUNErrorCode(code: 500, reason: "Server Error")
}
