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

    enum Change: Equatable {
        case save(ChatMessageRecord)
        /// Deleted by its sender (nil: by the server, whoever sent it).
        case delete(id: String, sender: String?, at: Date)
        case receipt(ChatReceiptRecord)
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
        case .streamHeader(let header)?:
            guard header.topic == Self.topic, case .textHeader(let text)? = header.contentHeader,
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
        case .streamChunk(let chunk)?:
            guard var stream = pending[chunk.streamID], stream.senderIdentity == sender else { return [] }
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
