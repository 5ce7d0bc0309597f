import Foundation
import GRDB

/// The embedded store for rooms and participant sessions, so history survives a restart.
///
/// On disk it is one SQLite file, `<dataDirectory>/switchboard.sqlite`, opened as a GRDB
/// `DatabasePool`: WAL journal (readers never block the writer), `synchronous=NORMAL`,
/// foreign keys on, and a busy timeout for other processes (an operator's `sqlite3` shell).
///
/// All calls are synchronous and thread-safe: reads run concurrently, writes are serialized by
/// GRDB and each runs in its own `BEGIN IMMEDIATE` transaction. Every error is a `StoreError`.
/// Calls block the calling thread for the duration of one small transaction; from async code
/// that is acceptable for this write rate (joins/leaves), or wrap calls in a dedicated executor.
public final class SwitchboardStore: Sendable {
    /// The database file name inside the data directory.
    public static let fileName = "switchboard.sqlite"

    public struct Options: Sendable {
        /// How long a statement waits on a lock held by another connection/process before
        /// failing with `StoreError.busy`.
        public var busyTimeout: TimeInterval
        /// Concurrent reader connections (DatabasePool only).
        public var maximumReaderCount: Int

        public init(busyTimeout: TimeInterval = 5, maximumReaderCount: Int = 4) {
            self.busyTimeout = busyTimeout
            self.maximumReaderCount = maximumReaderCount
        }
    }

    /// Path of the database file, or ":memory:" for `inMemory()`.
    public let path: String
    let writer: any DatabaseWriter

    // MARK: - Opening

    /// Opens (creating if needed) `<dataDirectory>/switchboard.sqlite` and migrates it.
    public convenience init(dataDirectory: URL, options: Options = Options()) throws(StoreError) {
        let dir = dataDirectory.path
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: dir, isDirectory: &isDirectory) {
            guard isDirectory.boolValue else {
                throw .openFailed(path: dir, reason: "data directory path exists and is not a directory")
            }
        } else {
            do {
                try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
            } catch {
                throw .openFailed(path: dir, reason: "cannot create data directory: \(error.localizedDescription)")
            }
        }
        try self.init(databasePath: dataDirectory.appendingPathComponent(Self.fileName).path, options: options)
    }

    /// Opens (creating if needed) the database file at `databasePath` and migrates it.
    public convenience init(databasePath: String, options: Options = Options()) throws(StoreError) {
        var isDirectory: ObjCBool = false
        if FileManager.default.fileExists(atPath: databasePath, isDirectory: &isDirectory), isDirectory.boolValue {
            throw .openFailed(path: databasePath, reason: "path is a directory")
        }
        let pool: DatabasePool
        do {
            pool = try DatabasePool(path: databasePath, configuration: Self.configuration(options))
        } catch {
            throw StoreError.from(error, path: databasePath)
        }
        try self.init(writer: pool, path: databasePath)
    }

    /// A private in-memory store (tests, `--dev` without persistence). Gone when released.
    public static func inMemory() throws(StoreError) -> SwitchboardStore {
        let queue: DatabaseQueue
        do {
            queue = try DatabaseQueue(configuration: configuration(Options()))
        } catch {
            throw StoreError.from(error, path: ":memory:")
        }
        return try SwitchboardStore(writer: queue, path: ":memory:")
    }

    private init(writer: any DatabaseWriter, path: String) throws(StoreError) {
        self.writer = writer
        self.path = path
        try migrate()
    }

    private static func configuration(_ options: Options) -> Configuration {
        var config = Configuration()
        config.label = "switchboard.store"
        config.foreignKeysEnabled = true
        config.busyMode = .timeout(options.busyTimeout)
        config.maximumReaderCount = max(1, options.maximumReaderCount)
        config.prepareDatabase { db in
            // Safe in WAL mode (no corruption on power loss, only the last commits may be lost),
            // and no fsync per commit.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        return config
    }

    private func migrate() throws(StoreError) {
        let migrator = Schema.migrator
        do {
            let applied = try writer.read { db in try migrator.appliedIdentifiers(db) }
            let unknown = applied.subtracting(Schema.knownMigrations).sorted()
            if !unknown.isEmpty {
                throw StoreError.schemaTooNew(path: path, unknownMigrations: unknown)
            }
            try migrator.migrate(writer)
        } catch let error as StoreError {
            throw error
        } catch let error as DatabaseError {
            switch error.resultCode {
            case .SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_BUSY, .SQLITE_LOCKED, .SQLITE_CANTOPEN, .SQLITE_PERM:
                throw StoreError.from(error, path: path)
            default:
                throw .migrationFailed(migration: nil, reason: error.description)
            }
        } catch {
            throw .migrationFailed(migration: nil, reason: String(describing: error))
        }
    }

    /// Checkpoints the WAL into the main file (so `switchboard.sqlite` alone is a complete copy)
    /// and closes the database connections. Further calls throw `StoreError.closed`.
    /// Releasing the last reference also closes the connections, without the checkpoint.
    public func close() throws(StoreError) {
        if writer is DatabasePool {
            // Best effort: a long-running reader elsewhere may prevent a full checkpoint.
            _ = try? writer.writeWithoutTransaction { db in try db.checkpoint(.truncate) }
        }
        do { try writer.close() } catch { throw StoreError.from(error, path: path) }
    }

    /// Whether the database answers a trivial query (`/readyz`); false once closed.
    public var isOpen: Bool { (try? read { db in try Int.fetchOne(db, sql: "SELECT 1") }) == 1 }

    /// Identifiers of applied schema migrations, oldest first.
    public func appliedMigrations() throws(StoreError) -> [String] {
        try read { db in try Schema.migrator.completedMigrations(db) }
    }

    // MARK: - Rooms

    /// Creates an open room. Throws `roomNameInUse` if an open room already has this name.
    /// Defaults follow LiveKit: `emptyTimeout` 300 s, `departureTimeout` 20 s, no participant limit.
    @discardableResult
    public func createRoom(
        name: String,
        emptyTimeout: Int = 300,
        departureTimeout: Int = 20,
        maxParticipants: Int = 0,
        metadata: String = "",
        creationReason: String = StoreReason.createdByAPI,
        sid: String? = nil,
        at date: Date = Date()
    ) throws(StoreError) -> RoomRecord {
        guard !name.isEmpty else { throw .invalidArgument("room name must not be empty") }
        guard emptyTimeout >= 0, departureTimeout >= 0, maxParticipants >= 0 else {
            throw .invalidArgument("emptyTimeout, departureTimeout and maxParticipants must be >= 0")
        }
        let sid = sid ?? SIDs.room()
        guard SIDs.isValid(sid, prefix: SIDs.roomPrefix) else {
            throw .invalidArgument("room sid \"\(sid)\" is not RM_ + 12 base62 characters")
        }
        let room = RoomRecord(sid: sid, name: name, createdAt: date, emptyTimeout: emptyTimeout,
                              departureTimeout: departureTimeout, maxParticipants: maxParticipants,
                              metadata: metadata, creationReason: creationReason)
        return try write { db in
            if try Self.openRoom(db, named: name) != nil { throw StoreError.roomNameInUse(name: name) }
            do {
                try room.insert(db)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
                if error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY { throw StoreError.duplicateSid(sid: sid) }
                if error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE { throw StoreError.roomNameInUse(name: name) }
                throw error
            }
            // Re-read so the returned value is exactly what a later fetch returns
            // (timestamps are stored with millisecond precision).
            return try RoomRecord.fetchOne(db, key: sid)!
        }
    }

    /// Closes an open room and ends its active sessions (leave reason `room_closed`) in the
    /// same transaction. Throws `roomNotFound`, or `roomClosed` if it was already closed.
    /// A close time earlier than the creation time (clock step) is clamped to the creation time.
    @discardableResult
    public func closeRoom(sid: String, reason: String, at date: Date = Date()) throws(StoreError) -> RoomRecord {
        try write { db in
            guard var room = try RoomRecord.fetchOne(db, key: sid) else { throw StoreError.roomNotFound(sid: sid) }
            guard room.isOpen else { throw StoreError.roomClosed(sid: sid) }
            let closedAt = max(date, room.createdAt)
            try db.execute(
                sql: """
                    UPDATE participant_session SET left_at = MAX(joined_at, ?), leave_reason = ?
                    WHERE room_sid = ? AND left_at IS NULL
                    """,
                arguments: [closedAt, StoreReason.roomClosed, sid])
            room.closedAt = closedAt
            room.closeReason = reason
            try room.update(db)
            return try RoomRecord.fetchOne(db, key: sid)!
        }
    }

    /// The open room with this name, if any.
    public func openRoom(named name: String) throws(StoreError) -> RoomRecord? {
        try read { db in try Self.openRoom(db, named: name) }
    }

    /// A room by sid, open or closed.
    public func room(sid: String) throws(StoreError) -> RoomRecord? {
        try read { db in try RoomRecord.fetchOne(db, key: sid) }
    }

    /// Open rooms, oldest first.
    public func listOpenRooms() throws(StoreError) -> [RoomRecord] {
        try read { db in
            try RoomRecord.filter(RoomRecord.Columns.closedAt == nil)
                .order(RoomRecord.Columns.createdAt, RoomRecord.Columns.sid)
                .fetchAll(db)
        }
    }

    /// Every room (open or closed) that ever had this name, oldest first.
    public func rooms(named name: String) throws(StoreError) -> [RoomRecord] {
        try read { db in
            try RoomRecord.filter(RoomRecord.Columns.name == name)
                .order(RoomRecord.Columns.createdAt, RoomRecord.Columns.sid)
                .fetchAll(db)
        }
    }

    /// Replaces the metadata of an open room.
    @discardableResult
    public func updateRoomMetadata(sid: String, metadata: String) throws(StoreError) -> RoomRecord {
        try write { db in
            guard var room = try RoomRecord.fetchOne(db, key: sid) else { throw StoreError.roomNotFound(sid: sid) }
            guard room.isOpen else { throw StoreError.roomClosed(sid: sid) }
            room.metadata = metadata
            try room.update(db)
            return room
        }
    }

    /// Deletes rooms closed before `date`, with their sessions (retention). Returns the
    /// number of rooms deleted. Open rooms are never deleted.
    @discardableResult
    public func purgeClosedRooms(closedBefore date: Date) throws(StoreError) -> Int {
        try write { db in
            try RoomRecord
                .filter(RoomRecord.Columns.closedAt != nil && RoomRecord.Columns.closedAt < date)
                .deleteAll(db)
        }
    }

    // MARK: - Participant sessions

    /// Records a participant joining an open room and returns the new session.
    ///
    /// - If the identity already has an active session in this room, that session is ended
    ///   with reason `duplicate_identity` at `date` (LiveKit replaces the older connection).
    /// - If the room has `maxParticipants > 0` active sessions (not counting the replaced
    ///   one), throws `roomFull`.
    /// - Throws `roomNotFound` / `roomClosed` for a missing or closed room.
    @discardableResult
    public func recordJoin(
        roomSid: String,
        identity: String,
        name: String = "",
        metadata: String = "",
        clientInfo: ClientInfo? = nil,
        sid: String? = nil,
        at date: Date = Date()
    ) throws(StoreError) -> ParticipantSessionRecord {
        let sid = sid ?? SIDs.participant()
        return try write { db in
            try Self.insertJoin(db, roomSid: roomSid, identity: identity, name: name, metadata: metadata,
                                clientInfo: clientInfo, sid: sid, at: date)
            return try ParticipantSessionRecord.fetchOne(db, key: sid)!
        }
    }

    /// `recordJoin` for a caller that does not need the row back (the session journal, once
    /// per join): the same checks and writes, no read-back.
    public func appendJoin(roomSid: String, identity: String, name: String, metadata: String,
                           clientInfo: ClientInfo?, sid: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try Self.insertJoin(db, roomSid: roomSid, identity: identity, name: name, metadata: metadata,
                                clientInfo: clientInfo, sid: sid, at: date)
        }
    }

    /// Plain cached statements rather than GRDB's record types: this runs for every join, and
    /// decoding whole records through Codable was most of its cost.
    private static func insertJoin(_ db: Database, roomSid: String, identity: String, name: String, metadata: String,
                                   clientInfo: ClientInfo?, sid: String, at date: Date) throws {
        guard !identity.isEmpty else { throw StoreError.invalidArgument("participant identity must not be empty") }
        guard SIDs.isValid(sid, prefix: SIDs.participantPrefix) else {
            throw StoreError.invalidArgument("participant sid \"\(sid)\" is not PA_ + 12 base62 characters")
        }
        guard let room = try Row.fetchOne(
            db.cachedStatement(sql: "SELECT closed_at IS NULL AS open, max_participants FROM room WHERE sid = ?"),
            arguments: [roomSid]) else {
            throw StoreError.roomNotFound(sid: roomSid)
        }
        guard room["open"] as Bool else { throw StoreError.roomClosed(sid: roomSid) }
        let maxParticipants: Int = room["max_participants"]
        if maxParticipants > 0 {
            let others = try Int.fetchOne(db.cachedStatement(sql: """
                SELECT COUNT(*) FROM participant_session
                WHERE room_sid = ? AND left_at IS NULL AND identity <> ?
                """), arguments: [roomSid, identity]) ?? 0
            if others >= maxParticipants {
                throw StoreError.roomFull(sid: roomSid, maxParticipants: maxParticipants)
            }
        }
        try db.cachedStatement(sql: """
            UPDATE participant_session SET left_at = MAX(joined_at, ?), leave_reason = ?
            WHERE room_sid = ? AND identity = ? AND left_at IS NULL
            """).execute(arguments: [date, StoreReason.duplicateIdentity, roomSid, identity])
        let clientJSON = try clientInfo.map { info in
            // As GRDB stores a Codable column (sorted keys), so rows read the same either way.
            let encoder = JSONEncoder()
            encoder.outputFormatting = .sortedKeys
            return String(decoding: try encoder.encode(info), as: UTF8.self)
        }
        do {
            try db.cachedStatement(sql: """
                INSERT INTO participant_session (sid, room_sid, identity, name, metadata, joined_at, client_info)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                """).execute(arguments: [sid, roomSid, identity, name, metadata, date, clientJSON])
        } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
            throw StoreError.duplicateSid(sid: sid)
        }
    }

    /// Records a participant leaving. Throws `sessionNotFound`, or `sessionAlreadyEnded` if
    /// it already has a leave time (e.g. it was replaced or its room closed).
    /// A leave time earlier than the join time (clock step) is clamped to the join time.
    @discardableResult
    public func recordLeave(sid: String, reason: String, at date: Date = Date()) throws(StoreError) -> ParticipantSessionRecord {
        try write { db in
            try Self.endSession(db, sid: sid, reason: reason, at: date)
            return try ParticipantSessionRecord.fetchOne(db, key: sid)!
        }
    }

    /// `recordLeave` without reading the row back (the session journal).
    public func appendLeave(sid: String, reason: String, at date: Date = Date()) throws(StoreError) {
        try write { db in try Self.endSession(db, sid: sid, reason: reason, at: date) }
    }

    private static func endSession(_ db: Database, sid: String, reason: String, at date: Date) throws {
        try db.cachedStatement(sql: """
            UPDATE participant_session SET left_at = MAX(joined_at, ?), leave_reason = ?
            WHERE sid = ? AND left_at IS NULL
            """).execute(arguments: [date, reason, sid])
        guard db.changesCount == 0 else { return }
        let exists = try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM participant_session WHERE sid = ?"),
                                       arguments: [sid]) ?? false
        throw exists ? StoreError.sessionAlreadyEnded(sid: sid) : StoreError.sessionNotFound(sid: sid)
    }

    /// A session by sid.
    public func session(sid: String) throws(StoreError) -> ParticipantSessionRecord? {
        try read { db in try ParticipantSessionRecord.fetchOne(db, key: sid) }
    }

    /// Every session of a room (who was there, how long, why they left), in join order.
    public func sessions(roomSid: String) throws(StoreError) -> [ParticipantSessionRecord] {
        try read { db in
            try ParticipantSessionRecord.filter(ParticipantSessionRecord.Columns.roomSid == roomSid)
                .order(ParticipantSessionRecord.Columns.joinedAt, ParticipantSessionRecord.Columns.sid)
                .fetchAll(db)
        }
    }

    /// Every session of an identity across rooms, in join order.
    public func sessions(identity: String) throws(StoreError) -> [ParticipantSessionRecord] {
        try read { db in
            try ParticipantSessionRecord.filter(ParticipantSessionRecord.Columns.identity == identity)
                .order(ParticipantSessionRecord.Columns.joinedAt, ParticipantSessionRecord.Columns.sid)
                .fetchAll(db)
        }
    }

    /// Sessions of a room that have not ended, in join order.
    public func activeSessions(roomSid: String) throws(StoreError) -> [ParticipantSessionRecord] {
        try read { db in
            try ParticipantSessionRecord
                .filter(ParticipantSessionRecord.Columns.roomSid == roomSid
                        && ParticipantSessionRecord.Columns.leftAt == nil)
                .order(ParticipantSessionRecord.Columns.joinedAt, ParticipantSessionRecord.Columns.sid)
                .fetchAll(db)
        }
    }

    // MARK: - Crash recovery

    /// Run once at start-up, before serving: closes every room and session still open in the
    /// database, which can only be leftovers of a previous process that died without closing
    /// them. Times before the row's own start are clamped to it.
    @discardableResult
    public func markUnfinishedClosed(at date: Date = Date(), reason: String = StoreReason.serverRestart)
        throws(StoreError) -> RecoveryReport
    {
        try write { db in
            try db.execute(
                sql: """
                    UPDATE participant_session SET left_at = MAX(joined_at, ?), leave_reason = ?
                    WHERE left_at IS NULL
                    """,
                arguments: [date, reason])
            let sessions = db.changesCount
            try db.execute(
                sql: "UPDATE room SET closed_at = MAX(created_at, ?), close_reason = ? WHERE closed_at IS NULL",
                arguments: [date, reason])
            return RecoveryReport(roomsClosed: db.changesCount, sessionsClosed: sessions)
        }
    }

    // MARK: - Plumbing

    private static func openRoom(_ db: Database, named name: String) throws -> RoomRecord? {
        try RoomRecord
            .filter(RoomRecord.Columns.name == name && RoomRecord.Columns.closedAt == nil)
            .fetchOne(db)
    }

    /// One `BEGIN IMMEDIATE` transaction: takes the write lock up front, so a concurrent writer
    /// in another process makes us wait (busy timeout) instead of failing mid-transaction.
    func write<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.writeWithoutTransaction { db in
                var result: T?
                try db.inTransaction(.immediate) {
                    result = try body(db)
                    return .commit
                }
                return result!
            }
        } catch {
            throw StoreError.from(error, path: path)
        }
    }

    func read<T>(_ body: (Database) throws -> T) throws(StoreError) -> T {
        do {
            return try writer.read(body)
        } catch {
            throw StoreError.from(error, path: path)
        }
    }
}

extension Schema {
    static let knownMigrations: Set<String> = [v1, v2, v3, v4]
}
