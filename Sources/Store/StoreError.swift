import Foundation
import GRDB

/// Every error thrown by `SwitchboardStore`. GRDB/SQLite errors never escape raw: they are
/// mapped here so callers can switch on a small, stable set of cases.
public enum StoreError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The data directory could not be created, or the database file could not be opened.
    case openFailed(path: String, reason: String)
    /// The file at `path` exists but is not an SQLite database (SQLITE_NOTADB).
    case notADatabase(path: String)
    /// The database file is damaged (SQLITE_CORRUPT).
    case corrupt(path: String, reason: String)
    /// The database was written by a newer Switchboard (it has migrations this build does not know).
    case schemaTooNew(path: String, unknownMigrations: [String])
    /// A schema migration failed; the database was left at its previous version.
    case migrationFailed(migration: String?, reason: String)
    /// Another open room already uses this name.
    case roomNameInUse(name: String)
    case roomNotFound(sid: String)
    /// The room is closed; it cannot be changed or joined.
    case roomClosed(sid: String)
    /// The room has `maxParticipants` active sessions already.
    case roomFull(sid: String, maxParticipants: Int)
    case sessionNotFound(sid: String)
    /// The session already has a `left_at`.
    case sessionAlreadyEnded(sid: String)
    /// A sid (room or participant) that is already taken.
    case duplicateSid(sid: String)
    case invalidArgument(String)
    /// The database stayed locked by another connection/process beyond the busy timeout.
    case busy(reason: String)
    /// The store was closed with `close()`.
    case closed
    /// Any other SQLite failure (I/O error, disk full, ...).
    case database(code: Int32, message: String)

    public var description: String {
        switch self {
        case let .openFailed(path, reason):
            return "cannot open store at \(path): \(reason)"
        case let .notADatabase(path):
            return "\(path) is not an SQLite database (move it aside or point the data directory elsewhere)"
        case let .corrupt(path, reason):
            return "database \(path) is corrupt: \(reason)"
        case let .schemaTooNew(path, unknown):
            return "database \(path) was written by a newer Switchboard (unknown migrations: \(unknown.joined(separator: ", ")))"
        case let .migrationFailed(migration, reason):
            return "schema migration \(migration ?? "?") failed: \(reason)"
        case let .roomNameInUse(name):
            return "an open room named \"\(name)\" already exists"
        case let .roomNotFound(sid):
            return "room \(sid) not found"
        case let .roomClosed(sid):
            return "room \(sid) is closed"
        case let .roomFull(sid, max):
            return "room \(sid) is full (max \(max) participants)"
        case let .sessionNotFound(sid):
            return "participant session \(sid) not found"
        case let .sessionAlreadyEnded(sid):
            return "participant session \(sid) has already ended"
        case let .duplicateSid(sid):
            return "sid \(sid) is already in use"
        case let .invalidArgument(message):
            return "invalid argument: \(message)"
        case let .busy(reason):
            return "database is busy: \(reason)"
        case .closed:
            return "the store is closed"
        case let .database(code, message):
            return "database error \(code): \(message)"
        }
    }
}

extension StoreError: LocalizedError {
    public var errorDescription: String? { description }
}

extension StoreError {
    /// Maps any error raised by GRDB/SQLite (or by our own transaction bodies) to a `StoreError`.
    static func from(_ error: any Error, path: String) -> StoreError {
        if let storeError = error as? StoreError { return storeError }
        guard let dbError = error as? DatabaseError else {
            return .database(code: -1, message: String(describing: error))
        }
        let message = dbError.message ?? "\(dbError.resultCode)"
        switch dbError.resultCode {
        case .SQLITE_NOTADB:
            return .notADatabase(path: path)
        case .SQLITE_CORRUPT:
            return .corrupt(path: path, reason: message)
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_AUTH:
            return .openFailed(path: path, reason: message)
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return .busy(reason: message)
        case .SQLITE_MISUSE where message.contains("closed"):
            return .closed
        default:
            return .database(code: dbError.extendedResultCode.rawValue, message: message)
        }
    }
}
