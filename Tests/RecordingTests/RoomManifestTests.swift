import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import Recorder
@testable import Recording
import SFU
import Store
import XCTest

/// The room manifest of `auto_record`: the JSON document (keys, common time base, offsets),
/// its writer (kept current as recordings start and end, complete once the room closed and
/// every file is final, replaced atomically), the egress manager's wiring, and start-up
/// recovery of a manifest a crash left behind.
final class RoomManifestTests: XCTestCase {
    private var directory: URL!
    private let logger = Logger(label: "manifest-test", factory: { _ in SwiftLogNoOpLogHandler() })

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("room-manifest")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func json(_ path: String) throws -> [String: Any] {
        let data = try XCTUnwrap(FileManager.default.contents(atPath: path), "no file at \(path)")
        return try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    private func track(_ sid: String, _ kind: Livekit_TrackType, participantSid: String = "PA_a") -> RecordedTrack {
        RecordedTrack(trackSid: sid, kind: kind, mimeType: kind == .audio ? "audio/opus" : "video/VP8",
                      source: kind == .audio ? .microphone : .camera, participantIdentity: "alice",
                      participantSid: participantSid, muted: false, requestKeyframe: {})
    }

    func testDocumentKeysAndOffsetsFromTheEarliestStart() throws {
        var manifest = RoomManifest(roomName: "r1", roomSid: "RM_x", startedAt: Date(timeIntervalSince1970: 1_700_000_000))
        manifest.participants = [
            .init(egressId: "EG_b", identity: "bob", file: "r1-bob.webm", status: "active", startUnixNs: 1_700_000_002_000_000_000),
            .init(egressId: "EG_a", identity: "alice", file: "r1-alice.webm", status: "active", startUnixNs: 1_700_000_000_500_000_000),
            .init(egressId: "EG_c", identity: "carol", file: "r1-carol.webm", status: "starting"),
        ]
        manifest.updateOffsets()
        let data = try manifest.encoded()
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(object["format"] as? String, "switchboard.room-recording")
        XCTAssertEqual(object["status"] as? String, "recording")
        XCTAssertEqual(object["started_at_unix_ms"] as? Int, 1_700_000_000_000)
        XCTAssertEqual((object["room"] as? [String: Any])?["sid"] as? String, "RM_x")
        let timeBase = try XCTUnwrap(object["time_base"] as? [String: Any])
        XCTAssertEqual(timeBase["clock"] as? String, "server_unix_ns")
        XCTAssertEqual(timeBase["origin_unix_ns"] as? Int, 1_700_000_000_500_000_000)
        let entries = try XCTUnwrap(object["participants"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["start_offset_ms"] as? Int }, [1_500, 0, nil])
        XCTAssertEqual(entries[0]["egress_id"] as? String, "EG_b")
        XCTAssertEqual(try RoomManifest.decode(data), manifest)
    }

    func testWriterFollowsRecordingsAndCompletesWhenTheRoomClosedAndFilesAreFinal() throws {
        let path = directory.appendingPathComponent("r1-RM_x.json").path
        let finished = DetachLog()
        let writer = RoomManifestWriter(roomName: "r1", roomSid: "RM_x", file: "r1-RM_x.json", path: path, logger: logger) { _ in
            finished.append(.roomClosed)
        }
        writer.flush()
        XCTAssertEqual(try json(path)["status"] as? String, "recording", "written as soon as the room records")

        writer.added(egressID: "EG_a", identity: "alice", file: "r1-alice.webm")
        writer.trackRecorded(egressID: "EG_a", track("TR_a1", .audio))
        writer.trackRecorded(egressID: "EG_a", track("TR_a2", .video))
        writer.trackRecorded(egressID: "EG_a", track("TR_a1", .audio))  // offered again: listed once
        // Alice's clock and Bob's disagree by hours; the server's arrival clock lines them up.
        writer.started(egressID: "EG_a", timeBase: RecordingTimeBase(senderWallclock: 1_000_000_000_000, arrivalClock: 50_000_000_000,
                                                                      synchronisedBy: .senderReport), arrivalToUnix: 1_700_000_000_000_000_000)
        writer.added(egressID: "EG_b", identity: "bob", file: "r1-bob.webm")
        writer.started(egressID: "EG_b", timeBase: RecordingTimeBase(senderWallclock: 9_000_000_000_000_000, arrivalClock: 51_500_000_000,
                                                                      synchronisedBy: .arrival), arrivalToUnix: 1_700_000_000_000_000_000)
        writer.flush()
        var object = try json(path)
        var entries = try XCTUnwrap(object["participants"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["identity"] as? String }, ["alice", "bob"])
        XCTAssertEqual(entries.map { $0["start_offset_ms"] as? Int }, [0, 1_500])
        XCTAssertEqual(entries.map { $0["status"] as? String }, ["active", "active"])
        XCTAssertEqual(entries.map { $0["sync"] as? String }, ["sender_report", "arrival"])
        XCTAssertEqual(entries[0]["start_unix_ns"] as? Int, 1_700_000_050_000_000_000)
        XCTAssertEqual(entries[0]["sender_start_unix_ns"] as? Int, 1_000_000_000_000)
        XCTAssertEqual(entries[0]["participant_sid"] as? String, "PA_a")
        let tracks = try XCTUnwrap(entries[0]["tracks"] as? [[String: Any]])
        XCTAssertEqual(tracks.map { $0["sid"] as? String }, ["TR_a1", "TR_a2"])
        XCTAssertEqual(tracks.map { $0["mime_type"] as? String }, ["audio/opus", "video/VP8"])

        // Alice leaves: her file is final. The room closes while Bob's is still being written.
        writer.ended(egressID: "EG_a", RecordingOutcome(status: .complete, durationMilliseconds: 6_000, bytes: 1_234))
        writer.roomClosed()
        writer.statusChanged(egressID: "EG_b", .ending)
        writer.flush()
        object = try json(path)
        XCTAssertEqual(object["status"] as? String, "recording", "not complete while a file is open")
        XCTAssertNil(object["ended_at_unix_ms"])
        XCTAssertEqual(finished.reasons, [])

        writer.ended(egressID: "EG_b", RecordingOutcome(status: .complete, durationMilliseconds: 4_500, bytes: 999))
        writer.flush()
        object = try json(path)
        XCTAssertEqual(object["status"] as? String, "complete")
        XCTAssertNotNil(object["ended_at_unix_ms"] as? Int)
        entries = try XCTUnwrap(object["participants"] as? [[String: Any]])
        XCTAssertEqual(entries.map { $0["status"] as? String }, ["complete", "complete"])
        XCTAssertEqual(entries.map { $0["duration_ms"] as? Int }, [6_000, 4_500])
        XCTAssertEqual(finished.reasons, [.roomClosed])
        // Atomic replacement leaves no temporary file; a complete manifest no longer changes.
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path), ["r1-RM_x.json"])
        let final = try Data(contentsOf: URL(fileURLWithPath: path))
        writer.statusChanged(egressID: "EG_a", .failed)
        writer.roomClosed()
        writer.flush()
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path)), final)
        XCTAssertEqual(finished.reasons, [.roomClosed])
    }

    func testAutoRecordingsAreListedByTheEgressManager() async throws {
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        defer { server.stop() }
        let store = try SwitchboardStore.inMemory()
        let egress = try EgressManager(configuration: .init(recordingsDirectory: directory.appendingPathComponent("recordings").path,
                                                            writerInterval: .milliseconds(5),
                                                            participantSyncWait: 2_000_000_000),
                                       store: store, logger: logger)
        let rooms = RoomManager(context: SFUContext(transports: server, store: store, logger: logger, serverVersion: "test"))
        let room = try await rooms.roomForJoin(named: "r1")
        let recording = try XCTUnwrap(egress.makeParticipantRecorder(room: room, identity: "alice") as? Recording)
        let manifest = try XCTUnwrap(egress.roomManifest(roomSid: room.sid))
        XCTAssertEqual(manifest.file, "r1-\(room.sid).json")

        // 3 s of Opus with a sender report: the recording starts (synchronised by the report).
        let tap = try XCTUnwrap(recording.tap(for: track("TR_a", .audio)))
        let base = monotonicNanoseconds()
        let unix = UInt64(Date().timeIntervalSince1970) + UInt64(NTPTime.unixEpochOffset)
        tap.senderReport(ssrc: 0x1234_5678, ntp: unix << 32, rtp: 5000, arrival: base)
        for i in 0..<150 { opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) } }
        // The start and its offset are written by the recording's writer queue; wait for both.
        waitUntil("the start in the manifest") {
            manifest.manifest.participants.first.map { $0.startUnixNs != nil && $0.startOffsetMs != nil } ?? false
        }
        var entry = try XCTUnwrap(manifest.manifest.participants.first)
        XCTAssertEqual(entry.egressId, recording.egressID)
        XCTAssertEqual(entry.file, recording.filePath)
        XCTAssertEqual(entry.sync, "sender_report")
        XCTAssertEqual(entry.startOffsetMs, 0)
        XCTAssertEqual(entry.tracks.map(\.sid), ["TR_a"])

        egress.roomClosed(roomSid: room.sid)
        XCTAssertTrue(recording.stop())
        waitUntil("the room recording is complete") { egress.roomManifest(roomSid: room.sid) == nil }
        let written = try RoomManifest.decode(try Data(contentsOf: directory.appendingPathComponent("recordings/\(manifest.file)")))
        XCTAssertEqual(written.status, .complete)
        entry = try XCTUnwrap(written.participants.first)
        XCTAssertEqual(entry.status, "complete")
        XCTAssertEqual(Double(entry.durationMs ?? 0), 3_000, accuracy: 100)
        await rooms.stop()
        await egress.shutdown()
    }

    func testRecoveryMarksAManifestLeftRecordingAsRecovered() throws {
        let store = try SwitchboardStore.inMemory()
        let paths = try RecordingPaths(root: directory.path)
        let id = SwitchboardStore.newRecordingID()
        try store.insertRecording(RecordingRecord(id: id, roomName: "r1", kind: .participant, codec: "vp8+opus",
                                                  filePath: "r1-alice.webm", status: .active))
        _ = try store.finishRecording(id: id, outcome: RecordingOutcome(status: .complete, durationMilliseconds: 4_000, bytes: 10))
        var manifest = RoomManifest(roomName: "r1", roomSid: "RM_x", startedAt: Date())
        manifest.participants = [.init(egressId: id, identity: "alice", file: "r1-alice.webm", status: "active",
                                       startUnixNs: 1_700_000_000_000_000_000)]
        try manifest.encoded().write(to: directory.appendingPathComponent("r1-RM_x.json"))
        // A write the crash interrupted, and a manifest that had completed.
        try Data("{\"trunc".utf8).write(to: directory.appendingPathComponent("r1-RM_x.json.tmp"))
        var done = manifest
        done.status = .complete
        try done.encoded().write(to: directory.appendingPathComponent("r1-RM_y.json"))

        let report = RecordingRecovery.run(store: store, paths: paths, logger: logger)
        XCTAssertEqual(report.manifests, ["r1-RM_x.json"])
        let recovered = try RoomManifest.decode(try Data(contentsOf: directory.appendingPathComponent("r1-RM_x.json")))
        XCTAssertEqual(recovered.status, .recovered)
        XCTAssertNotNil(recovered.endedAtUnixMs)
        XCTAssertEqual(recovered.participants.first?.status, "complete")
        XCTAssertEqual(recovered.participants.first?.durationMs, 4_000)
        XCTAssertEqual(recovered.participants.first?.startOffsetMs, 0)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted(), ["r1-RM_x.json", "r1-RM_y.json"])
    }
}
