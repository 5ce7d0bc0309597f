import Foundation
import GRDB

/// One chat message of a room (`chat_message`).
public struct ChatMessageRecord: Codable, Hashable, Sendable, FetchableRecord, MutablePersistableRecord {
    public static let databaseTableName = "chat_message"

    public enum Format: String, Codable, Hashable, Sendable {
        /// LiveKit's ChatMessage DataPacket.
        case chatMessage = "chat_message"
        /// A text stream on the `lk.chat` topic.
        case textStream = "text_stream"
    }

    /// Insertion order. Nil before insert.
    public var seq: Int64?
    public var room: String
    public var id: String
    public var senderIdentity: String
    public var senderSid: String
    public var format: Format
    public var message: String
    public var sentAt: Date
    public var editedAt: Date?
    public var deletedAt: Date?

    public init(room: String, id: String, senderIdentity: String, senderSid: String, format: Format, message: String,
                sentAt: Date, editedAt: Date? = nil, deletedAt: Date? = nil) {
        self.room = room
        self.id = id
        self.senderIdentity = senderIdentity
        self.senderSid = senderSid
        self.format = format
        self.message = message
        self.sentAt = sentAt
        self.editedAt = editedAt
        self.deletedAt = deletedAt
    }

    public var isDeleted: Bool { deletedAt != nil }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case seq, room, id, format, message
        case senderIdentity = "sender_identity"
        case senderSid = "sender_sid"
        case sentAt = "sent_at"
        case editedAt = "edited_at"
        case deletedAt = "deleted_at"
    }
    public typealias Columns = CodingKeys

    public mutating func didInsert(_ inserted: InsertionSuccess) { seq = inserted.rowID }
}

/// How far one participant has read a room's chat (`chat_receipt`).
public struct ChatReceiptRecord: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chat_receipt"

    public var room: String
    public var identity: String
    public var messageID: String
    public var readAt: Date

    public init(room: String, identity: String, messageID: String, readAt: Date) {
        self.room = room
        self.identity = identity
        self.messageID = messageID
        self.readAt = readAt
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case room, identity
        case messageID = "message_id"
        case readAt = "read_at"
    }
    public typealias Columns = CodingKeys
}

/// A file sent to a room's chat (`chat_attachment`).
public struct ChatAttachmentRecord: Codable, Hashable, Sendable, FetchableRecord, PersistableRecord {
    public static let databaseTableName = "chat_attachment"

    public var room: String
    /// The byte stream's id.
    public var id: String
    public var senderIdentity: String
    public var name: String
    public var mimeType: String
    public var size: Int
    /// Where the bytes are, relative to the attachments directory.
    public var path: String
    public var sentAt: Date

    public init(room: String, id: String, senderIdentity: String, name: String, mimeType: String, size: Int,
                path: String, sentAt: Date) {
        self.room = room
        self.id = id
        self.senderIdentity = senderIdentity
        self.name = name
        self.mimeType = mimeType
        self.size = size
        self.path = path
        self.sentAt = sentAt
    }

    public enum CodingKeys: String, CodingKey, ColumnExpression, Sendable {
        case room, id, name, size, path
        case senderIdentity = "sender_identity"
        case mimeType = "mime_type"
        case sentAt = "sent_at"
    }
    public typealias Columns = CodingKeys
}

extension SwitchboardStore {
    /// Inserts the row; false (nothing changed) if the room already has an attachment with that
    /// id: a later stream with the same id never replaces a file.
    @discardableResult
    public func saveChatAttachment(_ attachment: ChatAttachmentRecord) throws(StoreError) -> Bool {
        try write { db in
            try attachment.insert(db, onConflict: .ignore)
            return db.changesCount > 0
        }
    }

    /// Bytes of all the room's kept attachments.
    public func chatAttachmentBytes(room: String) throws(StoreError) -> Int {
        try read { db in
            try Int.fetchOne(db, sql: "SELECT COALESCE(SUM(size), 0) FROM chat_attachment WHERE room = ?", arguments: [room]) ?? 0
        }
    }

    public func chatAttachment(room: String, id: String) throws(StoreError) -> ChatAttachmentRecord? {
        try read { db in
            try ChatAttachmentRecord.filter(ChatAttachmentRecord.Columns.room == room && ChatAttachmentRecord.Columns.id == id)
                .fetchOne(db)
        }
    }

    public func chatAttachments(room: String) throws(StoreError) -> [ChatAttachmentRecord] {
        try read { db in
            try ChatAttachmentRecord.filter(ChatAttachmentRecord.Columns.room == room)
                .order(ChatAttachmentRecord.Columns.sentAt).fetchAll(db)
        }
    }

    /// Inserts a new message, or replaces the text of an existing one (same room and id) as an
    /// edit, if it is the same sender's and not deleted. Returns the row as stored.
    @discardableResult
    public func saveChatMessage(_ message: ChatMessageRecord) throws(StoreError) -> ChatMessageRecord {
        try write { db in
            if var existing = try ChatMessageRecord
                .filter(ChatMessageRecord.Columns.room == message.room && ChatMessageRecord.Columns.id == message.id)
                .fetchOne(db) {
                guard existing.senderIdentity == message.senderIdentity, !existing.isDeleted else { return existing }
                existing.message = message.message
                existing.editedAt = message.editedAt ?? message.sentAt
                existing.deletedAt = message.deletedAt
                try existing.update(db)
                return existing
            }
            var row = message
            try row.insert(db)
            return row
        }
    }

    /// Marks messages deleted (their text cleared); nil ids: all of the room's; `sender`: only
    /// that identity's. Returns the rows as they were before.
    @discardableResult
    public func deleteChatMessages(room: String, ids: [String]? = nil, sender: String? = nil,
                                   at date: Date = Date()) throws(StoreError) -> [ChatMessageRecord] {
        try write { db in
            var request = ChatMessageRecord.filter(ChatMessageRecord.Columns.room == room && ChatMessageRecord.Columns.deletedAt == nil)
            if let ids { request = request.filter(ids.contains(ChatMessageRecord.Columns.id)) }
            if let sender { request = request.filter(ChatMessageRecord.Columns.senderIdentity == sender) }
            let rows = try request.fetchAll(db)
            for var row in rows {
                row.message = ""
                row.deletedAt = date
                try row.update(db)
            }
            return rows
        }
    }

    /// The room's newest `limit` messages (deleted ones included, as tombstones), oldest first;
    /// `before`: only messages inserted before that `seq` (paging back).
    public func chatMessages(room: String, limit: Int, before: Int64? = nil) throws(StoreError) -> [ChatMessageRecord] {
        try read { db in
            var request = ChatMessageRecord.filter(ChatMessageRecord.Columns.room == room)
            if let before { request = request.filter(ChatMessageRecord.Columns.seq < before) }
            return try request.order(ChatMessageRecord.Columns.seq.desc).limit(max(0, limit)).fetchAll(db).reversed()
        }
    }

    public func saveChatReceipt(_ receipt: ChatReceiptRecord) throws(StoreError) {
        try write { db in try receipt.save(db) }
    }

    public func chatReceipts(room: String) throws(StoreError) -> [ChatReceiptRecord] {
        try read { db in
            try ChatReceiptRecord.filter(ChatReceiptRecord.Columns.room == room)
                .order(ChatReceiptRecord.Columns.identity).fetchAll(db)
        }
    }
}
