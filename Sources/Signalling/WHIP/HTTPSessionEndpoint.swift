import Foundation
import Hummingbird
import Logging
import NIOCore
import SFU

/// WHIP (RFC 9725) at `/whip/{room}` and WHEP (draft-ietf-wish-whep) at `/whep/{room}`:
///
///   POST   /whip/{room}       application/sdp offer -> 201, answer, ETag, Location /whip/{room}/{id}
///   PATCH  /whip/{room}/{id}  application/trickle-ice-sdpfrag: trickle (204) or ICE restart (200)
///   DELETE /whip/{room}/{id}  ends the session (200)
///
/// and the same under /whep. The bearer token is a room token (the one `/rtc` takes): its room
/// must be the path's, WHIP needs canPublish, WHEP canSubscribe. `?participant=<identity>` on a
/// WHEP POST receives only that participant's tracks. `{id}` is random (not the participant
/// sid, which the whole room sees), and PATCH/DELETE also need a token of the session's own
/// identity or a `roomAdmin` grant.
public struct HTTPSessionEndpoint: Sendable {
    public let rooms: RoomManager
    public let admission: JoinAdmission
    public let limiter: JoinRateLimiter
    public let logger: Logger
    /// SDP offers are a few kilobytes; this bounds what a client can make us buffer.
    static let maximumBodySize = 64 * 1024

    /// `Link: <url>; rel="ice-server"` values of the configured ICE servers, sent with every 201
    /// (RFC 9725 §4.6); formatted once.
    private let iceServerLinks: [String]

    public init(rooms: RoomManager, admission: JoinAdmission, limiter: JoinRateLimiter, logger: Logger, iceServers: [ICEServer] = []) {
        iceServerLinks = iceServers.flatMap(\.linkHeaderValues)
        self.rooms = rooms
        self.admission = admission
        self.limiter = limiter
        self.logger = logger
    }

    public func register(on router: Router<SwitchboardRequestContext>) {
        for kind in [HTTPSessionKind.whip, .whep] {
            let base = "/\(kind.rawValue)"
            router.post("\(base)/:room") { request, context in await start(kind, request, context) }
            router.patch("\(base)/:room/:sid") { request, context in await patch(kind, request, context) }
            router.delete("\(base)/:room/:sid") { request, context in await end(kind, request, context) }
        }
    }

    private func start(_ kind: HTTPSessionKind, _ request: Request, _ context: SwitchboardRequestContext) async -> Response {
        let room = Self.pathComponent(context, "room")
        let address = context.remoteAddress?.ipAddress ?? "unknown"
        guard limiter.consume(address) else { return text(429, "too many joins from this address") }
        guard mediaType(request) == "application/sdp" else { return text(415, "the offer must be application/sdp") }
        let admitted: Admission
        switch await authorize(request, room: room, address: address) {
        case .failure(let error): return text(error.status, error.message)
        case .success(let a): admitted = a
        }
        guard let offer = await body(request) else { return text(413, "offer exceeds \(Self.maximumBodySize) bytes") }
        let target: Room
        if kind == .whep {
            // Nothing to watch in a room that does not exist; a viewer does not create one.
            guard await !rooms.draining else { return text(503, "server is shutting down") }
            guard let existing = await rooms.room(named: room) else { return text(422, "nothing is published in this room") }
            target = existing
        } else {
            do { target = try await rooms.roomForJoin(named: room) } catch { return text(status(of: error), error.description) }
        }
        let query = parseQuery(request.uri.query.map { Substring($0) })
        let answer: HTTPSessionAnswer
        do {
            answer = try await target.startHTTPSession(kind, request: admitted.request, offer: offer,
                                                       publisherIdentity: query["participant"])
        } catch {
            logger.info("\(kind.rawValue) refused: \(error)", metadata: ["room": "\(room)", "participant": "\(admitted.request.identity)"])
            return text(status(of: error), error.description)
        }
        logger.info("\(kind.rawValue) session started", metadata: ["room": "\(room)", "participant": "\(admitted.request.identity)",
                                                                    "sid": "\(answer.participantSid)", "tracks": "\(answer.trackSids.count)"])
        var headers = HTTPFields()
        headers[.contentType] = "application/sdp"
        headers[.location] = "/\(kind.rawValue)/\(percentEncoded(room))/\(answer.sessionID)"
        headers[.eTag] = answer.etag
        headers[.init("Accept-Patch")!] = "application/trickle-ice-sdpfrag"
        for value in iceServerLinks { headers.append(.init(name: .init("Link")!, value: value)) }
        return Response(status: .created, headers: headers, body: .init(byteBuffer: ByteBuffer(string: answer.sdp)))
    }

    private func patch(_ kind: HTTPSessionKind, _ request: Request, _ context: SwitchboardRequestContext) async -> Response {
        let room = Self.pathComponent(context, "room"), id = Self.pathComponent(context, "sid")
        let caller: HTTPSessionCaller
        switch await authorize(request, room: room, address: context.remoteAddress?.ipAddress) {
        case .failure(let error): return text(error.status, error.message)
        case .success(let admitted): caller = Self.caller(admitted)
        }
        guard mediaType(request) == "application/trickle-ice-sdpfrag" else {
            return text(415, "a PATCH carries application/trickle-ice-sdpfrag")
        }
        guard let fragment = await body(request) else { return text(413, "fragment too large") }
        guard let target = await rooms.room(named: room) else { return text(404, "no such session") }
        let ifMatch = request.headers[.ifMatch]
        let (ufrag, pwd) = Self.iceCredentials(in: fragment)
        guard let ufrag, let pwd else {
            // Trickle: an ICE-lite server learns the client's addresses from its checks.
            switch await target.checkHTTPSession(kind, id: id, caller: caller, ifMatch: ifMatch) {
            case .success: return Response(status: .noContent)
            case .failure(let error): return refusal(error)
            }
        }
        let ice: HTTPSessionICE
        switch await target.restartHTTPSessionICE(kind, id: id, caller: caller, ifMatch: ifMatch, ufrag: ufrag, pwd: pwd) {
        case .success(let answer): ice = answer
        case .failure(let error): return refusal(error)
        }
        var lines = ["a=ice-lite", "a=ice-ufrag:\(ice.ufrag)", "a=ice-pwd:\(ice.pwd)"]
        lines += ice.candidates.map { "a=\($0)" }
        lines.append("a=end-of-candidates")
        var headers = HTTPFields()
        headers[.contentType] = "application/trickle-ice-sdpfrag"
        headers[.eTag] = ice.etag
        return Response(status: .ok, headers: headers,
                        body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n")))
    }

    private func end(_ kind: HTTPSessionKind, _ request: Request, _ context: SwitchboardRequestContext) async -> Response {
        let room = Self.pathComponent(context, "room"), id = Self.pathComponent(context, "sid")
        let caller: HTTPSessionCaller
        switch await authorize(request, room: room, address: context.remoteAddress?.ipAddress) {
        case .failure(let error): return text(error.status, error.message)
        case .success(let admitted): caller = Self.caller(admitted)
        }
        guard let target = await rooms.room(named: room) else { return text(404, "no such session") }
        switch await target.endHTTPSession(kind, id: id, caller: caller) {
        case .success: return text(200, "session ended")
        case .failure(let error): return refusal(error)
        }
    }

    private func refusal(_ error: HTTPSessionLookupError) -> Response {
        switch error {
        case .notFound: return text(404, "no such session")
        case .forbidden: return text(403, "this session belongs to another participant")
        case .preconditionFailed: return text(412, "If-Match does not name this session's ICE session")
        }
    }

    private static func caller(_ admitted: Admission) -> HTTPSessionCaller {
        HTTPSessionCaller(identity: admitted.request.identity, isAdmin: admitted.claims.videoGrant.roomAdmin == true)
    }

    /// A path parameter, percent-decoded (Hummingbird hands them over as sent).
    private static func pathComponent(_ context: SwitchboardRequestContext, _ name: String) -> String {
        let raw = context.parameters.get(name) ?? ""
        return raw.removingPercentEncoding ?? raw
    }

    /// The bearer token, checked as `/rtc` checks it, for the path's room.
    private func authorize(_ request: Request, room: String, address: String?) async -> Result<Admission, AdmissionError> {
        guard !room.isEmpty else { return .failure(AdmissionError(status: 404, message: "no room in the path")) }
        do {
            return .success(try await admission.admit(authorization: request.headers[.authorization], query: ["room": room],
                                                      remoteAddress: address))
        } catch {
            return .failure(error)
        }
    }

    private func body(_ request: Request) async -> String? {
        guard var buffer = try? await request.body.collect(upTo: Self.maximumBodySize) else { return nil }
        return buffer.readString(length: buffer.readableBytes)
    }

    private func mediaType(_ request: Request) -> String {
        (request.headers[.contentType] ?? "").split(separator: ";").first?.trimmingCharacters(in: .whitespaces).lowercased() ?? ""
    }

    private func status(of error: JoinError) -> Int {
        switch error {
        case .roomFull: return 403
        case .roomNotFound, .resumeUnknown: return 404
        case .roomClosed: return 503
        case .internalError: return 500
        }
    }

    private func status(of error: HTTPSessionError) -> Int {
        switch error {
        case .notAllowed: return 403
        case .badOffer: return 400
        case .unsatisfiable: return 422
        case .join(let e): return status(of: e)
        }
    }

    private func percentEncoded(_ s: String) -> String {
        s.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? s
    }

    /// `a=ice-ufrag` and `a=ice-pwd` of an SDP fragment (RFC 8840 §9), if it has both.
    public static func iceCredentials(in fragment: String) -> (String?, String?) {
        var ufrag: String?, pwd: String?
        for raw in fragment.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("a=ice-ufrag:") { ufrag = String(line.dropFirst("a=ice-ufrag:".count)) }
            if line.hasPrefix("a=ice-pwd:") { pwd = String(line.dropFirst("a=ice-pwd:".count)) }
        }
        return (ufrag, pwd)
    }
}
