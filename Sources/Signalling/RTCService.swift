import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore
import SFU

/// `/rtc`: LiveKit signalling v0 over WebSocket, and `/rtc/validate`. Everything that can be
/// refused is refused before the upgrade with an HTTP status, and nothing is created for it.
public struct RTCService: Sendable {
    public let rooms: RoomManager
    public let admission: JoinAdmission
    public let limiter: JoinRateLimiter
    public let refresher: TokenRefresher?
    public let logger: Logger

    public init(rooms: RoomManager, admission: JoinAdmission, limiter: JoinRateLimiter, refresher: TokenRefresher?,
                logger: Logger) {
        self.rooms = rooms
        self.admission = admission
        self.limiter = limiter
        self.refresher = refresher
        self.logger = logger
    }

    /// The upgrade decision for every request with upgrade headers. A refusal carries the
    /// status LiveKit gives: 404 off `/rtc` (so SDKs fall back from `/rtc/v1` to v0), 429 over
    /// the join rate, 401/403 for tokens and grants, 403 for a full room.
    public func shouldUpgrade(_ request: HTTPRequest, channel: any Channel) async -> SignallingServerChannel.Decision {
        let (path, query) = split(request.path ?? "")
        guard path == "/rtc" || path == "/rtc/" else { return .refuse(status: 404, message: "not found") }
        guard await !rooms.draining else { return .refuse(status: 503, message: "server is shutting down") }
        let address = channel.remoteAddress?.ipAddress ?? "unknown"
        guard limiter.consume(address) else { return .refuse(status: 429, message: "too many joins from this address") }
        let admitted: Admission
        do {
            admitted = try await admission.admit(authorization: request.headerFields[.authorization], query: query,
                                                 remoteAddress: address)
        } catch {
            logger.info("join refused: \(error.message)")
            return .refuse(status: error.status, message: error.message)
        }
        if await isFull(admitted.room) { return .refuse(status: 403, message: "room is full") }
        let session = SignalSession(admission: admitted, rooms: rooms, tokenRefresher: refresher, logger: logger)
        return .upgrade { inbound, outbound, context in
            await session.run(inbound: inbound, outbound: outbound, channel: context.channel)
        }
    }

    /// HTTP side: why an upgrade was refused, and `/rtc/validate`.
    public func register(on router: Router<SwitchboardRequestContext>) {
        router.get("/rtc") { request, context -> Response in
            // A plain GET (no upgrade): say what would happen to the join.
            switch await check(request, address: context.remoteAddress?.ipAddress) {
            case .failure(let error): return text(error.status, error.message)
            case .success: return text(400, "expected a WebSocket upgrade")
            }
        }
        router.get("/rtc/validate") { request, context -> Response in
            switch await check(request, address: context.remoteAddress?.ipAddress) {
            case .failure(let error): return text(error.status, error.message)
            case .success: return text(200, "success")
            }
        }
    }

    private func check(_ request: Request, address: String?) async -> Result<Admission, AdmissionError> {
        if await rooms.draining { return .failure(AdmissionError(status: 503, message: "server is shutting down")) }
        let query = parseQuery(request.uri.query.map { Substring($0) })
        do {
            let admitted = try await admission.admit(authorization: request.headers[.authorization], query: query,
                                                     remoteAddress: address)
            if await isFull(admitted.room) { return .failure(AdmissionError(status: 403, message: "room is full")) }
            return .success(admitted)
        } catch {
            return .failure(error)
        }
    }

    private func isFull(_ name: String) async -> Bool {
        guard let room = await rooms.room(named: name) else { return false }
        let info = await room.info
        return info.maxParticipants > 0 && info.numParticipants >= info.maxParticipants
    }

    private func split(_ target: String) -> (String, [String: String]) {
        guard let q = target.firstIndex(of: "?") else { return (target, [:]) }
        return (String(target[..<q]), parseQuery(target[target.index(after: q)...]))
    }
}

func text(_ status: Int, _ body: String) -> Response {
    Response(status: .init(code: status), headers: [.contentType: "text/plain; charset=utf-8"],
             body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
}
