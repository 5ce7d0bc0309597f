import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import Recording
import SFU
import SwiftProtobuf

/// LiveKit's `livekit.Egress` Twirp service, answered by the server's own recorder, so
/// livekit-api's `egress` client works unchanged: `POST /twirp/livekit.Egress/<Method>` with a
/// protobuf or protobuf-JSON body, answered in the same encoding; errors are Twirp JSON.
///
/// Every method needs a token with the `roomRecord` grant (as LiveKit checks it; the grant's
/// `room` is not consulted). Checks run in the RoomService's order: route, content type,
/// token, body, required fields, grant, then the call.
///
/// Implemented: `StartTrackEgress` (file output: Opus -> `.ogg`, VP8 -> `.webm`),
/// `StartParticipantEgress` (one file output: VP8 + Opus -> `.webm`), `ListEgress`,
/// `StopEgress`. Files are written under the recordings directory, never uploaded; encoding
/// options are ignored (nothing is transcoded). Room composite, web and track composite
/// egress, `StartEgress`, `UpdateLayout` and `UpdateStream` answer 501 `unimplemented`.
public struct EgressServiceAPI: Sendable {
    public static let pathPrefix = "/twirp/livekit.Egress/"

    public enum Method: String, Sendable, CaseIterable {
        case startTrackEgress = "StartTrackEgress"
        case startParticipantEgress = "StartParticipantEgress"
        case listEgress = "ListEgress"
        case stopEgress = "StopEgress"
        // LiveKit's other egress kinds: refused with a clear error.
        case startRoomCompositeEgress = "StartRoomCompositeEgress"
        case startWebEgress = "StartWebEgress"
        case startTrackCompositeEgress = "StartTrackCompositeEgress"
        case startEgress = "StartEgress"
        case updateLayout = "UpdateLayout"
        case updateStream = "UpdateStream"
    }

    let rooms: RoomManager
    let egress: EgressManager
    let verifier: TokenVerifier
    let logger: Logger

    public init(rooms: RoomManager, egress: EgressManager, verifier: TokenVerifier, logger: Logger) {
        self.rooms = rooms
        self.egress = egress
        self.verifier = verifier
        self.logger = logger
    }

    /// Handles one call (see `RoomServiceAPI.handle`).
    public func handle(method: String, contentType: String?, authorization: String?, body: [UInt8]) async -> TwirpResponse {
        do throws(TwirpError) {
            return try await dispatch(method: method, contentType: contentType, authorization: authorization, body: body)
        } catch {
            if error.code.httpStatus >= 500 && error.code != .unimplemented {
                logger.error("twirp Egress call failed", metadata: ["method": "\(method)", "error": "\(error)"])
            } else {
                logger.debug("twirp Egress call refused", metadata: ["method": "\(method)", "error": "\(error)"])
            }
            return error.response
        }
    }

    private func dispatch(method rawMethod: String, contentType: String?, authorization: String?,
                          body: [UInt8]) async throws(TwirpError) -> TwirpResponse {
        guard let method = Method(rawValue: rawMethod) else {
            throw .badRoute("no handler for path \"\(Self.pathPrefix)\(RoomServiceAPI.sanitize(rawMethod))\"")
        }
        guard let encoding = TwirpEncoding(contentType: contentType) else {
            throw .badRoute("unexpected Content-Type: \"\(RoomServiceAPI.sanitize(contentType ?? ""))\"")
        }
        let grant = try await TwirpCall.authenticate(authorization, verifier: verifier)
        guard body.count <= RoomServiceAPI.maximumBodySize else {
            throw .malformed("request body exceeds \(RoomServiceAPI.maximumBodySize) bytes")
        }
        let call = TwirpCall(grant: grant, encoding: encoding, body: body)

        switch method {
        case .startTrackEgress: return try await call.run(startTrackEgress)
        case .startParticipantEgress: return try await call.run(startParticipantEgress)
        case .listEgress: return try await call.run(listEgress)
        case .stopEgress: return try await call.run(stopEgress)
        case .startRoomCompositeEgress, .startWebEgress, .startTrackCompositeEgress:
            try Self.requireRecord(grant)
            throw TwirpError(.unimplemented, "\(method.rawValue) is not supported: this server records tracks and participants "
                             + "(StartTrackEgress, StartParticipantEgress) without rendering a layout")
        case .startEgress, .updateLayout, .updateStream:
            try Self.requireRecord(grant)
            throw TwirpError(.unimplemented, "\(method.rawValue) is not supported: use StartTrackEgress or StartParticipantEgress")
        }
    }

    // MARK: RPCs

    private func startTrackEgress(_ request: Livekit_TrackEgressRequest, _ grant: VideoGrant) async throws(TwirpError)
        -> Livekit_EgressInfo
    {
        try Self.require(!request.roomName.isEmpty, "room_name is required")
        try Self.require(!request.trackID.isEmpty, "track_id is required")
        try Self.requireRecord(grant)
        let room = try await openRoom(request.roomName)
        do { return try await egress.startTrackEgress(request, room: room) } catch { throw Self.map(error) }
    }

    private func startParticipantEgress(_ request: Livekit_ParticipantEgressRequest, _ grant: VideoGrant) async throws(TwirpError)
        -> Livekit_EgressInfo
    {
        try Self.require(!request.roomName.isEmpty, "room_name is required")
        try Self.require(!request.identity.isEmpty, "identity is required")
        try Self.requireRecord(grant)
        let room = try await openRoom(request.roomName)
        do { return try await egress.startParticipantEgress(request, room: room) } catch { throw Self.map(error) }
    }

    private func listEgress(_ request: Livekit_ListEgressRequest, _ grant: VideoGrant) async throws(TwirpError)
        -> Livekit_ListEgressResponse
    {
        try Self.requireRecord(grant)
        var response = Livekit_ListEgressResponse()
        do {
            response.items = try egress.list(roomName: request.roomName, egressID: request.egressID, activeOnly: request.active)
        } catch {
            throw Self.map(error)
        }
        return response
    }

    private func stopEgress(_ request: Livekit_StopEgressRequest, _ grant: VideoGrant) async throws(TwirpError)
        -> Livekit_EgressInfo
    {
        try Self.require(!request.egressID.isEmpty, "egress_id is required")
        try Self.requireRecord(grant)
        do { return try egress.stop(egressID: request.egressID) } catch { throw Self.map(error) }
    }

    // MARK: Helpers

    private func openRoom(_ name: String) async throws(TwirpError) -> Room {
        guard let room = await rooms.room(named: name) else { throw .notFound("room \(name) not found") }
        return room
    }

    private static func require(_ condition: Bool, _ message: String) throws(TwirpError) {
        guard condition else { throw .invalidArgument(message) }
    }

    private static func requireRecord(_ grant: VideoGrant) throws(TwirpError) {
        guard grant.roomRecord == true else { throw .permissionDenied("token lacks the roomRecord grant") }
    }

    private static func map(_ error: EgressError) -> TwirpError {
        switch error {
        case .invalidArgument(let m): TwirpError(.invalidArgument, m)
        case .notFound(let m): TwirpError(.notFound, m)
        case .alreadyExists(let m): TwirpError(.alreadyExists, m)
        case .failedPrecondition(let m): TwirpError(.failedPrecondition, m)
        case .unimplemented(let m): TwirpError(.unimplemented, m)
        case .internal(let m): TwirpError(.internal, m)
        }
    }
}
