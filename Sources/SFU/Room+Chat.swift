import Foundation
import LiveKitProtocol
import Store

/// Chat history (RoomChat): what the relay sees is kept, late joiners receive the recent
/// messages and read receipts when their data channels open, the admin API reads and deletes.
extension Room {
    /// Text per chunk when history is replayed as a text stream (the SDKs' own chunk size).
    static let historyChunkBytes = 15_000
    /// History sent to a joiner, at most, in bytes: the newest messages that fit. Well below the
    /// association's send buffer, so a replay never looks like a slow receiver.
    static let historyBudgetBytes = 1 << 20

    /// The room's chat, loaded from the store on first use. Mutate through `chatState!` (in
    /// place): a copy would copy the buffers of files being received on every chunk.
    private var chat: RoomChat {
        loadChat()
        return chatState!
    }

    private func loadChat() {
        guard chatState == nil else { return }
        let limit = context.roomDefaults.chatHistory
        let recent = (try? context.store.chatMessages(room: name, limit: limit)) ?? []
        let receipts = (try? context.store.chatReceipts(room: name)) ?? []
        chatState = RoomChat(room: name, historyLimit: limit, recent: recent, receipts: receipts)
    }

    func observeChat(_ packet: Livekit_DataPacket) {
        guard context.roomDefaults.chatHistory > 0 else { return }
        loadChat()
        let changes = chatState!.observe(packet)
        context.journal.recordChat(changes, room: name, attachmentsDirectory: context.chatAttachmentsDirectory)
    }

    /// Sends `sid` the recent messages, as their senders sent them (ChatMessage packets, or
    /// `lk.chat` text streams marked with the `lk.chat.history` attribute), then the receipts.
    func sendChatHistory(to sid: String) {
        guard context.roomDefaults.chatHistory > 0, let participant = participants[sid] else { return }
        let chat = self.chat
        var batches: [[[UInt8]]] = [], total = 0
        for message in chat.recent.reversed() {
            let encoded = Self.historyPackets(message).compactMap { try? $0.serializedBytes() as [UInt8] }
            total += encoded.reduce(0) { $0 + $1.count }
            if total > Self.historyBudgetBytes { break }
            batches.append(encoded)
        }
        for batch in batches.reversed() {
            for bytes in batch { participant.subscriber.sendData(bytes, kind: .reliable) }
        }
        for receipt in chat.receipts.values.sorted(by: { $0.readAt < $1.readAt }) where receipt.identity != participant.identity {
            var packet = Livekit_DataPacket()
            packet.participantIdentity = receipt.identity
            packet.user.topic = RoomChat.receiptTopic
            packet.user.payload = Data(receipt.messageID.utf8)
            packet.user.participantIdentity = receipt.identity
            guard let bytes: [UInt8] = try? packet.serializedBytes() else { continue }
            participant.subscriber.sendData(bytes, kind: .reliable)
        }
    }

    /// Messages deleted through the admin API (nil: all): gone from the history, and everyone
    /// in the room is told, in the form each message was sent in.
    public func chatDeletedByServer(_ records: [ChatMessageRecord]) {
        loadChat()
        chatState!.deleteByServer(ids: records.map(\.id))
        for record in records {
            var packet = Livekit_DataPacket()
            packet.participantIdentity = record.senderIdentity
            switch record.format {
            case .chatMessage:
                packet.chatMessage.id = record.id
                packet.chatMessage.timestamp = Int64(record.sentAt.timeIntervalSince1970 * 1000)
                packet.chatMessage.deleted = true
                send(packet, to: participants.values)
            case .textStream:
                packet.streamHeader.streamID = record.id
                packet.streamHeader.timestamp = Int64(Date().timeIntervalSince1970 * 1000)
                packet.streamHeader.topic = RoomChat.topic
                packet.streamHeader.mimeType = "text/plain"
                packet.streamHeader.textHeader.operationType = .delete
                send(packet, to: participants.values)
                var trailer = Livekit_DataPacket()
                trailer.participantIdentity = record.senderIdentity
                trailer.streamTrailer.streamID = record.id
                send(trailer, to: participants.values)
            }
        }
    }

    private func send(_ packet: Livekit_DataPacket, to recipients: some Sequence<Participant>) {
        guard let bytes: [UInt8] = try? packet.serializedBytes() else { return }
        for recipient in recipients { recipient.subscriber.sendData(bytes, kind: .reliable) }
    }

    static func historyPackets(_ message: ChatMessageRecord) -> [Livekit_DataPacket] {
        var base = Livekit_DataPacket()
        base.participantIdentity = message.senderIdentity
        base.participantSid = message.senderSid
        switch message.format {
        case .chatMessage:
            var packet = base
            packet.chatMessage.id = message.id
            packet.chatMessage.timestamp = Int64(message.sentAt.timeIntervalSince1970 * 1000)
            packet.chatMessage.message = message.message
            if let edited = message.editedAt { packet.chatMessage.editTimestamp = Int64(edited.timeIntervalSince1970 * 1000) }
            return [packet]
        case .textStream:
            let text = Array(message.message.utf8)
            var header = base
            header.streamHeader.streamID = message.id
            header.streamHeader.timestamp = Int64(message.sentAt.timeIntervalSince1970 * 1000)
            header.streamHeader.topic = RoomChat.topic
            header.streamHeader.mimeType = "text/plain"
            header.streamHeader.totalLength = UInt64(text.count)
            header.streamHeader.attributes = ["lk.chat.history": "true"]
            header.streamHeader.textHeader.operationType = message.editedAt == nil ? .create : .update
            var packets = [header]
            var index: UInt64 = 0, offset = 0
            while offset < text.count {
                // Chunks end on UTF-8 character boundaries (a continuation byte is 10xxxxxx).
                var end = min(offset + historyChunkBytes, text.count)
                while end < text.count && end > offset && text[end] & 0xC0 == 0x80 { end -= 1 }
                var chunk = base
                chunk.streamChunk.streamID = message.id
                chunk.streamChunk.chunkIndex = index
                chunk.streamChunk.content = Data(text[offset..<end])
                packets.append(chunk)
                index += 1
                offset = end
            }
            var trailer = base
            trailer.streamTrailer.streamID = message.id
            packets.append(trailer)
            return packets
        }
    }
}
