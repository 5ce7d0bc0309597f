import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import SFU
import SwiftProtobuf

/// LiveKit's server API, `livekit.RoomService` over Twirp: `POST /twirp/livekit.RoomService/<Method>`
/// with a protobuf (`application/protobuf`) or protobuf-JSON (`application/json`) body, answered
/// in the same encoding. Errors are Twirp JSON (`{"code":…,"msg":…}`, always `application/json`).
///
/// Order of checks: route (404 `bad_route`), content type (404 `bad_route`, as Twirp does),
/// token (401 `unauthenticated`), body size and decoding (400 `malformed`), required fields
/// (400 `invalid_argument`), grants (403 `permission_denied`), then the call itself
/// (404 `not_found` for a missing room, participant or track).
///
/// Grants, as LiveKit checks them: `CreateRoom`/`DeleteRoom` need `roomCreate`, `ListRooms` needs
/// `roomList`, everything else needs `roomAdmin` and `video.room` equal to the request's room.
///
/// Behaviour differences from LiveKit, on purpose or for now:
/// - `DeleteRoom` of a room that is not open answers `not_found` (LiveKit v1.x does the same).
/// - `ListParticipants` of a room that is not open answers an empty list (as LiveKit does: its
///   store has no participants for it), not `not_found`.
/// - `CreateRoom` of a room that is already open returns it; a non-empty `metadata` replaces the
///   room's, the timeouts and the participant limit stay as they were. `egress.participant`
///   turns on `auto_record` for the room (each publishing participant recorded to its own
///   WebM, default file names); `egress.room`/`egress.tracks`, `agents`, `room_preset`,
///   `node_id`, playout delays and `sync_streams` are ignored.
/// - `SendData`, `ForwardParticipant`, `MoveParticipant` and `PerformRpc` answer 404 `bad_route`
///   (not implemented).
public struct RoomServiceAPI: Sendable {
    /// Bodies larger than this are refused (400 `malformed`).
    public static let maximumBodySize = 1 << 20
    /// The path prefix the methods live under.
    public static let pathPrefix = "/twirp/livekit.RoomService/"

    /// The RPCs this server implements.
    public enum Method: String, Sendable, CaseIterable {
        case createRoom = "CreateRoom"
        case listRooms = "ListRooms"
        case deleteRoom = "DeleteRoom"
        case listParticipants = "ListParticipants"
        case getParticipant = "GetParticipant"
        case removeParticipant = "RemoveParticipant"
        case mutePublishedTrack = "MutePublishedTrack"
        case updateParticipant = "UpdateParticipant"
        case updateSubscriptions = "UpdateSubscriptions"
        case updateRoomMetadata = "UpdateRoomMetadata"
    }

    let rooms: RoomManager
    let verifier: TokenVerifier
    let logger: Logger

    public init(rooms: RoomManager, verifier: TokenVerifier, logger: Logger) {
        self.rooms = rooms
        self.verifier = verifier
        self.logger = logger
    }

    /// Handles one call.
    /// - Parameters:
    ///   - method: the last path component, e.g. `CreateRoom`.
    ///   - contentType: the request's `Content-Type` header.
    ///   - authorization: the request's `Authorization` header (`Bearer <jwt>`).
    ///   - body: the request body.
    public func handle(method: String, contentType: String?, authorization: String?, body: [UInt8]) async -> TwirpResponse {
        do throws(TwirpError) {
            let response = try await dispatch(method: method, contentType: contentType, authorization: authorization, body: body)
            logger.debug("twirp RoomService call", metadata: ["method": "\(method)"])
            return response
        } catch {
            if error.code.httpStatus >= 500 {
                logger.error("twirp RoomService call failed", metadata: ["method": "\(method)", "error": "\(error)"])
            } else {
                logger.debug("twirp RoomService call refused", metadata: ["method": "\(method)", "error": "\(error)"])
            }
            return error.response
        }
    }

    private func dispatch(method rawMethod: String, contentType: String?, authorization: String?,
                          body: [UInt8]) async throws(TwirpError) -> TwirpResponse {
        guard let method = Method(rawValue: rawMethod) else {
            throw .badRoute("no handler for path \"\(Self.pathPrefix)\(Self.sanitize(rawMethod))\"")
        }
        guard let encoding = TwirpEncoding(contentType: contentType) else {
            throw .badRoute("unexpected Content-Type: \"\(Self.sanitize(contentType ?? ""))\"")
        }
        let grant = try await authenticate(authorization)
        guard body.count <= Self.maximumBodySize else {
            throw .malformed("request body exceeds \(Self.maximumBodySize) bytes")
        }
        let call = TwirpCall(grant: grant, encoding: encoding, body: body)

        switch method {
        case .createRoom: return try await call.run(createRoom)
        case .listRooms: return try await call.run(listRooms)
        case .deleteRoom: return try await call.run(deleteRoom)
        case .listParticipants: return try await call.run(listParticipants)
        case .getParticipant: return try await call.run(getParticipant)
        case .removeParticipant: return try await call.run(removeParticipant)
        case .mutePublishedTrack: return try await call.run(mutePublishedTrack)
        case .updateParticipant: return try await call.run(updateParticipant)
        case .updateSubscriptions: return try await call.run(updateSubscriptions)
        case .updateRoomMetadata: return try await call.run(updateRoomMetadata)
        }
    }

    // MARK: Authentication

    private func authenticate(_ authorization: String?) async throws(TwirpError) -> VideoGrant {
        try await TwirpCall.authenticate(authorization, verifier: verifier)
    }

    // MARK: RPCs

    private func createRoom(_ request: Livekit_CreateRoomRequest, _ grant: VideoGrant) async throws(TwirpError) -> Livekit_Room {
        try Self.require(!request.name.isEmpty, "room name is required")
        try Self.requireCreate(grant)
        let room: Room
        do {
            room = try await rooms.createRoom(name: request.name,
                                              emptyTimeout: Self.nonZero(request.emptyTimeout),
                                              departureTimeout: Self.nonZero(request.departureTimeout),
                                              maxParticipants: Self.nonZero(request.maxParticipants),
                                              metadata: request.metadata,
                                              autoRecord: request.hasEgress && request.egress.hasParticipant ? true : nil)
        } catch .roomClosed {
            throw TwirpError(.unavailable, "server is shutting down")
        } catch {
            throw .internal("could not create room: \(error)")
        }
        var info = await room.info
        if !request.metadata.isEmpty, info.metadata != request.metadata {
            await room.setMetadata(request.metadata)
            info = await room.info
        }
        return info
    }

    private func listRooms(_ request: Livekit_ListRoomsRequest, _ grant: VideoGrant) async throws(TwirpError) -> Livekit_ListRoomsResponse {
        guard grant.roomList == true else { throw .permissionDenied("token lacks the roomList grant") }
        var open = await rooms.openRooms
        if !request.names.isEmpty {
            let names = Set(request.names)
            open = open.filter { names.contains($0.name) }
        }
        var infos: [Livekit_Room] = []
        infos.reserveCapacity(open.count)
        for room in open { infos.append(await room.info) }
        infos.sort { ($0.creationTimeMs, $0.name) < ($1.creationTimeMs, $1.name) }
        var response = Livekit_ListRoomsResponse()
        response.rooms = infos
        return response
    }

    private func deleteRoom(_ request: Livekit_DeleteRoomRequest, _ grant: VideoGrant) async throws(TwirpError) -> Livekit_DeleteRoomResponse {
        try Self.require(!request.room.isEmpty, "room name is required")
        try Self.requireCreate(grant)
        guard await rooms.deleteRoom(named: request.room) else { throw .notFound("room not found") }
        return Livekit_DeleteRoomResponse()
    }

    private func listParticipants(_ request: Livekit_ListParticipantsRequest,
                                  _ grant: VideoGrant) async throws(TwirpError) -> Livekit_ListParticipantsResponse {
        try Self.require(!request.room.isEmpty, "room name is required")
        try Self.requireAdmin(grant, room: request.room)
        var response = Livekit_ListParticipantsResponse()
        if let room = await rooms.room(named: request.room) {
            response.participants = await room.participantInfos
        }
        return response
    }

    private func getParticipant(_ request: Livekit_RoomParticipantIdentity,
                                _ grant: VideoGrant) async throws(TwirpError) -> Livekit_ParticipantInfo {
        let room = try await adminRoom(request.room, identity: request.identity, grant)
        guard let info = await room.participantInfo(identity: request.identity) else {
            throw .notFound("participant not found")
        }
        return info
    }

    private func removeParticipant(_ request: Livekit_RoomParticipantIdentity,
                                   _ grant: VideoGrant) async throws(TwirpError) -> Livekit_RemoveParticipantResponse {
        let room = try await adminRoom(request.room, identity: request.identity, grant)
        do {
            try await room.removeParticipant(identity: request.identity)
        } catch {
            throw Self.map(error)
        }
        return Livekit_RemoveParticipantResponse()
    }

    private func mutePublishedTrack(_ request: Livekit_MuteRoomTrackRequest,
                                    _ grant: VideoGrant) async throws(TwirpError) -> Livekit_MuteRoomTrackResponse {
        try Self.require(!request.trackSid.isEmpty, "track_sid is required")
        let room = try await adminRoom(request.room, identity: request.identity, grant)
        var response = Livekit_MuteRoomTrackResponse()
        do {
            response.track = try await room.mutePublishedTrack(identity: request.identity, trackSid: request.trackSid,
                                                               muted: request.muted)
        } catch {
            throw Self.map(error)
        }
        return response
    }

    private func updateParticipant(_ request: Livekit_UpdateParticipantRequest,
                                   _ grant: VideoGrant) async throws(TwirpError) -> Livekit_ParticipantInfo {
        let room = try await adminRoom(request.room, identity: request.identity, grant)
        do {
            return try await room.updateParticipant(identity: request.identity, metadata: request.metadata,
                                                    name: request.name, attributes: request.attributes,
                                                    permission: request.hasPermission ? request.permission : nil)
        } catch {
            throw Self.map(error)
        }
    }

    private func updateSubscriptions(_ request: Livekit_UpdateSubscriptionsRequest,
                                     _ grant: VideoGrant) async throws(TwirpError) -> Livekit_UpdateSubscriptionsResponse {
        let room = try await adminRoom(request.room, identity: request.identity, grant)
        do {
            try await room.updateSubscriptions(identity: request.identity, trackSids: request.trackSids,
                                               participantTracks: request.participantTracks, subscribe: request.subscribe)
        } catch {
            throw Self.map(error)
        }
        return Livekit_UpdateSubscriptionsResponse()
    }

    private func updateRoomMetadata(_ request: Livekit_UpdateRoomMetadataRequest,
                                    _ grant: VideoGrant) async throws(TwirpError) -> Livekit_Room {
        try Self.require(!request.room.isEmpty, "room name is required")
        try Self.requireAdmin(grant, room: request.room)
        guard let room = await rooms.room(named: request.room) else { throw .notFound("room not found") }
        await room.setMetadata(request.metadata)
        return await room.info
    }

    // MARK: Helpers

    /// Validates room and identity, checks the admin grant, and finds the open room.
    private func adminRoom(_ name: String, identity: String, _ grant: VideoGrant) async throws(TwirpError) -> Room {
        try Self.require(!name.isEmpty, "room name is required")
        try Self.require(!identity.isEmpty, "participant identity is required")
        try Self.requireAdmin(grant, room: name)
        guard let room = await rooms.room(named: name) else { throw .notFound("room not found") }
        return room
    }

    private static func require(_ condition: Bool, _ message: String) throws(TwirpError) {
        guard condition else { throw .invalidArgument(message) }
    }

    private static func requireCreate(_ grant: VideoGrant) throws(TwirpError) {
        guard grant.roomCreate == true else { throw .permissionDenied("token lacks the roomCreate grant") }
    }

    private static func requireAdmin(_ grant: VideoGrant, room: String) throws(TwirpError) {
        guard grant.roomAdmin == true else { throw .permissionDenied("token lacks the roomAdmin grant") }
        guard grant.room == room else { throw .permissionDenied("token's roomAdmin grant is for another room") }
    }

    private static func map(_ error: Room.AdminError) -> TwirpError {
        switch error {
        case .participantNotFound: .notFound("participant not found")
        case .trackNotFound: .notFound("track not found")
        }
    }

    private static func nonZero(_ value: UInt32) -> UInt32? { value == 0 ? nil : value }

    /// Request-supplied text for error messages: at most 64 printable ASCII characters.
    static func sanitize(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(64) {
            out.unicodeScalars.append((0x20..<0x7F).contains(scalar.value) ? scalar : "?")
        }
        return text.unicodeScalars.count > 64 ? out + "…" : out
    }
}
