import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import SFU
import Signalling
import Store
import SwiftProtobuf
import XCTest

final class RoomServiceTests: XCTestCase {
    private static let apiKey = "APItestkey"
    private static let secret = "a-test-secret-that-is-long-enough-for-hs256"

    private var server: TransportServer!
    private var rooms: RoomManager!
    private var api: RoomServiceAPI!

    override func setUp() async throws {
        server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        let logger = Logger(label: "room-service-test")
        let context = SFUContext(transports: server, store: try SwitchboardStore.inMemory(), logger: logger,
                                 serverVersion: "test")
        rooms = RoomManager(context: context)
        api = RoomServiceAPI(rooms: rooms, verifier: TokenVerifier(keys: [Self.apiKey: Self.secret]), logger: logger)
    }

    override func tearDown() async throws {
        await rooms?.stop()
        server?.stop()
        api = nil
        rooms = nil
        server = nil
    }

    // MARK: Helpers

    private func token(_ grant: VideoGrant, secret: String = RoomServiceTests.secret) async throws -> String {
        try await TokenIssuer().token(identity: "", grant: grant, validFor: 600, apiKey: Self.apiKey, secret: secret)
    }

    private func bearer(_ grant: VideoGrant) async throws -> String { "Bearer " + (try await token(grant)) }

    private func call<Request: SwiftProtobuf.Message>(_ method: String, _ request: Request, grant: VideoGrant,
                                                      json: Bool = false) async throws -> TwirpResponse {
        let body: [UInt8] = json ? try request.jsonUTF8Bytes() : try request.serializedBytes()
        return await api.handle(method: method, contentType: json ? "application/json" : "application/protobuf",
                                authorization: try await bearer(grant), body: body)
    }

    private func decode<Response: SwiftProtobuf.Message>(_ type: Response.Type, _ response: TwirpResponse,
                                                         file: StaticString = #filePath, line: UInt = #line) throws -> Response {
        XCTAssertEqual(response.status, 200, String(decoding: response.body, as: UTF8.self), file: file, line: line)
        if response.contentType == "application/json" {
            return try Response(jsonUTF8Bytes: response.body)
        }
        XCTAssertEqual(response.contentType, "application/protobuf", file: file, line: line)
        return try Response(serializedBytes: response.body)
    }

    private func assertTwirpError(_ response: TwirpResponse, status: Int, code: String,
                                  file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status, status, file: file, line: line)
        XCTAssertEqual(response.contentType, "application/json", file: file, line: line)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                                   file: file, line: line)
        XCTAssertEqual(object["code"] as? String, code, file: file, line: line)
        XCTAssertFalse((object["msg"] as? String ?? "").isEmpty, "msg should say why", file: file, line: line)
    }

    private func createRoom(_ name: String, metadata: String = "") async throws -> Livekit_Room {
        var request = Livekit_CreateRoomRequest()
        request.name = name
        request.metadata = metadata
        return try decode(Livekit_Room.self, try await call("CreateRoom", request, grant: VideoGrant(roomCreate: true)))
    }

    private func admin(_ room: String) -> VideoGrant { VideoGrant(roomAdmin: true, room: room) }

    // MARK: Rooms

    func testCreateRoomProtobuf() async throws {
        var request = Livekit_CreateRoomRequest()
        request.name = "alpha"
        request.emptyTimeout = 42
        request.maxParticipants = 7
        request.metadata = "hello"
        let room = try decode(Livekit_Room.self, try await call("CreateRoom", request, grant: VideoGrant(roomCreate: true)))
        XCTAssertEqual(room.name, "alpha")
        XCTAssertTrue(room.sid.hasPrefix("RM_"), room.sid)
        XCTAssertEqual(room.emptyTimeout, 42)
        XCTAssertEqual(room.departureTimeout, RoomDefaults().departureTimeout, "0 means the default")
        XCTAssertEqual(room.maxParticipants, 7)
        XCTAssertEqual(room.metadata, "hello")
        XCTAssertEqual(room.numParticipants, 0)
        let open = await rooms.room(named: "alpha")
        XCTAssertEqual(open?.sid, room.sid)

        // Creating it again returns the same room.
        let again = try await createRoom("alpha")
        XCTAssertEqual(again.sid, room.sid)
        XCTAssertEqual(again.metadata, "hello")
    }

    func testCreateRoomJSON() async throws {
        let body = Array(#"{"name":"beta","empty_timeout":30,"metadata":"m","someFutureField":true}"#.utf8)
        let response = await api.handle(method: "CreateRoom", contentType: "application/json; charset=utf-8",
                                        authorization: try await bearer(VideoGrant(roomCreate: true)), body: body)
        XCTAssertEqual(response.contentType, "application/json")
        let room = try decode(Livekit_Room.self, response)
        XCTAssertEqual(room.name, "beta")
        XCTAssertEqual(room.emptyTimeout, 30)
        XCTAssertEqual(room.metadata, "m")
        // Twirp writes proto field names.
        let text = String(decoding: response.body, as: UTF8.self)
        XCTAssertTrue(text.contains("\"empty_timeout\""), text)
    }

    func testCreateRoomXProtobufContentType() async throws {
        var request = Livekit_CreateRoomRequest()
        request.name = "gamma"
        let response = await api.handle(method: "CreateRoom", contentType: "application/x-protobuf",
                                        authorization: try await bearer(VideoGrant(roomCreate: true)),
                                        body: try request.serializedBytes() as [UInt8])
        let room = try decode(Livekit_Room.self, response)
        XCTAssertEqual(room.name, "gamma")
    }

    func testCreateRoomRequiresName() async throws {
        let response = try await call("CreateRoom", Livekit_CreateRoomRequest(), grant: VideoGrant(roomCreate: true))
        try assertTwirpError(response, status: 400, code: "invalid_argument")
    }

    func testListRooms() async throws {
        _ = try await createRoom("one")
        _ = try await createRoom("two")
        _ = try await createRoom("three")

        let all = try decode(Livekit_ListRoomsResponse.self,
                             try await call("ListRooms", Livekit_ListRoomsRequest(), grant: VideoGrant(roomList: true)))
        XCTAssertEqual(Set(all.rooms.map(\.name)), ["one", "two", "three"])

        var filter = Livekit_ListRoomsRequest()
        filter.names = ["two", "missing"]
        let some = try decode(Livekit_ListRoomsResponse.self, try await call("ListRooms", filter, grant: VideoGrant(roomList: true)))
        XCTAssertEqual(some.rooms.map(\.name), ["two"])

        // JSON, empty body.
        let response = await api.handle(method: "ListRooms", contentType: "application/json",
                                        authorization: try await bearer(VideoGrant(roomList: true)), body: [])
        XCTAssertEqual(try decode(Livekit_ListRoomsResponse.self, response).rooms.count, 3)
    }

    func testDeleteRoom() async throws {
        _ = try await createRoom("doomed")
        var request = Livekit_DeleteRoomRequest()
        request.room = "doomed"
        _ = try decode(Livekit_DeleteRoomResponse.self, try await call("DeleteRoom", request, grant: VideoGrant(roomCreate: true)))
        let gone = await rooms.room(named: "doomed")
        XCTAssertNil(gone)

        // Deleting it again: not found.
        try assertTwirpError(try await call("DeleteRoom", request, grant: VideoGrant(roomCreate: true)),
                             status: 404, code: "not_found")
    }

    func testUpdateRoomMetadata() async throws {
        let created = try await createRoom("meta", metadata: "old")
        var request = Livekit_UpdateRoomMetadataRequest()
        request.room = "meta"
        request.metadata = "new"
        let room = try decode(Livekit_Room.self, try await call("UpdateRoomMetadata", request, grant: admin("meta")))
        XCTAssertEqual(room.sid, created.sid)
        XCTAssertEqual(room.metadata, "new")
        let info = await rooms.room(named: "meta")?.info
        XCTAssertEqual(info?.metadata, "new")

        request.room = "nowhere"
        try assertTwirpError(try await call("UpdateRoomMetadata", request, grant: admin("nowhere")),
                             status: 404, code: "not_found")
    }

    // MARK: Participants

    func testListParticipantsOnEmptyRoom() async throws {
        _ = try await createRoom("quiet")
        var request = Livekit_ListParticipantsRequest()
        request.room = "quiet"
        let list = try decode(Livekit_ListParticipantsResponse.self,
                              try await call("ListParticipants", request, grant: admin("quiet")))
        XCTAssertTrue(list.participants.isEmpty)

        // JSON answer to a JSON request.
        let json = try await call("ListParticipants", request, grant: admin("quiet"), json: true)
        XCTAssertEqual(json.contentType, "application/json")
        XCTAssertTrue(try decode(Livekit_ListParticipantsResponse.self, json).participants.isEmpty)
    }

    func testGetParticipantNotFound() async throws {
        _ = try await createRoom("lonely")
        var request = Livekit_RoomParticipantIdentity()
        request.room = "lonely"
        request.identity = "nobody"
        try assertTwirpError(try await call("GetParticipant", request, grant: admin("lonely")), status: 404, code: "not_found")
        try assertTwirpError(try await call("RemoveParticipant", request, grant: admin("lonely")), status: 404, code: "not_found")

        var mute = Livekit_MuteRoomTrackRequest()
        mute.room = "lonely"
        mute.identity = "nobody"
        mute.trackSid = "TR_x"
        mute.muted = true
        try assertTwirpError(try await call("MutePublishedTrack", mute, grant: admin("lonely")), status: 404, code: "not_found")

        var update = Livekit_UpdateParticipantRequest()
        update.room = "lonely"
        update.identity = "nobody"
        update.metadata = "x"
        try assertTwirpError(try await call("UpdateParticipant", update, grant: admin("lonely")), status: 404, code: "not_found")

        var subscriptions = Livekit_UpdateSubscriptionsRequest()
        subscriptions.room = "lonely"
        subscriptions.identity = "nobody"
        subscriptions.trackSids = ["TR_x"]
        subscriptions.subscribe = true
        try assertTwirpError(try await call("UpdateSubscriptions", subscriptions, grant: admin("lonely")),
                             status: 404, code: "not_found")

        // A room that is not open at all.
        request.room = "absent"
        try assertTwirpError(try await call("GetParticipant", request, grant: admin("absent")), status: 404, code: "not_found")
    }

    func testParticipantCallsRequireIdentity() async throws {
        _ = try await createRoom("r")
        var request = Livekit_RoomParticipantIdentity()
        request.room = "r"
        try assertTwirpError(try await call("GetParticipant", request, grant: admin("r")), status: 400, code: "invalid_argument")
    }

    // MARK: Auth and errors

    func testPermissionDeniedWithoutGrant() async throws {
        var create = Livekit_CreateRoomRequest()
        create.name = "x"
        try assertTwirpError(try await call("CreateRoom", create, grant: VideoGrant(roomList: true)),
                             status: 403, code: "permission_denied")
        try assertTwirpError(try await call("ListRooms", Livekit_ListRoomsRequest(), grant: VideoGrant(roomCreate: true)),
                             status: 403, code: "permission_denied")
        var delete = Livekit_DeleteRoomRequest()
        delete.room = "x"
        try assertTwirpError(try await call("DeleteRoom", delete, grant: VideoGrant(roomAdmin: true, room: "x")),
                             status: 403, code: "permission_denied")
        var list = Livekit_ListParticipantsRequest()
        list.room = "x"
        try assertTwirpError(try await call("ListParticipants", list, grant: VideoGrant(roomAdmin: false, room: "x")),
                             status: 403, code: "permission_denied")
        // A participant's join token is no admin token.
        let join = try await TokenIssuer().token(identity: "alice", grant: VideoGrant(roomJoin: true, room: "x"),
                                                 validFor: 600, apiKey: Self.apiKey, secret: Self.secret)
        let asParticipant = await api.handle(method: "ListParticipants", contentType: "application/protobuf",
                                             authorization: "Bearer " + join, body: try list.serializedBytes() as [UInt8])
        try assertTwirpError(asParticipant, status: 403, code: "permission_denied")
        let noRoom = await rooms.room(named: "x")
        XCTAssertNil(noRoom, "a refused CreateRoom creates nothing")
    }

    func testAdminGrantForAnotherRoomIsForbidden() async throws {
        _ = try await createRoom("mine")
        _ = try await createRoom("theirs")
        var request = Livekit_UpdateRoomMetadataRequest()
        request.room = "theirs"
        request.metadata = "hijacked"
        try assertTwirpError(try await call("UpdateRoomMetadata", request, grant: admin("mine")),
                             status: 403, code: "permission_denied")
        var list = Livekit_ListParticipantsRequest()
        list.room = "theirs"
        try assertTwirpError(try await call("ListParticipants", list, grant: admin("mine")), status: 403, code: "permission_denied")
        let info = await rooms.room(named: "theirs")?.info
        XCTAssertEqual(info?.metadata, "")
    }

    func testBadTokenIsUnauthenticated() async throws {
        var request = Livekit_CreateRoomRequest()
        request.name = "x"
        let body: [UInt8] = try request.serializedBytes()
        let cases: [String?] = [
            nil,
            "",
            "Bearer",
            "Bearer not-a-jwt",
            "Basic dXNlcjpwYXNz",
            "Bearer " + (try await token(VideoGrant(roomCreate: true), secret: "some-other-secret-of-enough-length")),
        ]
        for authorization in cases {
            let response = await api.handle(method: "CreateRoom", contentType: "application/protobuf",
                                            authorization: authorization, body: body)
            try assertTwirpError(response, status: 401, code: "unauthenticated")
        }
        // The scheme is case-insensitive.
        let lower = await api.handle(method: "CreateRoom", contentType: "application/protobuf",
                                     authorization: "bearer " + (try await token(VideoGrant(roomCreate: true))), body: body)
        XCTAssertEqual(lower.status, 200)
    }

    func testUnknownMethodIsBadRoute() async throws {
        let response = await api.handle(method: "Frobnicate", contentType: "application/protobuf",
                                        authorization: try await bearer(VideoGrant(roomCreate: true)), body: [])
        try assertTwirpError(response, status: 404, code: "bad_route")
        // Even without a token, and with a protobuf request, the error is JSON.
        let anonymous = await api.handle(method: "SendData", contentType: "application/protobuf", authorization: nil, body: [])
        try assertTwirpError(anonymous, status: 404, code: "bad_route")
    }

    func testUnsupportedContentTypeIsBadRoute() async throws {
        let response = await api.handle(method: "ListRooms", contentType: "text/plain",
                                        authorization: try await bearer(VideoGrant(roomList: true)), body: [])
        try assertTwirpError(response, status: 404, code: "bad_route")
    }

    func testMalformedBody() async throws {
        let grant = try await bearer(VideoGrant(roomCreate: true))
        let protobuf = await api.handle(method: "CreateRoom", contentType: "application/protobuf",
                                        authorization: grant, body: [0xFF, 0xFF, 0xFF])
        try assertTwirpError(protobuf, status: 400, code: "malformed")
        let json = await api.handle(method: "CreateRoom", contentType: "application/json",
                                    authorization: grant, body: Array("{not json".utf8))
        try assertTwirpError(json, status: 400, code: "malformed")
        let tooLarge = await api.handle(method: "CreateRoom", contentType: "application/protobuf", authorization: grant,
                                        body: [UInt8](repeating: 0, count: RoomServiceAPI.maximumBodySize + 1))
        try assertTwirpError(tooLarge, status: 400, code: "malformed")
    }

    func testErrorCodesMapToTwirpStatuses() {
        XCTAssertEqual(TwirpErrorCode.invalidArgument.httpStatus, 400)
        XCTAssertEqual(TwirpErrorCode.unauthenticated.httpStatus, 401)
        XCTAssertEqual(TwirpErrorCode.permissionDenied.httpStatus, 403)
        XCTAssertEqual(TwirpErrorCode.badRoute.httpStatus, 404)
        XCTAssertEqual(TwirpErrorCode.alreadyExists.httpStatus, 409)
        XCTAssertEqual(TwirpErrorCode.resourceExhausted.httpStatus, 429)
        XCTAssertEqual(TwirpErrorCode.internal.httpStatus, 500)
        XCTAssertEqual(TwirpErrorCode.unimplemented.httpStatus, 501)
        let error = TwirpError(.notFound, "room \"a/b\" not found").response
        XCTAssertEqual(String(decoding: error.body, as: UTF8.self), #"{"code":"not_found","msg":"room \"a/b\" not found"}"#)
    }
}
