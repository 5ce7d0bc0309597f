import Crypto
import Foundation

/// The `Authorization` token of a webhook request, as livekit-server makes it: HS256 with the
/// API key's secret, `iss` = API key, valid for a few minutes, and `sha256` = base64 of the
/// SHA-256 of the exact body, so a receiver (livekit-api's `WebhookReceiver`) can tell the body
/// was not altered.
public enum WebhookToken {
    /// How long a webhook token is valid (livekit-server: 5 minutes).
    public static let lifetime: TimeInterval = 5 * 60

    /// Base64 of the SHA-256 of `body`: the `sha256` claim.
    public static func bodyDigest(_ body: Data) -> String {
        Data(SHA256.hash(data: body)).base64EncodedString()
    }

    /// A signed token for `body`, valid from `now` for `validFor` seconds.
    public static func sign(body: Data, apiKey: String, secret: String, now: Date = Date(),
                            validFor: TimeInterval = lifetime) async throws -> String {
        guard !apiKey.isEmpty else { throw TokenIssuer.IssueError.missingAPIKey }
        let claims = AccessTokenClaims(iss: apiKey, sha256: bodyDigest(body), nbf: now, exp: now.addingTimeInterval(validFor))
        return try await TokenIssuer().sign(claims, secret: secret)
    }
}
