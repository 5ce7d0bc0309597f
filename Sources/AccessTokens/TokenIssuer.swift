import Foundation
import JWTKit

/// Issues LiveKit-compatible access tokens (HS256, `iss` = API key, `sub` = identity),
/// for `switchboard token` and the dev-only token endpoint.
public struct TokenIssuer: Sendable {
    public enum IssueError: Error, Equatable, Sendable, CustomStringConvertible {
        case missingAPIKey
        case missingSecret
        /// `validFor` is not a positive, finite number of seconds.
        case invalidLifetime
        /// LiveKit refuses join tokens without an identity and a room; so do we.
        case roomJoinRequiresIdentityAndRoom

        public var description: String {
            switch self {
            case .missingAPIKey: "an API key is required"
            case .missingSecret: "an API secret is required"
            case .invalidLifetime: "token lifetime must be a positive number of seconds"
            case .roomJoinRequiresIdentityAndRoom: "identity and room must be set when granting roomJoin"
            }
        }
    }

    public init() {}

    /// A token for `identity`, valid from `now` (`nbf`) for `validFor` seconds (`exp`).
    /// A non-nil `room` overrides `grant.room`; empty `name`/`metadata`/`attributes` are omitted.
    public func token(
        identity: String,
        name: String? = nil,
        room: String? = nil,
        grant: VideoGrant,
        metadata: String? = nil,
        attributes: [String: String]? = nil,
        kind: String? = nil,
        validFor: TimeInterval,
        apiKey: String,
        secret: String,
        now: Date = Date()
    ) async throws -> String {
        guard !apiKey.isEmpty else { throw IssueError.missingAPIKey }
        guard validFor.isFinite, validFor > 0 else { throw IssueError.invalidLifetime }
        var grant = grant
        if let room { grant.room = room }
        if grant.roomJoin == true, identity.isEmpty || (grant.room ?? "").isEmpty {
            throw IssueError.roomJoinRequiresIdentityAndRoom
        }
        let claims = AccessTokenClaims(
            iss: apiKey,
            sub: identity,
            name: name?.isEmpty == false ? name : nil,
            metadata: metadata?.isEmpty == false ? metadata : nil,
            attributes: attributes?.isEmpty == false ? attributes : nil,
            kind: kind?.isEmpty == false ? kind : nil,
            video: grant,
            nbf: now,
            exp: now.addingTimeInterval(validFor)
        )
        return try await sign(claims, secret: secret)
    }

    /// Signs arbitrary claims as given (times are written as whole seconds, truncated).
    /// For webhooks, tests, and tokens with hand-picked times.
    public func sign(_ claims: AccessTokenClaims, secret: String) async throws -> String {
        guard !secret.isEmpty else { throw IssueError.missingSecret }
        let keys = JWTKeyCollection()
        await keys.add(
            hmac: JWTSupport.hmacKey(secret: secret), digestAlgorithm: .sha256,
            serializer: DefaultJWTSerializer(jsonEncoder: JWTSupport.encoder))
        return try await keys.sign(claims)
    }
}
