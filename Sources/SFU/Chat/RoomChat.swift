import Foundation
import LiveKitProtocol
import Store

/// The chat of one room, as the server keeps it: LiveKit ChatMessage packets and text streams
/// on the `lk.chat` topic become messages (new, edited, deleted), user packets on
/// `lk.chat.read` become read receipts. Keeps the newest messages for late joiners; the store
/// keeps everything. Pure state (the room actor owns it and writes the changes to the store).
struct RoomChat {
    static let topic = "lk.chat"
    /// A user packet on this topic marks messages read up to its payload, a message id.
    static let receiptTopic = "lk.chat.read"
    /// Text of one message, at most.
    static let maxMessageBytes = 64 * 1024
    /// Text streams being received at once in a room, at most; the oldest is dropped beyond it.
    static let maxPendingStreams = 64
    /// A file sent on the chat topic (a byte stream) is kept up to this size.
    static let maxAttachmentBytes = 8 << 20
    /// Files being received at once in a room, at most; more are not kept.
    static let maxPendingFiles = 4

    enum Change: Equatable {
        case save(ChatMessageRecord)
        /// Deleted by its sender (nil: by the server, whoever sent it).
        case delete(id: String, sender: String?, at: Date)
        case receipt(ChatReceiptRecord)
        /// A whole, checked file (path not yet set: the journal writes the bytes).
        case attachment(ChatAttachmentRecord, [UInt8])
    }

    private struct PendingFile {
        let senderIdentity: String
        let name: String
        let mimeType: String
        let startedAt: Date
        let compressed: Bool
        var bytes: [UInt8] = []
        var tooLarge = false
    }

    private struct PendingStream {
        let senderIdentity: String
        let senderSid: String
        let operation: Livekit_DataStream.OperationType
        let startedAt: Date
        /// DEFLATE_RAW: the chunks together are one raw DEFLATE stream.
        let compressed: Bool
        var text: [UInt8] = []
        var tooLarge = false
    }

    let room: String
    let historyLimit: Int
    /// Newest last, at most `historyLimit`, deleted ones removed.
    private(set) var recent: [ChatMessageRecord]
    private(set) var receipts: [String: ChatReceiptRecord]
    private var pending: [String: PendingStream] = [:]
    private var pendingOrder: [String] = []
    private var files: [String: PendingFile] = [:]
    private var filesOrder: [String] = []

    init(room: String, historyLimit: Int, recent: [ChatMessageRecord], receipts: [ChatReceiptRecord]) {
        self.room = room
        self.historyLimit = historyLimit
        self.recent = Array(recent.filter { !$0.isDeleted }.suffix(historyLimit))
        self.receipts = Dictionary(receipts.map { ($0.identity, $0) }, uniquingKeysWith: { _, b in b })
    }

    /// What `packet` (already stamped with its real sender) changes in the chat.
    mutating func observe(_ packet: Livekit_DataPacket, now: Date = Date()) -> [Change] {
        let sender = packet.participantIdentity, senderSid = packet.participantSid
        switch packet.value {
        case .chatMessage(let chat)?:
            guard !chat.id.isEmpty, chat.id.utf8.count <= 256, chat.message.utf8.count <= Self.maxMessageBytes else { return [] }
            if chat.deleted { return delete(id: chat.id, sender: sender, at: now) }
            let sentAt = chat.timestamp > 0 ? Date(timeIntervalSince1970: Double(chat.timestamp) / 1000) : now
            return save(ChatMessageRecord(room: room, id: chat.id, senderIdentity: sender, senderSid: senderSid,
                                          format: .chatMessage, message: chat.message, sentAt: sentAt,
                                          editedAt: chat.editTimestamp > 0 ? Date(timeIntervalSince1970: Double(chat.editTimestamp) / 1000) : nil))
        case .streamHeader(let header)? where header.topic == Self.topic:
            guard case .byteHeader(let file)? = header.contentHeader else { return beginText(header, sender, senderSid, now) }
            guard !header.streamID.isEmpty, file.name.utf8.count <= 256, header.streamID.utf8.count <= 256, files[header.streamID] == nil,
                  pending[header.streamID] == nil, header.totalLength <= UInt64(Self.maxAttachmentBytes),
                  header.compression == .none || header.compression == .deflateRaw else { return [] }
            var pendingFile = PendingFile(senderIdentity: sender, name: file.name, mimeType: header.mimeType,
                                          startedAt: header.timestamp > 0 ? Date(timeIntervalSince1970: Double(header.timestamp) / 1000) : now,
                                          compressed: header.compression == .deflateRaw)
            if header.hasInlineContent {
                pendingFile.bytes = Array(header.inlineContent.prefix(Self.maxAttachmentBytes + 1))
                pendingFile.tooLarge = pendingFile.bytes.count > Self.maxAttachmentBytes
                return finishFile(header.streamID, pendingFile)
            }
            // A file whose trailer never comes does not hold its slot forever: the oldest goes.
            if files.count >= Self.maxPendingFiles, let oldest = filesOrder.first {
                files[oldest] = nil
                filesOrder.removeFirst()
            }
            files[header.streamID] = pendingFile
            filesOrder.append(header.streamID)
            return []
        default:
            return observeOther(packet, now: now)
        }
    }

    private mutating func beginText(_ header: Livekit_DataStream.Header, _ sender: String, _ senderSid: String,
                                    _ now: Date) -> [Change] {
        // A stream id already being received is not taken over (nor queued twice).
        guard case .textHeader(let text)? = header.contentHeader, pending[header.streamID] == nil, files[header.streamID] == nil,
              !header.streamID.isEmpty, header.streamID.utf8.count <= 256 else { return [] }
        if pending.count >= Self.maxPendingStreams, let oldest = pendingOrder.first {
            pending[oldest] = nil
            pendingOrder.removeFirst()
        }
        let startedAt = header.timestamp > 0 ? Date(timeIntervalSince1970: Double(header.timestamp) / 1000) : now
        guard header.compression == .none || header.compression == .deflateRaw else { return [] }
        var stream = PendingStream(senderIdentity: sender, senderSid: senderSid, operation: text.operationType,
                                   startedAt: startedAt, compressed: header.compression == .deflateRaw)
        // A short text comes whole in the header: no chunks, no trailer.
        if header.hasInlineContent {
            stream.text = Array(header.inlineContent.prefix(Self.maxMessageBytes + 1))
            stream.tooLarge = stream.text.count > Self.maxMessageBytes
            return finish(header.streamID, stream, now: now)
        }
        pending[header.streamID] = stream
        pendingOrder.append(header.streamID)
        return []
    }

    /// What a packet other than a chat stream header changes.
    private mutating func observeOther(_ packet: Livekit_DataPacket, now: Date) -> [Change] {
        let sender = packet.participantIdentity
        switch packet.value {
        case .streamChunk(let chunk)? where files[chunk.streamID] != nil:
            // Taken out of the map while it grows, so its buffer is never shared (no copy per chunk).
            guard files[chunk.streamID]?.senderIdentity == sender, var file = files.removeValue(forKey: chunk.streamID) else { return [] }
            if file.tooLarge || file.bytes.count + chunk.content.count > Self.maxAttachmentBytes {
                file.tooLarge = true
                file.bytes = []
            } else {
                file.bytes += chunk.content
            }
            files[chunk.streamID] = file
            return []
        case .streamTrailer(let trailer)? where files[trailer.streamID] != nil:
            guard let file = files[trailer.streamID], file.senderIdentity == sender else { return [] }
            files[trailer.streamID] = nil
            filesOrder.removeAll { $0 == trailer.streamID }
            return finishFile(trailer.streamID, file)
        case .streamChunk(let chunk)?:
            guard pending[chunk.streamID]?.senderIdentity == sender, var stream = pending.removeValue(forKey: chunk.streamID) else { return [] }
            if stream.text.count + chunk.content.count > Self.maxMessageBytes {
                stream.tooLarge = true
                stream.text = []
            } else if !stream.tooLarge {
                stream.text += chunk.content
            }
            pending[chunk.streamID] = stream
            return []
        case .streamTrailer(let trailer)?:
            guard let stream = pending[trailer.streamID], stream.senderIdentity == sender else { return [] }
            pending[trailer.streamID] = nil
            pendingOrder.removeAll { $0 == trailer.streamID }
            return finish(trailer.streamID, stream, now: now)
        case .user(let user)? where user.topic == Self.receiptTopic:
            guard let id = String(validating: user.payload, as: UTF8.self), !id.isEmpty, id.utf8.count <= 256 else { return [] }
            let receipt = ChatReceiptRecord(room: room, identity: sender, messageID: id, readAt: now)
            receipts[sender] = receipt
            return [.receipt(receipt)]
        default:
            return []
        }
    }

    /// A whole file: kept if it is what it claims to be and not too large.
    private func finishFile(_ id: String, _ file: PendingFile) -> [Change] {
        guard !file.tooLarge else { return [] }
        var bytes = file.bytes
        if file.compressed {
            guard let inflated = RawInflate.inflate(bytes, limit: Self.maxAttachmentBytes) else { return [] }
            bytes = inflated
        }
        guard let mimeType = AttachmentContent.check(mimeType: file.mimeType, bytes) else { return [] }
        let record = ChatAttachmentRecord(room: room, id: id, senderIdentity: file.senderIdentity, name: file.name,
                                          mimeType: mimeType, size: bytes.count, path: "", sentAt: file.startedAt)
        return [.attachment(record, bytes)]
    }

    /// A whole text stream: a message created, edited or deleted.
    private mutating func finish(_ id: String, _ stream: PendingStream, now: Date) -> [Change] {
        guard !stream.tooLarge else { return [] }
        var bytes = stream.text
        if stream.compressed {
            guard let inflated = RawInflate.inflate(bytes, limit: Self.maxMessageBytes) else { return [] }
            bytes = inflated
        }
        switch stream.operation {
        case .delete:
            return delete(id: id, sender: stream.senderIdentity, at: now)
        case .create, .update:
            let edit = stream.operation == .update
            return save(ChatMessageRecord(room: room, id: id, senderIdentity: stream.senderIdentity, senderSid: stream.senderSid,
                                          format: .textStream, message: String(decoding: bytes, as: UTF8.self),
                                          sentAt: stream.startedAt, editedAt: edit ? now : nil))
        case .reaction, .UNRECOGNIZED:
            return []
        }
    }

    /// The server removes messages (admin API); nil: all.
    mutating func deleteByServer(ids: [String]?, at date: Date = Date()) {
        if let ids { recent.removeAll { ids.contains($0.id) } } else { recent.removeAll() }
    }

    private mutating func save(_ message: ChatMessageRecord) -> [Change] {
        if let i = recent.firstIndex(where: { $0.id == message.id }) {
            // An edit: only by its sender.
            guard recent[i].senderIdentity == message.senderIdentity else { return [] }
            recent[i].message = message.message
            recent[i].editedAt = message.editedAt ?? message.sentAt
        } else {
            recent.append(message)
            if recent.count > historyLimit { recent.removeFirst(recent.count - historyLimit) }
        }
        return [.save(message)]
    }

    private mutating func delete(id: String, sender: String, at date: Date) -> [Change] {
        if let i = recent.firstIndex(where: { $0.id == id }) {
            guard recent[i].senderIdentity == sender else { return [] }
            recent.remove(at: i)
        }
        return [.delete(id: id, sender: sender, at: date)]
    }
}
