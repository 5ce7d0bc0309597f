import Foundation
import JWTKit

/// Glue between LiveKit's conventions and jwt-kit.
enum JWTSupport {
    /// jwt-kit's HMAC signer asserts (in debug builds) that a key is at least as long as the
    /// digest, 32 bytes for SHA-256, but LiveKit secrets may be shorter (dev mode's "secret").
    /// HMAC zero-pads any key shorter than the hash block (64 bytes for SHA-256) to the block
    /// size (RFC 2104 §2), so padding a short secret with zeros to 32 bytes yields exactly
    /// the same MACs as the secret itself.
    static func hmacKey(secret: String) -> HMACKey {
        var bytes = Array(secret.utf8)
        if bytes.count < 32 { bytes += repeatElement(0, count: 32 - bytes.count) }
        return HMACKey(from: bytes)
    }

    /// JSON encoder for issuing: whole seconds for `exp`/`nbf`, as LiveKit's SDKs write them.
    static var encoder: JSONEncoder {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .integerSecondsSince1970
        return encoder
    }

    static var parser: DefaultJWTParser { DefaultJWTParser(jsonDecoder: DiagnosingDecoder()) }

    /// Marks a decode failure this module described itself, inside jwt-kit's reason text.
    static let reasonMarker = "[access-token] "
}

/// A JSON decoder for jwt-kit whose errors say briefly, in client-facing words, what was
/// wrong (jwt-kit folds the error's description into its `malformedToken` reason).
struct DiagnosingDecoder: JWTJSONDecoder {
    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    func decode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        do {
            return try decoder.decode(type, from: data)
        } catch {
            let part = type == JWTHeader.self ? "header" : "payload"
            throw Failure(description: JWTSupport.reasonMarker + Self.explain(error, part: part))
        }
    }

    static func explain(_ error: any Error, part: String) -> String {
        guard let error = error as? DecodingError else { return "\(part) could not be decoded" }
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map(String.init) ?? $0.stringValue }.joined(separator: ".")
        }
        switch error {
        case .typeMismatch(_, let context), .valueNotFound(_, let context):
            return context.codingPath.isEmpty
                ? "\(part) is not a JSON object"
                : "\(part == "header" ? "header field" : "claim") '\(TokenVerifier.sanitize(path(context)))' has the wrong type"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty
                ? "\(part) is not valid JSON"
                : "\(part == "header" ? "header field" : "claim") '\(TokenVerifier.sanitize(path(context)))' has an invalid value"
        case .keyNotFound(let key, _):
            return "\(part) lacks '\(TokenVerifier.sanitize(key.stringValue))'"
        @unknown default:
            return "\(part) could not be decoded"
        }
    }
}

/// Only `iss`, read before the signature is checked to choose the secret.
struct UnverifiedIssuer: JWTPayload {
    var iss: String?
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}
