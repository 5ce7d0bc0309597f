import Foundation
import JWTKit
import Synchronization

/// jwt-kit key collections by API key, made on first use: building one (an actor plus an HMAC
/// key) for every join cost more than verifying the token.
final class KeyCollectionCache: Sendable {
    private let collections = Mutex<[String: JWTKeyCollection]>([:])

    func collection(apiKey: String, secret: String) async -> JWTKeyCollection {
        if let cached = collections.withLock({ $0[apiKey] }) { return cached }
        let keys = JWTKeyCollection()
        await keys.add(hmac: JWTSupport.hmacKey(secret: secret), digestAlgorithm: .sha256, parser: JWTSupport.parser)
        collections.withLock { $0[apiKey] = keys }
        return keys
    }
}

/// Verifies LiveKit access tokens: HS256 JWTs whose `iss` names the API key and which are
/// signed with that key's secret.
public struct TokenVerifier: Sendable {
    /// Longer tokens are rejected before any decoding.
    public static let maxTokenLength = 8192
    /// Default clock-skew allowance for `exp` and `nbf`.
    public static let defaultLeeway: TimeInterval = 10

    private let secrets: [String: String]
    public let leeway: TimeInterval
    private let keyCollections = KeyCollectionCache()

    /// - Parameters:
    ///   - keys: API key -> secret. Entries with an empty key or secret are ignored.
    ///   - leeway: seconds of clock skew allowed on `exp` and `nbf`.
    public init(keys: [String: String], leeway: TimeInterval = TokenVerifier.defaultLeeway) {
        self.secrets = keys.filter { !$0.key.isEmpty && !$0.value.isEmpty }
        self.leeway = leeway.isFinite ? max(0, leeway) : Self.defaultLeeway
    }

    /// Verifies `token` and returns its claims.
    ///
    /// Checks, in order: length, structure (three base64url segments, JSON object header
    /// and claims), `alg` is HS256 and no `crit` header, `iss` names a known API key, the
    /// signature (via jwt-kit), the claim types, then `exp` (required) and `nbf` against
    /// `now` with ``leeway``.
    public func verify(_ token: String, now: Date = Date()) async throws(TokenError) -> AccessTokenClaims {
        let bytes = Array(token.utf8)
        guard !bytes.isEmpty else { throw .malformed("token is empty") }
        guard bytes.count <= Self.maxTokenLength else {
            throw .malformed("token is longer than \(Self.maxTokenLength) bytes")
        }

        // Header and issuer, unverified: they select the key.
        let header: JWTHeader
        let issuer: UnverifiedIssuer
        do {
            (header, issuer, _) = try JWTSupport.parser.parse(bytes, as: UnverifiedIssuer.self)
        } catch {
            throw Self.malformed(from: error)
        }
        guard let alg = header.alg else { throw .malformed("header has no alg") }
        guard alg == "HS256" else { throw .unsupportedAlgorithm(Self.sanitize(alg)) }
        guard header.fields["crit"] == nil else { throw .malformed("crit header parameters are not supported") }
        guard let apiKey = issuer.iss, !apiKey.isEmpty else { throw .malformed("token has no iss (API key) claim") }
        guard let secret = secrets[apiKey] else { throw .unknownKey }

        // Signature and claims, by jwt-kit.
        let claims: AccessTokenClaims
        do {
            let keys = await keyCollections.collection(apiKey: apiKey, secret: secret)
            claims = try await keys.verify(bytes, as: AccessTokenClaims.self)
        } catch let error as JWTError where error.errorType == .signatureVerificationFailed {
            throw .badSignature
        } catch {
            throw Self.malformed(from: error)
        }

        // Times.
        guard let exp = claims.exp else { throw .malformed("token has no exp claim") }
        guard now < exp.addingTimeInterval(leeway) else { throw .expired }
        if let nbf = claims.nbf, now.addingTimeInterval(leeway) < nbf { throw .notYetValid }
        return claims
    }

    /// A client-facing reason for a jwt-kit parse failure.
    static func malformed(from error: any Error) -> TokenError {
        guard let error = error as? JWTError, error.errorType == .malformedToken, let reason = error.reason else {
            return .malformed("token could not be decoded")
        }
        if let marker = reason.range(of: JWTSupport.reasonMarker) {
            return .malformed(String(reason[marker.upperBound...]))
        }
        if reason.contains("3 parts") {
            return .malformed("token must consist of three dot-separated segments")
        }
        if reason.contains("UTF-8") || reason.localizedCaseInsensitiveContains("base64") {
            return .malformed("token segment is not valid base64url")
        }
        if reason.hasPrefix("Couldn't decode JWT with error") {
            // Header and claims decoded through DiagnosingDecoder, so what is left is the signature.
            return .malformed("signature is not valid base64url")
        }
        return .malformed("token could not be decoded")
    }

    /// Token-supplied text for error messages: at most 40 printable ASCII characters.
    static func sanitize(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(40) {
            out.unicodeScalars.append((0x20..<0x7F).contains(scalar.value) && scalar != "\"" && scalar != "\\" ? scalar : "?")
        }
        return text.unicodeScalars.count > 40 ? out + "…" : out
    }
}
