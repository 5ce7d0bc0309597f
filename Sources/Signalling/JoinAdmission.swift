import AccessTokens
import Foundation
import LiveKitProtocol
import SFU

/// An HTTP refusal before the WebSocket upgrade (LiveKit answers 401/403/404/429 the same way).
public struct AdmissionError: Error, Sendable, Equatable, CustomStringConvertible {
    public let status: Int
    public let message: String
    public var description: String { "\(status): \(message)" }

    static func unauthorized(_ m: String) -> AdmissionError { AdmissionError(status: 401, message: m) }
    static func forbidden(_ m: String) -> AdmissionError { AdmissionError(status: 403, message: m) }
}

/// A join that passed the checks: the verified claims turned into a JoinRequest for `room`.
public struct Admission: Sendable {
    public let room: String
    public let request: JoinRequest
    public let claims: AccessTokenClaims
    public let format: SignalFormat
}

/// Checks a `/rtc` (or `/rtc/validate`) request: the token (Authorization: Bearer, or the
/// access_token query parameter), its grants, and the client's query parameters.
public struct JoinAdmission: Sendable {
    public let verifier: TokenVerifier

    public init(verifier: TokenVerifier) {
        self.verifier = verifier
    }

    public func admit(authorization: String?, query: [String: String], remoteAddress: String?) async throws(AdmissionError) -> Admission {
        var token = query["access_token"]
        if let header = authorization {
            let parts = header.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "bearer" { token = String(parts[1]) }
        }
        guard let token, !token.isEmpty else { throw .unauthorized("missing access token") }
        let claims: AccessTokenClaims
        do { claims = try await verifier.verify(token) } catch { throw .unauthorized(error.description) }
        let grant = claims.videoGrant
        guard grant.roomJoin == true else { throw .unauthorized("token has no roomJoin grant") }
        guard let room = grant.room, !room.isEmpty else { throw .unauthorized("token names no room") }
        let identity = claims.identity
        guard !identity.isEmpty else { throw .unauthorized("token has no identity (sub)") }
        if let asked = query["room"], !asked.isEmpty, asked != room {
            throw .forbidden("token is for room \(room), not \(asked)")
        }

        var client = Livekit_ClientInfo()
        if let sdk = query["sdk"] { client.sdk = Livekit_ClientInfo.SDK(queryName: sdk) }
        client.version = query["version"] ?? ""
        client.protocol = Int32(query["protocol"] ?? "") ?? 0
        client.clientProtocol = Int32(query["client_protocol"] ?? "") ?? 0
        client.os = query["os"] ?? ""
        client.osVersion = query["os_version"] ?? ""
        client.deviceModel = query["device_model"] ?? ""
        client.browser = query["browser"] ?? ""
        client.browserVersion = query["browser_version"] ?? ""
        client.address = remoteAddress ?? ""

        var request = JoinRequest(identity: identity, name: claims.name ?? "", metadata: claims.metadata ?? "",
                                  attributes: claims.attributes ?? [:], grant: grant,
                                  kind: Livekit_ParticipantInfo.Kind(tokenKind: claims.kind),
                                  autoSubscribe: query["auto_subscribe"].map { $0 != "0" && $0 != "false" } ?? true,
                                  adaptiveStream: query["adaptive_stream"].map { $0 == "1" || $0 == "true" } ?? false,
                                  clientInfo: client)
        if query["reconnect"] == "1" || query["reconnect"] == "true" { request.resumeSid = query["sid"] }
        let format: SignalFormat = query["format"] == "json" ? .json : .binary
        return Admission(room: room, request: request, claims: claims, format: format)
    }
}

/// Parses `a=1&b=two%20words` (percent-decoding, `+` as space).
public func parseQuery(_ query: Substring?) -> [String: String] {
    guard let query, !query.isEmpty else { return [:] }
    var result: [String: String] = [:]
    for pair in query.split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        let key = String(kv[0]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[0])
        let value = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(kv[1])) : ""
        result[key] = value
    }
    return result
}

extension Livekit_ClientInfo.SDK {
    init(queryName: String) {
        switch queryName.lowercased() {
        case "js": self = .js
        case "swift": self = .swift
        case "android": self = .android
        case "flutter": self = .flutter
        case "go": self = .go
        case "unity": self = .unity
        case "react-native", "reactnative": self = .reactNative
        case "rust": self = .rust
        case "python": self = .python
        case "cpp": self = .cpp
        default: self = .unknown
        }
    }
}

extension Livekit_ParticipantInfo.Kind {
    init(tokenKind: String?) {
        switch tokenKind {
        case "ingress": self = .ingress
        case "egress": self = .egress
        case "sip": self = .sip
        case "agent": self = .agent
        default: self = .standard
        }
    }
}
