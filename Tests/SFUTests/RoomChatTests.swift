import Foundation
import LiveKitProtocol
@testable import SFU
import Store
import XCTest

final class RoomChatTests: XCTestCase {
    private func packet(from sender: String, _ fill: (inout Livekit_DataPacket) -> Void) -> Livekit_DataPacket {
        var p = Livekit_DataPacket()
        p.participantIdentity = sender
        p.participantSid = "PA_\(sender)"
        fill(&p)
        return p
    }

    private func chatMessage(_ id: String, _ text: String, from sender: String, deleted: Bool = false, edit: Int64 = 0) -> Livekit_DataPacket {
        packet(from: sender) {
            $0.chatMessage.id = id
            $0.chatMessage.message = text
            $0.chatMessage.timestamp = 1_700_000_000_000
            $0.chatMessage.deleted = deleted
            $0.chatMessage.editTimestamp = edit
        }
    }

    func testChatMessagesAreSavedEditedAndDeletedOnlyBySender() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        guard case .save(let saved)? = chat.observe(chatMessage("m1", "hello", from: "alice")).first else { return XCTFail("not saved") }
        XCTAssertEqual(saved.format, .chatMessage)
        XCTAssertEqual(saved.sentAt, Date(timeIntervalSince1970: 1_700_000_000))
        // Someone else can neither edit nor delete it.
        XCTAssertEqual(chat.observe(chatMessage("m1", "hacked", from: "mallory", edit: 1)), [])
        XCTAssertEqual(chat.observe(chatMessage("m1", "", from: "mallory", deleted: true)), [])
        XCTAssertEqual(chat.recent.map(\.message), ["hello"])
        // Its sender can.
        XCTAssertEqual(chat.observe(chatMessage("m1", "hello!", from: "alice", edit: 1_700_000_001_000)).count, 1)
        XCTAssertEqual(chat.recent.map(\.message), ["hello!"])
        XCTAssertNotNil(chat.recent.first?.editedAt)
        let deletion = chat.observe(chatMessage("m1", "", from: "alice", deleted: true))
        guard case .delete(let id, let sender, _)? = deletion.first else { return XCTFail("not deleted") }
        XCTAssertEqual(id, "m1")
        XCTAssertEqual(sender, "alice", "the store deletes it only if alice sent it")
        XCTAssertTrue(chat.recent.isEmpty)
    }

    func testHistoryKeepsTheNewestMessages() {
        var chat = RoomChat(room: "r", historyLimit: 3, recent: [], receipts: [])
        for i in 0..<5 { _ = chat.observe(chatMessage("m\(i)", "text \(i)", from: "alice")) }
        XCTAssertEqual(chat.recent.map(\.id), ["m2", "m3", "m4"])
    }

    func testTextStreamsInlineChunkedAndCompressed() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        func header(_ id: String, from sender: String = "bob", compression: Livekit_DataStream.CompressionType = .none,
                    inline: Data? = nil, topic: String = "lk.chat") -> Livekit_DataPacket {
            packet(from: sender) {
                $0.streamHeader.streamID = id
                $0.streamHeader.topic = topic
                $0.streamHeader.timestamp = 1_700_000_000_000
                $0.streamHeader.textHeader.operationType = .create
                $0.streamHeader.compression = compression
                if let inline { $0.streamHeader.inlineContent = inline }
            }
        }
        func chunk(_ id: String, _ bytes: [UInt8], from sender: String = "bob") -> Livekit_DataPacket {
            packet(from: sender) { $0.streamChunk.streamID = id; $0.streamChunk.content = Data(bytes) }
        }
        func trailer(_ id: String, from sender: String = "bob") -> Livekit_DataPacket {
            packet(from: sender) { $0.streamTrailer.streamID = id }
        }
        // Inline: complete with the header.
        XCTAssertEqual(chat.observe(header("s1", inline: Data("short".utf8))).count, 1)
        // Chunked: complete at the trailer; a chunk or trailer from someone else is ignored.
        XCTAssertEqual(chat.observe(header("s2")), [])
        XCTAssertEqual(chat.observe(chunk("s2", Array("Grü".utf8))), [])
        XCTAssertEqual(chat.observe(chunk("s2", Array("ße".utf8), from: "mallory")), [])
        XCTAssertEqual(chat.observe(trailer("s2", from: "mallory")), [])
        XCTAssertEqual(chat.observe(chunk("s2", Array("ße".utf8))), [])
        XCTAssertEqual(chat.observe(trailer("s2")).count, 1)
        // Raw DEFLATE of "hello chat " x 20 (Python's zlib, wbits -15).
        let deflated: [UInt8] = [203, 72, 205, 201, 201, 87, 72, 206, 72, 44, 81, 200, 24, 110, 76, 0]
        XCTAssertEqual(chat.observe(header("s3", compression: .deflateRaw)), [])
        XCTAssertEqual(chat.observe(chunk("s3", Array(deflated.prefix(7)))), [])
        XCTAssertEqual(chat.observe(chunk("s3", Array(deflated.dropFirst(7)))), [])
        XCTAssertEqual(chat.observe(trailer("s3")).count, 1)
        // Corrupt DEFLATE and other topics are not chat.
        XCTAssertEqual(chat.observe(header("s4", compression: .deflateRaw, inline: Data([0xFF, 0xFF, 0xFF]))), [])
        XCTAssertEqual(chat.observe(header("s5", inline: Data("not chat".utf8), topic: "files")), [])
        XCTAssertEqual(chat.recent.map(\.message), ["short", "Grüße", String(repeating: "hello chat ", count: 20)])
        XCTAssertEqual(Set(chat.recent.map(\.format)), [.textStream])
    }

    func testOversizedTextIsNotKeptAndPendingStreamsAreBounded() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        var h = Livekit_DataPacket()
        h.participantIdentity = "bob"
        h.streamHeader.streamID = "big"
        h.streamHeader.topic = "lk.chat"
        h.streamHeader.textHeader.operationType = .create
        _ = chat.observe(h)
        var c = Livekit_DataPacket()
        c.participantIdentity = "bob"
        c.streamChunk.streamID = "big"
        c.streamChunk.content = Data(repeating: 0x41, count: RoomChat.maxMessageBytes)
        _ = chat.observe(c)
        _ = chat.observe(c)
        var t = Livekit_DataPacket()
        t.participantIdentity = "bob"
        t.streamTrailer.streamID = "big"
        XCTAssertEqual(chat.observe(t), [])
        // Headers without trailers: the oldest are forgotten, so a trailer for one of them is ignored.
        for i in 0..<(RoomChat.maxPendingStreams + 1) {
            h.streamHeader.streamID = "open-\(i)"
            _ = chat.observe(h)
        }
        t.streamTrailer.streamID = "open-0"
        XCTAssertEqual(chat.observe(t), [])
        t.streamTrailer.streamID = "open-\(RoomChat.maxPendingStreams)"
        XCTAssertEqual(chat.observe(t).count, 1)
    }

    func testReceiptsFromTheReceiptTopic() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        var p = Livekit_DataPacket()
        p.participantIdentity = "carol"
        p.user.topic = "lk.chat.read"
        p.user.payload = Data("m7".utf8)
        guard case .receipt(let r)? = chat.observe(p).first else { return XCTFail("no receipt") }
        XCTAssertEqual(r.identity, "carol")
        XCTAssertEqual(r.messageID, "m7")
        p.user.topic = "other"
        XCTAssertEqual(chat.observe(p), [])
        XCTAssertEqual(chat.receipts["carol"]?.messageID, "m7")
    }

    func testHistoryReplayChunksOnCharacterBoundaries() {
        let text = String(repeating: "é", count: 10_000)  // 20 000 bytes, 2 per character
        let message = ChatMessageRecord(room: "r", id: "s", senderIdentity: "a", senderSid: "PA_a", format: .textStream,
                                        message: text, sentAt: Date())
        let packets = Room.historyPackets(message)
        XCTAssertEqual(packets.count, 4, "header, two chunks, trailer")
        let chunks = packets.compactMap { p -> Data? in if case .streamChunk(let c)? = p.value { c.content } else { nil } }
        XCTAssertEqual(chunks.map(\.count), [15_000, 5_000])
        XCTAssertEqual(String(decoding: chunks.reduce(Data(), +), as: UTF8.self), text)
        XCTAssertTrue(packets.allSatisfy { $0.participantIdentity == "a" })
    }

    func testAttachmentsAreCheckedAndBounded() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        func file(_ id: String, mime: String, _ bytes: [UInt8], total: UInt64? = nil) -> [RoomChat.Change] {
            var h = Livekit_DataPacket()
            h.participantIdentity = "alice"
            h.streamHeader.streamID = id
            h.streamHeader.topic = "lk.chat"
            h.streamHeader.mimeType = mime
            h.streamHeader.byteHeader.name = "\(id).bin"
            if let total { h.streamHeader.totalLength = total }
            var changes = chat.observe(h)
            var c = Livekit_DataPacket()
            c.participantIdentity = "alice"
            c.streamChunk.streamID = id
            c.streamChunk.content = Data(bytes)
            changes += chat.observe(c)
            var t = Livekit_DataPacket()
            t.participantIdentity = "alice"
            t.streamTrailer.streamID = id
            return changes + chat.observe(t)
        }
        let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + Array(repeating: 1, count: 100)
        guard case .attachment(let record, let bytes)? = file("a", mime: "image/PNG", png).first else { return XCTFail("not kept") }
        XCTAssertEqual(record.mimeType, "image/png")
        XCTAssertEqual(record.size, png.count)
        XCTAssertEqual(bytes, png)
        XCTAssertEqual(file("b", mime: "image/png", Array("MZ not a png".utf8)), [], "contents must match the type")
        XCTAssertEqual(file("c", mime: "application/x-msdownload", png), [], "types outside the list are not kept")
        XCTAssertEqual(file("d", mime: "text/plain", [0x41, 0x00, 0x42]), [], "text with NUL is not text")
        XCTAssertEqual(file("e", mime: "image/png", png, total: UInt64(RoomChat.maxAttachmentBytes) + 1), [],
                       "announced as too large")
        XCTAssertEqual(AttachmentContent.check(mimeType: "application/pdf; charset=binary", Array("%PDF-1.7".utf8)), "application/pdf")
        XCTAssertEqual(ChatAttachmentFiles.url(path: "../../etc/passwd", under: "/data"), nil)
        XCTAssertEqual(ChatAttachmentFiles.url(path: "/etc/passwd", under: "/data"), nil)
        XCTAssertEqual(ChatAttachmentFiles.url(path: "ab12/f00", under: "/data")?.path, "/data/ab12/f00")
    }

    /// Files whose trailer never comes give their slot up to newer ones; an id being received as
    /// text cannot be taken over as a file.
    func testFileSlotsAreRecycledAndIdsNotShared() {
        var chat = RoomChat(room: "r", historyLimit: 10, recent: [], receipts: [])
        func header(_ id: String, file: Bool, from sender: String = "alice") -> Livekit_DataPacket {
            var h = Livekit_DataPacket()
            h.participantIdentity = sender
            h.streamHeader.streamID = id
            h.streamHeader.topic = "lk.chat"
            h.streamHeader.mimeType = "text/plain"
            if file { h.streamHeader.byteHeader.name = "f" } else { h.streamHeader.textHeader.operationType = .create }
            return h
        }
        func body(_ id: String, _ text: String, from sender: String = "alice") -> [RoomChat.Change] {
            var c = Livekit_DataPacket()
            c.participantIdentity = sender
            c.streamChunk.streamID = id
            c.streamChunk.content = Data(text.utf8)
            var t = Livekit_DataPacket()
            t.participantIdentity = sender
            t.streamTrailer.streamID = id
            return chat.observe(c) + chat.observe(t)
        }
        for i in 0..<RoomChat.maxPendingFiles { _ = chat.observe(header("stuck-\(i)", file: true, from: "mallory")) }
        _ = chat.observe(header("mine", file: true))
        guard case .attachment(let record, _)? = body("mine", "hello").first else { return XCTFail("slot not recycled") }
        XCTAssertEqual(record.mimeType, "text/plain")
        XCTAssertEqual(body("stuck-0", "late", from: "mallory"), [], "the oldest stuck file gave its slot up")
        // Alice's text stream in progress: a file header with its id is ignored.
        _ = chat.observe(header("t1", file: false))
        _ = chat.observe(header("t1", file: true, from: "mallory"))
        guard case .save(let message)? = body("t1", "still mine").first else { return XCTFail("text stream hijacked") }
        XCTAssertEqual(message.senderIdentity, "alice")
    }
}
