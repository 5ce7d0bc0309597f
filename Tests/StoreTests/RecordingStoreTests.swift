import Foundation
import GRDB
import XCTest
@testable import Store

/// The `recording` table (migration v2): a database written before it gains the table on
/// open, rows go through their statuses, queries filter like ListEgress, and unfinished rows
/// are what crash recovery sees.
final class RecordingStoreTests: XCTestCase {
    private var dir: URL!
    private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchboard-recording-store-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func record(_ room: String = "r1", file: String? = nil, kind: RecordingRecord.Kind = .track,
                        at date: Date? = nil) -> RecordingRecord {
        let id = SwitchboardStore.newRecordingID()
        return RecordingRecord(id: id, roomName: room, roomSid: "RM_abcdefghijkl", participantIdentity: "alice", kind: kind,
                               codec: kind == .track ? "opus" : "vp8+opus", filePath: file ?? "\(id).ogg",
                               startedAt: date ?? t0, request: Data([1, 2, 3]))
    }

    func testDatabaseFromBeforeRecordingsIsMigratedKeepingItsRows() throws {
        // A v1-only database with a room, as the previous release wrote it.
        let path = dir.appendingPathComponent(SwitchboardStore.fileName).path
        do {
            let queue = try DatabaseQueue(path: path)
            try Schema.migrator.migrate(queue, upTo: "v1")
            try queue.write { db in
                try db.execute(sql: """
                    INSERT INTO room (sid, name, created_at, metadata, creation_reason)
                    VALUES ('RM_abcdefghijkl', 'old', '2024-01-01 00:00:00.000', '', 'api')
                    """)
            }
            try queue.close()
        }
        let store = try SwitchboardStore(dataDirectory: dir)
        XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4"])
        XCTAssertEqual(try store.room(sid: "RM_abcdefghijkl")?.name, "old")
        XCTAssertEqual(try store.recordings(), [])
        try store.insertRecording(record())
        XCTAssertEqual(try store.recordings().count, 1)
        try store.close()
    }

    func testLifecycleFromStartingToComplete() throws {
        let store = try SwitchboardStore.inMemory()
        let new = record()
        let inserted = try store.insertRecording(new)
        XCTAssertEqual(inserted.status, .starting)
        XCTAssertEqual(inserted.tracks, [])
        XCTAssertEqual(inserted.request, Data([1, 2, 3]))

        try store.updateRecording(id: new.id, status: .active, tracks: ["TR_one"])
        try store.updateRecording(id: new.id, tracks: ["TR_one", "TR_two"])
        XCTAssertEqual(try store.recording(id: new.id)?.status, .active)
        XCTAssertEqual(try store.recording(id: new.id)?.tracks, ["TR_one", "TR_two"])
        try store.updateRecording(id: new.id, status: .ending)

        let done = try store.finishRecording(id: new.id, outcome: RecordingOutcome(
            status: .complete, durationMilliseconds: 10_020, bytes: 123_456), at: t0.addingTimeInterval(10.5))
        XCTAssertEqual(done.status, .complete)
        XCTAssertEqual(done.durationMilliseconds, 10_020)
        XCTAssertEqual(done.bytes, 123_456)
        XCTAssertEqual(done.endedAt, t0.addingTimeInterval(10.5))
        XCTAssertNil(done.error)

        // A finished row no longer changes status (a late writer callback after a failure).
        try store.updateRecording(id: new.id, status: .active)
        XCTAssertEqual(try store.recording(id: new.id)?.status, .complete)
        XCTAssertThrowsError(try store.updateRecording(id: new.id, status: .complete))
        XCTAssertThrowsError(try store.finishRecording(id: new.id, outcome: RecordingOutcome(status: .active)))
    }

    func testEndBeforeStartIsClampedAndFailuresKeepTheirError() throws {
        let store = try SwitchboardStore.inMemory()
        let new = try store.insertRecording(record())
        let failed = try store.finishRecording(id: new.id, outcome: RecordingOutcome(status: .failed, error: "disk full"),
                                               at: t0.addingTimeInterval(-60))
        XCTAssertEqual(failed.endedAt, t0)
        XCTAssertEqual(failed.error, "disk full")
    }

    func testQueriesFilterByRoomIdAndUnfinished() throws {
        let store = try SwitchboardStore.inMemory()
        let a = try store.insertRecording(record("r1", at: t0))
        let b = try store.insertRecording(record("r2", at: t0.addingTimeInterval(1)))
        let c = try store.insertRecording(record("r1", kind: .participant, at: t0.addingTimeInterval(2)))
        try store.finishRecording(id: a.id, outcome: RecordingOutcome(status: .complete, durationMilliseconds: 1))
        try store.updateRecording(id: c.id, status: .active)

        XCTAssertEqual(try store.recordings().map(\.id), [a.id, b.id, c.id])
        XCTAssertEqual(try store.recordings(RecordingQuery(roomName: "r1")).map(\.id), [a.id, c.id])
        XCTAssertEqual(try store.recordings(RecordingQuery(id: b.id)).map(\.id), [b.id])
        XCTAssertEqual(try store.recordings(RecordingQuery(roomName: "r1", unfinishedOnly: true)).map(\.id), [c.id])
        XCTAssertEqual(try store.unfinishedRecordings().map(\.id), [b.id, c.id])
    }

    func testInvalidRowsAreRefused() throws {
        let store = try SwitchboardStore.inMemory()
        var bad = record()
        bad.id = "XX_abcdefghijkl"
        XCTAssertThrowsError(try store.insertRecording(bad))
        let first = try store.insertRecording(record(file: "same.ogg"))
        XCTAssertThrowsError(try store.insertRecording(record(file: "same.ogg")), "one recording per file")
        var duplicate = record()
        duplicate.id = first.id
        XCTAssertThrowsError(try store.insertRecording(duplicate)) { error in
            XCTAssertEqual(error as? StoreError, .duplicateSid(sid: first.id))
        }
        // The CHECK constraints hold for writes that bypass the API too.
        XCTAssertThrowsError(try store.writer.write { db in
            try db.execute(sql: "UPDATE recording SET status = 'paused' WHERE id = ?", arguments: [first.id])
        })
    }

    func testRowsSurviveReopening() throws {
        var store: SwitchboardStore? = try SwitchboardStore(dataDirectory: dir)
        let new = try store!.insertRecording(record())
        try store!.updateRecording(id: new.id, status: .active, tracks: ["TR_x"])
        try store!.close()
        store = nil
        let reopened = try SwitchboardStore(dataDirectory: dir)
        XCTAssertEqual(try reopened.unfinishedRecordings().map(\.id), [new.id])
        XCTAssertEqual(try reopened.recording(id: new.id)?.tracks, ["TR_x"])
        try reopened.close()
    }
}
