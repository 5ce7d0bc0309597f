import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import Recording
import SFU
import Signalling
import Store
import SwiftProtobuf
import XCTest

/// The Twirp `livekit.Egress` service: auth (`roomRecord`), Twirp errors, request checks, file
/// paths kept inside the recordings directory, and the EgressInfo lifecycle of a participant
/// recording (here one that never gets media, so it ends `failed`).
final class EgressServiceTests: XCTestCase {
    private static let apiKey = "APItestkey"
    private static let secret = "a-test-secret-that-is-long-enough-for-hs256"

    private var server: TransportServer!
    private var rooms: RoomManager!
    private var egress: EgressManager!
    private var api: EgressServiceAPI!
    private var directory: URL!

    override func setUp() async throws {
        directory = try makeTemporaryDirectory("egress-service")
        server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        let logger = Logger(label: "egress-test", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = try SwitchboardStore.inMemory()
        egress = try EgressManager(configuration: .init(recordingsDirectory: directory.appendingPathComponent("recordings").path),
                                   store: store, logger: logger)
        var context = SFUContext(transports: server, store: store, logger: logger, serverVersion: "test")
        context.autoRecorderFactory = egress
        rooms = RoomManager(context: context)
        api = EgressServiceAPI(rooms: rooms, egress: egress, verifier: TokenVerifier(keys: [Self.apiKey: Self.secret]),
                               logger: logger)
    }

    override func tearDown() async throws {
        await rooms?.stop()
        await egress?.shutdown()
        server?.stop()
        try? FileManager.default.removeItem(at: directory)
    }

    private func call<Request: SwiftProtobuf.Message>(_ method: String, _ request: Request,
                                                      grant: VideoGrant? = VideoGrant(roomRecord: true),
                                                      json: Bool = false) async throws -> TwirpResponse {
        let body: [UInt8] = json ? try request.jsonUTF8Bytes() : try request.serializedBytes()
        var authorization: String?
        if let grant {
            authorization = "Bearer " + (try await TokenIssuer().token(identity: "", grant: grant, validFor: 600,
                                                                       apiKey: Self.apiKey, secret: Self.secret))
        }
        return await api.handle(method: method, contentType: json ? "application/json" : "application/protobuf",
                                authorization: authorization, body: body)
    }

    private func decode<Response: SwiftProtobuf.Message>(_ type: Response.Type, _ response: TwirpResponse,
                                                         file: StaticString = #filePath, line: UInt = #line) throws -> Response {
        XCTAssertEqual(response.status, 200, String(decoding: response.body, as: UTF8.self), file: file, line: line)
        if response.contentType == "application/json" { return try Response(jsonUTF8Bytes: response.body) }
        return try Response(serializedBytes: response.body)
    }

    private func assertError(_ response: TwirpResponse, _ status: Int, _ code: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertEqual(response.status, status, String(decoding: response.body, as: UTF8.self), file: file, line: line)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
                                   file: file, line: line)
        XCTAssertEqual(object["code"] as? String, code, file: file, line: line)
        XCTAssertFalse((object["msg"] as? String ?? "").isEmpty, file: file, line: line)
    }

    /// A room with `alice` in it (publishing nothing).
    private func roomWithAlice() async throws -> (Room, SignalSink) {
        let room = try await rooms.roomForJoin(named: "r1")
        let sink = SignalSink()
        _ = try await room.join(JoinRequest(identity: "alice", grant: VideoGrant(roomJoin: true, room: "r1")), sink: sink)
        return (room, sink)
    }

    private func participantRequest(_ path: String, identity: String = "alice") -> Livekit_ParticipantEgressRequest {
        var request = Livekit_ParticipantEgressRequest()
        request.roomName = "r1"
        request.identity = identity
        var output = Livekit_EncodedFileOutput()
        output.filepath = path
        request.fileOutputs = [output]
        return request
    }

    func testEveryMethodNeedsTheRoomRecordGrant() async throws {
        try assertError(try await call("ListEgress", Livekit_ListEgressRequest(), grant: nil), 401, "unauthenticated")
        try assertError(try await call("ListEgress", Livekit_ListEgressRequest(),
                                       grant: VideoGrant(roomCreate: true, roomList: true, roomAdmin: true, room: "r1")),
                        403, "permission_denied")
        var stop = Livekit_StopEgressRequest()
        stop.egressID = "EG_abcdefghijkl"
        try assertError(try await call("StopEgress", stop, grant: VideoGrant(roomAdmin: true, room: "r1")), 403, "permission_denied")
        let list = try decode(Livekit_ListEgressResponse.self, try await call("ListEgress", Livekit_ListEgressRequest()))
        XCTAssertEqual(list.items, [])
    }

    func testRoutesAndUnsupportedEgressKinds() async throws {
        try assertError(try await call("StartSomething", Livekit_ListEgressRequest()), 404, "bad_route")
        try assertError(try await call("StartRoomCompositeEgress", Livekit_RoomCompositeEgressRequest()), 501, "unimplemented")
        try assertError(try await call("StartWebEgress", Livekit_WebEgressRequest()), 501, "unimplemented")
        try assertError(try await call("UpdateLayout", Livekit_UpdateLayoutRequest()), 501, "unimplemented")
        let wrongType = await api.handle(method: "ListEgress", contentType: "text/plain", authorization: nil, body: [])
        try assertError(wrongType, 404, "bad_route")
    }

    func testRequestChecks() async throws {
        try assertError(try await call("StartTrackEgress", Livekit_TrackEgressRequest()), 400, "invalid_argument")
        var track = Livekit_TrackEgressRequest()
        track.roomName = "nowhere"
        track.trackID = "TR_abcdefghijkl"
        track.file = Livekit_DirectFileOutput()
        try assertError(try await call("StartTrackEgress", track), 404, "not_found")
        try assertError(try await call("StartParticipantEgress", participantRequest("x")), 404, "not_found")
        try assertError(try await call("StopEgress", Livekit_StopEgressRequest()), 400, "invalid_argument")
        var stop = Livekit_StopEgressRequest()
        stop.egressID = "EG_abcdefghijkl"
        try assertError(try await call("StopEgress", stop), 404, "not_found")

        let (_, sink) = try await roomWithAlice()
        defer { sink.finish() }
        track.roomName = "r1"
        try assertError(try await call("StartTrackEgress", track), 404, "not_found")
        track.websocketURL = "ws://127.0.0.1:1/x"
        try assertError(try await call("StartTrackEgress", track), 501, "unimplemented")
        try assertError(try await call("StartParticipantEgress", participantRequest("x", identity: "bob")), 404, "not_found")
        var mp4 = participantRequest("x")
        mp4.fileOutputs[0].fileType = .mp4
        try assertError(try await call("StartParticipantEgress", mp4), 400, "invalid_argument")
        var streaming = participantRequest("x")
        streaming.streamOutputs = [Livekit_StreamOutput()]
        try assertError(try await call("StartParticipantEgress", streaming), 501, "unimplemented")
    }

    func testFilePathsStayInsideTheRecordingsDirectory() async throws {
        let (_, sink) = try await roomWithAlice()
        defer { sink.finish() }
        for path in ["../escape.webm", "a/../../escape", "/etc/passwd", "x.mp4"] {
            try assertError(try await call("StartParticipantEgress", participantRequest(path)), 400, "invalid_argument")
        }
        // A symlink out of the directory is refused too.
        let outside = directory.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: egress.paths.absolute("link"), withDestinationPath: outside.path)
        try assertError(try await call("StartParticipantEgress", participantRequest("link/x")), 400, "invalid_argument")
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: outside.path), [])
    }

    func testParticipantEgressLifecycleAndListing() async throws {
        let (room, sink) = try await roomWithAlice()
        defer { sink.finish() }
        let started = try decode(Livekit_EgressInfo.self,
                                 try await call("StartParticipantEgress", participantRequest("calls/{room_name}-{publisher_identity}"), json: true))
        XCTAssertTrue(started.egressID.hasPrefix("EG_"))
        XCTAssertEqual(started.status, .egressStarting)
        XCTAssertEqual(started.roomName, "r1")
        XCTAssertEqual(started.roomID, room.sid)
        XCTAssertEqual(started.fileResults.first?.filename, "calls/r1-alice.webm")
        guard case .participant(let echoed)? = started.request else { return XCTFail("request not echoed") }
        XCTAssertEqual(echoed.identity, "alice")
        let isRecording = await room.isRecording
        XCTAssertTrue(isRecording)

        // The same file again is refused.
        try assertError(try await call("StartParticipantEgress", participantRequest("calls/r1-alice.webm")), 409, "already_exists")

        var active = Livekit_ListEgressRequest()
        active.active = true
        active.roomName = "r1"
        let listed = try decode(Livekit_ListEgressResponse.self, try await call("ListEgress", active))
        XCTAssertEqual(listed.items.map(\.egressID), [started.egressID])

        var stop = Livekit_StopEgressRequest()
        stop.egressID = started.egressID
        let stopping = try decode(Livekit_EgressInfo.self, try await call("StopEgress", stop))
        XCTAssertEqual(stopping.status, .egressEnding)
        try assertError(try await call("StopEgress", stop), 412, "failed_precondition")

        // No media ever came: the recording ends failed, and the listing says why.
        var ended = Livekit_EgressInfo()
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline {
            var byID = Livekit_ListEgressRequest()
            byID.egressID = started.egressID
            ended = try decode(Livekit_ListEgressResponse.self, try await call("ListEgress", byID)).items.first ?? ended
            if ended.status == .egressFailed { break }
            try await Task.sleep(for: .milliseconds(20))
        }
        XCTAssertEqual(ended.status, .egressFailed)
        XCTAssertTrue(ended.error.contains("no media"), ended.error)
        XCTAssertGreaterThan(ended.endedAt, 0)
        let stillRecording = await room.isRecording
        XCTAssertFalse(stillRecording)
        let stillActive = try decode(Livekit_ListEgressResponse.self, try await call("ListEgress", active))
        XCTAssertEqual(stillActive.items, [])
        let all = try decode(Livekit_ListEgressResponse.self, try await call("ListEgress", Livekit_ListEgressRequest()))
        XCTAssertEqual(all.items.count, 1)
    }
}
