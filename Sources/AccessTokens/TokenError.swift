/// Why an access token was rejected. `description` is safe to send to the client
/// (the server puts it into HTTP 401 bodies): it never contains secrets, and any text
/// taken from the token is shortened and restricted to printable ASCII.
public enum TokenError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Not a well-formed LiveKit JWT: wrong segment count, bad base64url, bad JSON, claims of
    /// the wrong type, missing `iss`/`exp`, longer than ``TokenVerifier/maxTokenLength``, ….
    case malformed(String)
    /// The header names an algorithm other than HS256 (including "none").
    case unsupportedAlgorithm(String)
    /// `iss` names an API key this server does not know.
    case unknownKey
    /// The HS256 signature does not match the API key's secret.
    case badSignature
    /// `exp` (plus leeway) has passed.
    case expired
    /// `nbf` (minus leeway) is still in the future.
    case notYetValid

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed access token: \(reason)"
        case .unsupportedAlgorithm(let alg): "unsupported access token algorithm \"\(alg)\" (only HS256 is accepted)"
        case .unknownKey: "access token was issued for an unknown API key"
        case .badSignature: "access token signature is invalid"
        case .expired: "access token has expired"
        case .notYetValid: "access token is not valid yet"
        }
    }
}
