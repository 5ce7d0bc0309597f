import AccessTokens
import Foundation
import SwiftProtobuf

/// One Twirp call's decoded context: decodes the request, runs the RPC, encodes the answer in
/// the request's encoding. Shared by the RoomService and Egress services.
struct TwirpCall {
    let grant: VideoGrant
    let encoding: TwirpEncoding
    let body: [UInt8]

    private static let jsonDecoding: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return options
    }()

    /// Twirp's Go servers write proto field names (snake_case); protobuf-JSON readers accept both.
    private static let jsonEncoding: JSONEncodingOptions = {
        var options = JSONEncodingOptions()
        options.preserveProtoFieldNames = true
        return options
    }()

    /// The grant of the `Authorization: Bearer <jwt>` token, or 401 `unauthenticated`.
    static func authenticate(_ authorization: String?, verifier: TokenVerifier) async throws(TwirpError) -> VideoGrant {
        guard let authorization = authorization?.trimmingCharacters(in: .whitespaces), !authorization.isEmpty else {
            throw .unauthenticated("missing Authorization header")
        }
        let prefix = "bearer "
        guard authorization.count > prefix.count, authorization.prefix(prefix.count).lowercased() == prefix else {
            throw .unauthenticated("Authorization header must be \"Bearer <token>\"")
        }
        let token = authorization.dropFirst(prefix.count).trimmingCharacters(in: .whitespaces)
        do {
            return try await verifier.verify(token).videoGrant
        } catch {
            throw .unauthenticated(error.description)
        }
    }

    func run<Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
        _ rpc: (Request, VideoGrant) async throws(TwirpError) -> Response
    ) async throws(TwirpError) -> TwirpResponse {
        let request = try decode(Request.self)
        let response = try await rpc(request, grant)
        return try encode(response)
    }

    private func decode<Request: SwiftProtobuf.Message>(_ type: Request.Type) throws(TwirpError) -> Request {
        do {
            switch encoding {
            case .protobuf:
                return try Request(serializedBytes: body)
            case .json:
                // An empty JSON body is an empty message, as for protobuf.
                if body.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return Request() }
                return try Request(jsonUTF8Bytes: body, options: Self.jsonDecoding)
            }
        } catch {
            throw .malformed("the request could not be decoded as \(Request.protoMessageName): \(error)")
        }
    }

    private func encode<Response: SwiftProtobuf.Message>(_ response: Response) throws(TwirpError) -> TwirpResponse {
        do {
            let bytes: [UInt8] = switch encoding {
            case .protobuf: try response.serializedBytes()
            case .json: try response.jsonUTF8Bytes(options: Self.jsonEncoding)
            }
            return TwirpResponse(status: 200, contentType: encoding.contentType, body: bytes)
        } catch {
            throw .internal("could not encode \(Response.protoMessageName): \(error)")
        }
    }
}
