import Foundation
import GRDB
import XCTest
@testable import Store

final class SwitchboardStoreTests: XCTestCase {
    private var dir: URL!
    private let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    override func setUpWithError() throws {
        dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("switchboard-store-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: dir)
    }

    private func open() throws -> SwitchboardStore { try SwitchboardStore(dataDirectory: dir) }
    private var dbPath: String { dir.appendingPathComponent(SwitchboardStore.fileName).path }

    private func assertStoreError(
        _ expression: @autoclosure () throws -> some Any, _ expected: StoreError,
        file: StaticString = #filePath, line: UInt = #line
    ) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? StoreError, expected, "got \(error)", file: file, line: line)
        }
    }

    // MARK: Opening, migrations, pragmas

    func testMigrationsApplyOnceAndAreIdempotentOnReopen() throws {
        var store: SwitchboardStore? = try open()
        XCTAssertEqual(try store!.appliedMigrations(), ["v1", "v2", "v3", "v4"])
        XCTAssertEqual(store!.path, dbPath)
        XCTAssertTrue(FileManager.default.fileExists(atPath: dbPath))
        try store!.close()
        store = nil

        for _ in 0..<2 {
            let reopened = try open()
            XCTAssertEqual(try reopened.appliedMigrations(), ["v1", "v2", "v3", "v4"])
            let (migrationRows, tables) = try reopened.writer.read { db in
                (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM grdb_migrations")!,
                 try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type IN ('table','view') AND name NOT LIKE 'sqlite_%' ORDER BY name"))
            }
            XCTAssertEqual(migrationRows, 4)
            XCTAssertEqual(tables, ["chat_attachment", "chat_message", "chat_receipt", "grdb_migrations", "participant_session", "participant_session_report", "recording", "room",
                                    "webhook_outbox"])
            try reopened.close()
        }
    }

    func testWALModeAndConnectionPragmas() throws {
        let store = try open()
        let (journal, fk, sync, busy) = try store.writer.write { db in
            (try String.fetchOne(db, sql: "PRAGMA journal_mode")!,
             try Int.fetchOne(db, sql: "PRAGMA foreign_keys")!,
             try Int.fetchOne(db, sql: "PRAGMA synchronous")!,
             try Int.fetchOne(db, sql: "PRAGMA busy_timeout")!)
        }
        XCTAssertEqual(journal, "wal")
        XCTAssertEqual(fk, 1)
        XCTAssertEqual(sync, 1, "synchronous should be NORMAL (1)")
        XCTAssertEqual(busy, 5000)
        // Reader connections too (GRDB picks their busy timeout itself).
        let readerSync = try store.writer.read { db in try Int.fetchOne(db, sql: "PRAGMA synchronous")! }
        XCTAssertEqual(readerSync, 1)
    }

    func testCreatesMissingDataDirectory() throws {
        let nested = dir.appendingPathComponent("a/b/c", isDirectory: true)
        let store = try SwitchboardStore(dataDirectory: nested)
        XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4"])
        XCTAssertTrue(FileManager.default.fileExists(atPath: nested.appendingPathComponent("switchboard.sqlite").path))
    }

    func testSchemaFromNewerBuildIsRefused() throws {
        var store: SwitchboardStore? = try open()
        try store!.writer.write { db in try db.execute(sql: "INSERT INTO grdb_migrations VALUES ('v999')") }
        try store!.close()
        store = nil
        assertStoreError(try open(), .schemaTooNew(path: dbPath, unknownMigrations: ["v999"]))
    }

    // MARK: Bad files

    func testNonSQLiteFileGivesNotADatabase() throws {
        var garbage = [UInt8](repeating: 0, count: 8192)
        for i in garbage.indices { garbage[i] = UInt8.random(in: 0...255) }
        try Data(garbage).write(to: URL(fileURLWithPath: dbPath))
        XCTAssertThrowsError(try open()) { error in
            guard let storeError = error as? StoreError else { return XCTFail("not a StoreError: \(error)") }
            XCTAssertEqual(storeError, .notADatabase(path: dbPath))
            XCTAssertTrue(storeError.description.contains("not an SQLite database"), storeError.description)
        }
    }

    func testTextFileGivesNotADatabase() throws {
        try String(repeating: "this is a log file, not a database\n", count: 200)
            .write(toFile: dbPath, atomically: true, encoding: .utf8)
        assertStoreError(try open(), .notADatabase(path: dbPath))
    }

    func testCorruptedSQLiteFileGivesStoreError() throws {
        // A real database whose schema pages are overwritten: header intact, content garbage.
        var store: SwitchboardStore? = try open()
        for i in 0..<50 { try store!.createRoom(name: "room-\(i)", at: t0) }
        try store!.close()
        store = nil
        // close() checkpoints, so everything is in the main file and the WAL is empty.
        let walSize = try FileManager.default.attributesOfItem(atPath: dbPath + "-wal")[.size] as? Int
        XCTAssertEqual(walSize ?? 0, 0)
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: dbPath))
        try handle.seek(toOffset: 100)  // keep the 100-byte header, clobber the rest of page 1
        handle.write(Data(repeating: 0xA5, count: 4000))
        try handle.close()
        XCTAssertThrowsError(try open().listOpenRooms()) { error in
            guard let storeError = error as? StoreError else { return XCTFail("not a StoreError: \(error)") }
            switch storeError {
            case .corrupt, .notADatabase: break
            default: XCTFail("unexpected \(storeError)")
            }
        }
    }

    func testDataDirectoryThatIsAFileGivesOpenFailed() throws {
        let file = dir.appendingPathComponent("not-a-dir")
        try Data("x".utf8).write(to: file)
        XCTAssertThrowsError(try SwitchboardStore(dataDirectory: file)) { error in
            guard case .openFailed? = error as? StoreError else { return XCTFail("got \(error)") }
        }
    }

    // MARK: Rooms

    func testCreateCloseAndRecreateRoomWithSameName() throws {
        let store = try open()
        let first = try store.createRoom(name: "standup", emptyTimeout: 600, departureTimeout: 30,
                                         maxParticipants: 10, metadata: #"{"topic":"daily"}"#, at: t0)
        XCTAssertTrue(SIDs.isValid(first.sid, prefix: "RM_"))
        XCTAssertEqual(first.createdAt, t0)
        XCTAssertEqual(try store.room(sid: first.sid), first)
        XCTAssertEqual(try store.openRoom(named: "standup"), first)

        assertStoreError(try store.createRoom(name: "standup"), .roomNameInUse(name: "standup"))

        let closed = try store.closeRoom(sid: first.sid, reason: StoreReason.roomDeleted, at: t0 + 3600)
        XCTAssertFalse(closed.isOpen)
        XCTAssertEqual(closed.closeReason, "room_deleted")
        XCTAssertEqual(closed.duration, 3600)
        XCTAssertNil(try store.openRoom(named: "standup"))
        assertStoreError(try store.closeRoom(sid: first.sid, reason: "again"), .roomClosed(sid: first.sid))
        assertStoreError(try store.updateRoomMetadata(sid: first.sid, metadata: "x"), .roomClosed(sid: first.sid))

        let second = try store.createRoom(name: "standup", creationReason: StoreReason.createdOnJoin, at: t0 + 7200)
        XCTAssertNotEqual(second.sid, first.sid)
        XCTAssertEqual(try store.openRoom(named: "standup")?.sid, second.sid)
        XCTAssertEqual(try store.rooms(named: "standup").map(\.sid), [first.sid, second.sid])
        XCTAssertEqual(try store.listOpenRooms().map(\.sid), [second.sid])

        let updated = try store.updateRoomMetadata(sid: second.sid, metadata: "new")
        XCTAssertEqual(updated.metadata, "new")
        XCTAssertEqual(try store.room(sid: second.sid)?.metadata, "new")

        assertStoreError(try store.closeRoom(sid: "RM_doesnotexist", reason: "x"), .roomNotFound(sid: "RM_doesnotexist"))
        assertStoreError(try store.createRoom(name: ""), .invalidArgument("room name must not be empty"))
        XCTAssertThrowsError(try store.createRoom(name: "bad", sid: "XX_123"))
    }

    func testListOpenRooms() throws {
        let store = try open()
        let a = try store.createRoom(name: "a", at: t0)
        let b = try store.createRoom(name: "b", at: t0 + 1)
        let c = try store.createRoom(name: "c", at: t0 + 2)
        try store.closeRoom(sid: b.sid, reason: StoreReason.emptyTimeout, at: t0 + 10)
        XCTAssertEqual(try store.listOpenRooms().map(\.sid), [a.sid, c.sid])
    }

    // MARK: Sessions

    func testJoinsAndLeavesAreRecordedAndQueryable() throws {
        let store = try open()
        let room = try store.createRoom(name: "town-hall", at: t0)
        let other = try store.createRoom(name: "side-room", at: t0)
        let info = ClientInfo(sdk: "js", version: "2.5.1", protocol: 15, os: "macOS", osVersion: "14.4",
                              browser: "Chrome", browserVersion: "124")

        let alice = try store.recordJoin(roomSid: room.sid, identity: "alice", name: "Alice",
                                         metadata: #"{"role":"host"}"#, clientInfo: info, at: t0 + 5)
        let bob = try store.recordJoin(roomSid: room.sid, identity: "bob", at: t0 + 10)
        let aliceElsewhere = try store.recordJoin(roomSid: other.sid, identity: "alice", at: t0 + 20)
        XCTAssertTrue(SIDs.isValid(alice.sid, prefix: "PA_"))
        XCTAssertTrue(alice.isActive)
        XCTAssertEqual(alice.clientInfo, info)
        XCTAssertEqual(try store.session(sid: alice.sid), alice)

        let left = try store.recordLeave(sid: alice.sid, reason: StoreReason.clientInitiated, at: t0 + 65)
        XCTAssertEqual(left.leftAt, t0 + 65)
        XCTAssertEqual(left.leaveReason, "client_initiated")
        XCTAssertEqual(left.duration, 60)
        assertStoreError(try store.recordLeave(sid: alice.sid, reason: "x"), .sessionAlreadyEnded(sid: alice.sid))
        assertStoreError(try store.recordLeave(sid: "PA_nope", reason: "x"), .sessionNotFound(sid: "PA_nope"))

        XCTAssertEqual(try store.sessions(roomSid: room.sid).map(\.sid), [alice.sid, bob.sid])
        XCTAssertEqual(try store.activeSessions(roomSid: room.sid).map(\.sid), [bob.sid])
        XCTAssertEqual(try store.sessions(identity: "alice").map(\.sid), [alice.sid, aliceElsewhere.sid])
        XCTAssertEqual(try store.sessions(identity: "alice").map(\.roomSid), [room.sid, other.sid])

        // Closing the room ends the sessions still in it.
        try store.closeRoom(sid: room.sid, reason: StoreReason.roomDeleted, at: t0 + 100)
        let bobAfter = try XCTUnwrap(try store.session(sid: bob.sid))
        XCTAssertEqual(bobAfter.leaveReason, StoreReason.roomClosed)
        XCTAssertEqual(bobAfter.duration, 90)
        XCTAssertTrue(try store.activeSessions(roomSid: room.sid).isEmpty)
        XCTAssertTrue(try store.session(sid: aliceElsewhere.sid)!.isActive, "other rooms are untouched")

        assertStoreError(try store.recordJoin(roomSid: room.sid, identity: "carol"), .roomClosed(sid: room.sid))
        assertStoreError(try store.recordJoin(roomSid: "RM_missing", identity: "carol"), .roomNotFound(sid: "RM_missing"))

        // The operator view: who was in the room, how long, why they left, with which SDK.
        let rows = try store.writer.read { db in
            try Row.fetchAll(db, sql: """
                SELECT identity, room_name, leave_reason, duration_seconds, sdk, os
                FROM participant_session_report WHERE room_sid = ? ORDER BY joined_at
                """, arguments: [room.sid])
        }
        XCTAssertEqual(rows.count, 2)
        XCTAssertEqual(rows[0]["identity"], "alice")
        XCTAssertEqual(rows[0]["room_name"], "town-hall")
        XCTAssertEqual(rows[0]["leave_reason"], "client_initiated")
        XCTAssertEqual(try XCTUnwrap(rows[0]["duration_seconds"] as Double?), 60, accuracy: 0.01)
        XCTAssertEqual(rows[0]["sdk"], "js")
        XCTAssertEqual(rows[0]["os"], "macOS")
        XCTAssertEqual(try XCTUnwrap(rows[1]["duration_seconds"] as Double?), 90, accuracy: 0.01)
    }

    func testDuplicateIdentityEndsTheOlderSession() throws {
        let store = try open()
        let room = try store.createRoom(name: "r", at: t0)
        let first = try store.recordJoin(roomSid: room.sid, identity: "alice", at: t0 + 1)
        let second = try store.recordJoin(roomSid: room.sid, identity: "alice", at: t0 + 30)
        let firstAfter = try XCTUnwrap(try store.session(sid: first.sid))
        XCTAssertEqual(firstAfter.leaveReason, StoreReason.duplicateIdentity)
        XCTAssertEqual(firstAfter.leftAt, t0 + 30)
        XCTAssertEqual(try store.activeSessions(roomSid: room.sid).map(\.sid), [second.sid])
    }

    func testMaxParticipantsIsEnforced() throws {
        let store = try open()
        let room = try store.createRoom(name: "small", maxParticipants: 2, at: t0)
        let a = try store.recordJoin(roomSid: room.sid, identity: "a", at: t0)
        try store.recordJoin(roomSid: room.sid, identity: "b", at: t0)
        assertStoreError(try store.recordJoin(roomSid: room.sid, identity: "c", at: t0),
                         .roomFull(sid: room.sid, maxParticipants: 2))
        // Reconnecting an identity already inside does not count twice.
        try store.recordJoin(roomSid: room.sid, identity: "b", at: t0 + 1)
        try store.recordLeave(sid: a.sid, reason: StoreReason.clientInitiated, at: t0 + 2)
        try store.recordJoin(roomSid: room.sid, identity: "c", at: t0 + 3)
        XCTAssertEqual(try store.activeSessions(roomSid: room.sid).map(\.identity), ["b", "c"])
    }

    /// The journal's write-only variants store what `recordJoin`/`recordLeave` store, with the
    /// same checks.
    func testAppendJoinAndLeaveMatchTheRecordingVariants() throws {
        let store = try open()
        let room = try store.createRoom(name: "r", maxParticipants: 1, at: t0)
        let info = ClientInfo(sdk: "python", version: "1.0.1", protocol: 16, address: "127.0.0.1")
        let sid = SIDs.participant()
        try store.appendJoin(roomSid: room.sid, identity: "alice", name: "Alice", metadata: "{}",
                             clientInfo: info, sid: sid, at: t0 + 1)
        let session = try XCTUnwrap(try store.session(sid: sid))
        XCTAssertEqual(session, ParticipantSessionRecord(sid: sid, roomSid: room.sid, identity: "alice", name: "Alice",
                                                         metadata: "{}", joinedAt: t0 + 1, clientInfo: info))
        assertStoreError(try store.appendJoin(roomSid: room.sid, identity: "bob", name: "", metadata: "",
                                              clientInfo: nil, sid: SIDs.participant()),
                         .roomFull(sid: room.sid, maxParticipants: 1))
        assertStoreError(try store.appendJoin(roomSid: room.sid, identity: "alice", name: "", metadata: "",
                                              clientInfo: nil, sid: sid),
                         .duplicateSid(sid: sid))
        assertStoreError(try store.appendJoin(roomSid: "RM_000000000000", identity: "x", name: "", metadata: "",
                                              clientInfo: nil, sid: SIDs.participant()),
                         .roomNotFound(sid: "RM_000000000000"))
        // A leave before the join time is clamped to it; a second leave is refused.
        try store.appendLeave(sid: sid, reason: StoreReason.clientInitiated, at: t0)
        let ended = try XCTUnwrap(try store.session(sid: sid))
        XCTAssertEqual(ended.leftAt, t0 + 1)
        XCTAssertEqual(ended.leaveReason, StoreReason.clientInitiated)
        assertStoreError(try store.appendLeave(sid: sid, reason: "again"), .sessionAlreadyEnded(sid: sid))
        assertStoreError(try store.appendLeave(sid: "PA_000000000000", reason: "x"),
                         .sessionNotFound(sid: "PA_000000000000"))
    }

    /// A join's "who is still here" queries use the partial index of open sessions, so a room with a long
    /// history does not make every join scan all the sessions it ever had.
    func testOpenSessionQueriesUseThePartialIndex() throws {
        let store = try open()
        let room = try store.createRoom(name: "busy", maxParticipants: 100, at: t0)
        for i in 0..<50 {
            let s = try store.recordJoin(roomSid: room.sid, identity: "p\(i)", at: t0 + Double(i))
            try store.recordLeave(sid: s.sid, reason: StoreReason.clientInitiated, at: t0 + Double(i) + 0.5)
        }
        let plans = try store.writer.read { db -> [String] in
            let queries: [(String, StatementArguments)] = [
                ("UPDATE participant_session SET left_at = ? WHERE room_sid = ? AND identity = ? AND left_at IS NULL",
                 ["x", room.sid, "p1"]),
                ("SELECT COUNT(*) FROM participant_session WHERE room_sid = ? AND left_at IS NULL AND identity <> ?",
                 [room.sid, "p1"]),
            ]
            return try queries.map { sql, arguments in
                try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN " + sql, arguments: arguments)
                    .map { $0["detail"] as String }.joined(separator: "; ")
            }
        }
        for plan in plans {
            XCTAssertTrue(plan.contains("participant_session_active"), plan)
        }
        try store.recordJoin(roomSid: room.sid, identity: "p1", at: t0 + 100)
        XCTAssertEqual(try store.activeSessions(roomSid: room.sid).map(\.identity), ["p1"])
    }

    func testLeaveBeforeJoinIsClampedNotRejected() throws {
        let store = try open()
        let room = try store.createRoom(name: "r", at: t0)
        let s = try store.recordJoin(roomSid: room.sid, identity: "a", at: t0 + 10)
        let left = try store.recordLeave(sid: s.sid, reason: StoreReason.signalClosed, at: t0 + 5)  // clock stepped back
        XCTAssertEqual(left.leftAt, t0 + 10)
        XCTAssertEqual(left.duration, 0)
    }

    // MARK: Persistence and recovery

    func testDataSurvivesClosingAndReopening() throws {
        var store: SwitchboardStore? = try open()
        let room = try store!.createRoom(name: "persist", metadata: "m", at: t0)
        let closedRoom = try store!.createRoom(name: "old", at: t0)
        let info = ClientInfo(sdk: "swift", version: "2.0.0", os: "iOS")
        let s1 = try store!.recordJoin(roomSid: room.sid, identity: "alice", clientInfo: info, at: t0 + 1)
        let s2 = try store!.recordJoin(roomSid: room.sid, identity: "bob", at: t0 + 2)
        let s3 = try store!.recordLeave(sid: s2.sid, reason: StoreReason.participantRemoved, at: t0 + 3)
        let closed = try store!.closeRoom(sid: closedRoom.sid, reason: StoreReason.emptyTimeout, at: t0 + 300)
        try store!.close()
        assertStoreError(try store!.listOpenRooms(), .closed)
        store = nil

        let reopened = try open()
        XCTAssertEqual(try reopened.room(sid: room.sid), room)
        XCTAssertEqual(try reopened.room(sid: closedRoom.sid), closed)
        XCTAssertEqual(try reopened.listOpenRooms(), [room])
        XCTAssertEqual(try reopened.sessions(roomSid: room.sid), [s1, s3])
        XCTAssertEqual(try reopened.session(sid: s1.sid)?.clientInfo, info)
    }

    func testMarkUnfinishedClosedClosesLeftoversFromACrash() throws {
        var store: SwitchboardStore? = try open()
        let r1 = try store!.createRoom(name: "r1", at: t0)
        let r2 = try store!.createRoom(name: "r2", at: t0)
        let done = try store!.createRoom(name: "done", at: t0)
        let a = try store!.recordJoin(roomSid: r1.sid, identity: "a", at: t0 + 1)
        let b = try store!.recordJoin(roomSid: r1.sid, identity: "b", at: t0 + 2)
        let c = try store!.recordJoin(roomSid: r2.sid, identity: "c", at: t0 + 3)
        try store!.recordLeave(sid: b.sid, reason: StoreReason.clientInitiated, at: t0 + 4)
        try store!.closeRoom(sid: done.sid, reason: StoreReason.roomDeleted, at: t0 + 5)
        store = nil  // "crash": the process goes away without closing anything

        let restarted = try open()
        let restartTime = t0 + 1000
        let report = try restarted.markUnfinishedClosed(at: restartTime)
        XCTAssertEqual(report, RecoveryReport(roomsClosed: 2, sessionsClosed: 2))
        XCTAssertTrue(try restarted.listOpenRooms().isEmpty)
        for sid in [r1.sid, r2.sid] {
            let room = try XCTUnwrap(try restarted.room(sid: sid))
            XCTAssertEqual(room.closeReason, "server_restart")
            XCTAssertEqual(room.closedAt, restartTime)
        }
        for sid in [a.sid, c.sid] {
            let s = try XCTUnwrap(try restarted.session(sid: sid))
            XCTAssertEqual(s.leaveReason, "server_restart")
            XCTAssertEqual(s.leftAt, restartTime)
        }
        XCTAssertEqual(try restarted.session(sid: b.sid)?.leaveReason, "client_initiated", "ended sessions untouched")
        XCTAssertEqual(try restarted.room(sid: done.sid)?.closeReason, "room_deleted", "closed rooms untouched")

        XCTAssertEqual(try restarted.markUnfinishedClosed(at: restartTime + 1), RecoveryReport(roomsClosed: 0, sessionsClosed: 0))
        // The names are free again.
        XCTAssertNotEqual(try restarted.createRoom(name: "r1", at: restartTime).sid, r1.sid)
    }

    func testPurgeClosedRoomsCascadesToSessions() throws {
        let store = try open()
        let old = try store.createRoom(name: "old", at: t0)
        let keep = try store.createRoom(name: "keep", at: t0)
        try store.recordJoin(roomSid: old.sid, identity: "a", at: t0)
        try store.recordJoin(roomSid: keep.sid, identity: "a", at: t0)
        try store.closeRoom(sid: old.sid, reason: StoreReason.emptyTimeout, at: t0 + 10)
        XCTAssertEqual(try store.purgeClosedRooms(closedBefore: t0 + 100), 1)
        XCTAssertNil(try store.room(sid: old.sid))
        XCTAssertTrue(try store.sessions(roomSid: old.sid).isEmpty)
        XCTAssertEqual(try store.sessions(identity: "a").map(\.roomSid), [keep.sid])
    }

    // MARK: Concurrency

    func testConcurrentJoinsFromManyTasksAllLand() async throws {
        let store = try open()
        let t0 = self.t0
        let rooms = try (0..<4).map { try store.createRoom(name: "load-\($0)", at: t0) }
        let tasks = 8, perTask = 200
        try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<tasks {
                group.addTask {
                    var sids: [String] = []
                    for i in 0..<perTask {
                        let room = rooms[(task + i) % rooms.count]
                        let s = try store.recordJoin(roomSid: room.sid, identity: "user-\(task)-\(i)",
                                                     at: t0 + Double(i))
                        sids.append(s.sid)
                        if i % 3 == 0 {
                            try store.recordLeave(sid: s.sid, reason: StoreReason.clientInitiated, at: t0 + Double(i) + 1)
                        }
                        if i % 50 == 0 { _ = try store.listOpenRooms() }  // readers alongside the writer
                    }
                    return Set(sids).count
                }
            }
            var total = 0
            for try await n in group { total += n }
            XCTAssertEqual(total, tasks * perTask)
        }
        let all = try rooms.flatMap { try store.sessions(roomSid: $0.sid) }
        XCTAssertEqual(all.count, tasks * perTask)
        XCTAssertEqual(Set(all.map(\.sid)).count, tasks * perTask)
        XCTAssertEqual(all.filter { !$0.isActive }.count, tasks * ((perTask + 2) / 3))
    }

    // MARK: Misc

    func testInMemoryStore() throws {
        let store = try SwitchboardStore.inMemory()
        XCTAssertEqual(store.path, ":memory:")
        let room = try store.createRoom(name: "mem", at: t0)
        let s = try store.recordJoin(roomSid: room.sid, identity: "x", at: t0)
        XCTAssertEqual(try store.sessions(roomSid: room.sid), [s])
        XCTAssertEqual(try store.appliedMigrations(), ["v1", "v2", "v3", "v4"])
    }

    func testSIDs() {
        for (make, prefix) in [(SIDs.room, "RM_"), (SIDs.participant, "PA_"), (SIDs.track, "TR_")] {
            let sids = (0..<1000).map { _ in make() }
            XCTAssertEqual(Set(sids).count, 1000)
            for sid in sids {
                XCTAssertEqual(sid.count, 15)
                XCTAssertTrue(SIDs.isValid(sid, prefix: prefix), sid)
            }
        }
        XCTAssertFalse(SIDs.isValid("RM_short", prefix: "RM_"))
        XCTAssertFalse(SIDs.isValid("RM_abc-def_ghij", prefix: "RM_"))
        XCTAssertFalse(SIDs.isValid("PA_abcdefghijkl", prefix: "RM_"))
    }

    func testErrorDescriptionsAreReadable() {
        XCTAssertEqual(StoreError.roomNameInUse(name: "x").description, "an open room named \"x\" already exists")
        XCTAssertEqual(StoreError.roomClosed(sid: "RM_1").localizedDescription, "room RM_1 is closed")
    }
}
