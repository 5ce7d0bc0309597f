import Foundation
import GRDB

/// Recording metadata: one row per egress, written at each status change (a handful of writes
/// per recording, never per packet).
extension SwitchboardStore {
    public static let recordingIDPrefix = "EG_"

    /// A new egress id, e.g. `EG_x3Bf9QkL0aZp`.
    public static func newRecordingID() -> String { SIDs.make(prefix: recordingIDPrefix) }

    /// Inserts a new recording row. Throws `duplicateSid` for a taken id and `invalidArgument`
    /// for a file path another recording already uses.
    @discardableResult
    public func insertRecording(_ record: RecordingRecord) throws(StoreError) -> RecordingRecord {
        guard SIDs.isValid(record.id, prefix: Self.recordingIDPrefix) else {
            throw .invalidArgument("recording id \"\(record.id)\" is not EG_ + 12 base62 characters")
        }
        guard !record.filePath.isEmpty else { throw .invalidArgument("recording file path must not be empty") }
        let id = record.id
        return try write { db in
            do {
                try record.insert(db)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_PRIMARYKEY {
                throw StoreError.duplicateSid(sid: id)
            } catch let error as DatabaseError where error.extendedResultCode == .SQLITE_CONSTRAINT_UNIQUE {
                throw StoreError.invalidArgument("file \(record.filePath) belongs to another recording")
            }
            return try RecordingRecord.fetchOne(db, key: id)!
        }
    }

    /// Sets a running recording's status (`active`, `ending`) and/or its track list. A
    /// finished recording is left as it is (a late change after a failure is ignored).
    @discardableResult
    public func updateRecording(id: String, status: RecordingRecord.Status? = nil, tracks: [String]? = nil)
        throws(StoreError) -> RecordingRecord
    {
        if let status, !status.isUnfinished {
            throw .invalidArgument("updateRecording sets starting, active or ending; finishRecording ends a recording")
        }
        return try write { db in
            guard var record = try RecordingRecord.fetchOne(db, key: id) else {
                throw StoreError.invalidArgument("recording \(id) not found")
            }
            guard record.status.isUnfinished else { return record }
            if let status { record.status = status }
            if let tracks { record.tracks = tracks }
            try record.update(db)
            return record
        }
    }

    /// Records how a recording ended (complete, failed, recovered). An end time before the
    /// start (clock step) is clamped to the start.
    @discardableResult
    public func finishRecording(id: String, outcome: RecordingOutcome, at date: Date = Date())
        throws(StoreError) -> RecordingRecord
    {
        guard !outcome.status.isUnfinished else {
            throw .invalidArgument("finishRecording needs complete, failed or recovered, not \(outcome.status.rawValue)")
        }
        return try write { db in
            guard var record = try RecordingRecord.fetchOne(db, key: id) else {
                throw StoreError.invalidArgument("recording \(id) not found")
            }
            record.status = outcome.status
            record.endedAt = max(date, record.startedAt)
            record.durationMilliseconds = outcome.durationMilliseconds
            record.bytes = outcome.bytes
            record.error = outcome.error
            try record.update(db)
            return try RecordingRecord.fetchOne(db, key: id)!
        }
    }

    /// One recording by id.
    public func recording(id: String) throws(StoreError) -> RecordingRecord? {
        try read { db in try RecordingRecord.fetchOne(db, key: id) }
    }

    /// Recordings matching `query`, oldest first.
    public func recordings(_ query: RecordingQuery = RecordingQuery()) throws(StoreError) -> [RecordingRecord] {
        try read { db in
            var request = RecordingRecord.all()
            if let room = query.roomName, !room.isEmpty { request = request.filter(RecordingRecord.Columns.roomName == room) }
            if let id = query.id, !id.isEmpty { request = request.filter(RecordingRecord.Columns.id == id) }
            if query.unfinishedOnly {
                let unfinished = RecordingRecord.Status.allCases.filter(\.isUnfinished).map(\.rawValue)
                request = request.filter(unfinished.contains(RecordingRecord.Columns.status))
            }
            return try request.order(RecordingRecord.Columns.startedAt, RecordingRecord.Columns.id).fetchAll(db)
        }
    }

    /// Recordings a previous process left running (crash, kill -9): what start-up repairs.
    public func unfinishedRecordings() throws(StoreError) -> [RecordingRecord] {
        try recordings(RecordingQuery(unfinishedOnly: true))
    }
}
