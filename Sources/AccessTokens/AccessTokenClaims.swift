import Foundation
import JWTKit

/// The claims of a LiveKit access token (livekit/protocol `auth.ClaimGrants` plus the
/// registered JWT claims LiveKit uses). Unknown claims (`sip`, `agent`, `iat`, `aud`, …)
/// are ignored when decoding; every known claim is optional.
///
/// Time claims (`exp`, `nbf`) are *not* checked by `verify(using:)`: ``TokenVerifier``
/// checks them against its injectable clock after the signature has been verified.
public struct AccessTokenClaims: JWTPayload, Equatable {
    /// Issuer: the API key whose secret signed the token.
    public var iss: String?
    /// Subject: the participant identity.
    public var sub: String?
    /// Display name.
    public var name: String?
    /// Participant metadata (an opaque string, often JSON).
    public var metadata: String?
    /// Participant attributes.
    public var attributes: [String: String]?
    /// Base64 SHA-256 of a webhook body (webhook tokens only).
    public var sha256: String?
    /// Participant kind: "standard", "ingress", "egress", "sip", "agent".
    public var kind: String?
    /// The video grant.
    public var video: VideoGrant?
    /// Room configuration to use if this participant creates the room; kept as raw JSON.
    public var roomConfig: JSONValue?
    /// LiveKit Cloud room preset name.
    public var roomPreset: String?
    /// Not before.
    public var nbf: Date?
    /// Expiry.
    public var exp: Date?
    /// JWT ID (LiveKit uses it as the identity when `sub` is empty).
    public var jti: String?

    public init(
        iss: String? = nil,
        sub: String? = nil,
        name: String? = nil,
        metadata: String? = nil,
        attributes: [String: String]? = nil,
        sha256: String? = nil,
        kind: String? = nil,
        video: VideoGrant? = nil,
        roomConfig: JSONValue? = nil,
        roomPreset: String? = nil,
        nbf: Date? = nil,
        exp: Date? = nil,
        jti: String? = nil
    ) {
        self.iss = iss
        self.sub = sub
        self.name = name
        self.metadata = metadata
        self.attributes = attributes
        self.sha256 = sha256
        self.kind = kind
        self.video = video
        self.roomConfig = roomConfig
        self.roomPreset = roomPreset
        self.nbf = nbf
        self.exp = exp
        self.jti = jti
    }

    /// The API key (`iss`).
    public var apiKey: String? { iss }

    /// The participant identity as LiveKit derives it: `sub`, or `jti` when `sub` is empty.
    public var identity: String {
        if let sub, !sub.isEmpty { return sub }
        return jti ?? ""
    }

    /// The video grant, or an empty one (all defaults) when the token has none.
    public var videoGrant: VideoGrant { video ?? VideoGrant() }

    /// No-op: ``TokenVerifier`` checks `exp`/`nbf` itself, with leeway and an injectable clock.
    public func verify(using algorithm: some JWTAlgorithm) async throws {}
}
