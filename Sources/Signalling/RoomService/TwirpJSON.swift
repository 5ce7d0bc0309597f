import AccessTokens
import Foundation
import Logging

/// The JSON-only Twirp services of our own (ChatService, QualityService): snake_case bodies
/// through Codable, and LiveKit RoomService's rule for who may call (a token with `roomAdmin`
/// for the request's room).
enum TwirpJSON {
    typealias Route = (_ method: String, _ grant: VideoGrant, _ body: [UInt8]) async throws(TwirpError) -> TwirpResponse

    /// One call: JSON only, authenticated, the body bounded; `route` answers the method (or
    /// throws `badRoute`). Failures become Twirp JSON errors; server-side ones are logged.
    static func serve(service: String, method: String, contentType: String?, authorization: String?, body: [UInt8],
                      maximumBodySize: Int, verifier: TokenVerifier, logger: Logger, route: Route) async -> TwirpResponse {
        do throws(TwirpError) {
            try requireJSON(contentType, service: service)
            let grant = try await TwirpCall.authenticate(authorization, verifier: verifier)
            guard body.count <= maximumBodySize else { throw .malformed("request body exceeds \(maximumBodySize) bytes") }
            return try await route(method, grant, body)
        } catch {
            if error.code.httpStatus >= 500 {
                logger.error("twirp \(service) call failed", metadata: ["method": "\(method)", "error": "\(error)"])
            }
            return error.response
        }
    }

    static func noRoute(_ service: String, _ method: String) -> TwirpError {
        .badRoute("no handler for path \"/twirp/switchboard.\(service)/\(RoomServiceAPI.sanitize(method))\"")
    }

    private static func requireJSON(_ contentType: String?, service: String) throws(TwirpError) {
        guard TwirpEncoding(contentType: contentType) == .json else {
            throw .badRoute("\(service) speaks JSON only (Content-Type: application/json)")
        }
    }

    static func decode<T: Decodable>(_ body: [UInt8]) throws(TwirpError) -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do { return try decoder.decode(T.self, from: Data(body.isEmpty ? Array("{}".utf8) : body)) } catch {
            throw .malformed("the body is not a valid request: \(error)")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(TwirpError) -> TwirpResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        do { return TwirpResponse(status: 200, contentType: "application/json", body: Array(try encoder.encode(value))) } catch {
            throw .internal("could not encode the response")
        }
    }

    static func requireAdmin(_ grant: VideoGrant, room: String) throws(TwirpError) {
        guard !room.isEmpty else { throw .invalidArgument("room is required") }
        guard grant.roomAdmin == true else { throw .permissionDenied("token lacks the roomAdmin grant") }
        guard grant.room == room else { throw .permissionDenied("token's roomAdmin grant is for another room") }
    }

    static func milliseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1000) }
}
