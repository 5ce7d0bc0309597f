import Foundation

/// What the Twirp RoomService answers: an HTTP status, a content type and a body. Independent of
/// the HTTP server so the API can be exercised directly (tests) and mounted on Hummingbird.
public struct TwirpResponse: Sendable, Equatable {
    public var status: Int
    public var contentType: String
    public var body: [UInt8]

    public init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

/// Twirp's error codes, with the HTTP status each maps to (twirp spec, "Error Codes").
public enum TwirpErrorCode: String, Sendable, Equatable, CaseIterable {
    case canceled
    case unknown
    case invalidArgument = "invalid_argument"
    case malformed
    case deadlineExceeded = "deadline_exceeded"
    case notFound = "not_found"
    case badRoute = "bad_route"
    case alreadyExists = "already_exists"
    case permissionDenied = "permission_denied"
    case unauthenticated
    case resourceExhausted = "resource_exhausted"
    case failedPrecondition = "failed_precondition"
    case aborted
    case outOfRange = "out_of_range"
    case unimplemented
    case `internal`
    case unavailable
    case dataloss

    public var httpStatus: Int {
        switch self {
        case .invalidArgument, .malformed, .outOfRange: 400
        case .unauthenticated: 401
        case .permissionDenied: 403
        case .notFound, .badRoute: 404
        case .canceled: 408
        case .alreadyExists, .aborted: 409
        case .failedPrecondition: 412
        case .resourceExhausted: 429
        case .internal, .unknown, .dataloss: 500
        case .unimplemented: 501
        case .unavailable: 503
        case .deadlineExceeded: 504
        }
    }
}

/// A Twirp error: sent as `{"code":"…","msg":"…"}`, always with `Content-Type: application/json`
/// whatever the request's content type (the SDKs parse errors as JSON).
public struct TwirpError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: TwirpErrorCode
    public var msg: String

    public init(_ code: TwirpErrorCode, _ msg: String) {
        self.code = code
        self.msg = msg
    }

    public var description: String { "twirp error \(code.rawValue): \(msg)" }

    public var response: TwirpResponse {
        TwirpResponse(status: code.httpStatus, contentType: "application/json", body: jsonBody)
    }

    var jsonBody: [UInt8] {
        struct Body: Encodable {
            let code: String
            let msg: String
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        if let data = try? encoder.encode(Body(code: code.rawValue, msg: msg)) { return Array(data) }
        return Array(#"{"code":"internal","msg":"could not encode error"}"#.utf8)
    }

    // Common errors.
    static func badRoute(_ msg: String) -> TwirpError { TwirpError(.badRoute, msg) }
    static func malformed(_ msg: String) -> TwirpError { TwirpError(.malformed, msg) }
    static func invalidArgument(_ msg: String) -> TwirpError { TwirpError(.invalidArgument, msg) }
    static func notFound(_ msg: String) -> TwirpError { TwirpError(.notFound, msg) }
    static func unauthenticated(_ msg: String) -> TwirpError { TwirpError(.unauthenticated, msg) }
    static func permissionDenied(_ msg: String) -> TwirpError { TwirpError(.permissionDenied, msg) }
    static func `internal`(_ msg: String) -> TwirpError { TwirpError(.internal, msg) }
}

/// The body encodings Twirp allows; a response uses the request's.
public enum TwirpEncoding: Sendable, Equatable {
    case protobuf
    case json

    /// From a Content-Type header value: `application/protobuf` (also `application/x-protobuf`)
    /// or `application/json`, parameters (`; charset=utf-8`) ignored. Nil for anything else.
    public init?(contentType: String?) {
        guard let contentType else { return nil }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first
            .map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        switch mediaType {
        case "application/protobuf", "application/x-protobuf": self = .protobuf
        case "application/json": self = .json
        default: return nil
        }
    }

    public var contentType: String {
        switch self {
        case .protobuf: "application/protobuf"
        case .json: "application/json"
        }
    }
}
