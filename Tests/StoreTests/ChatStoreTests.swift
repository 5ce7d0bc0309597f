import Foundation
import Store
import XCTest

final class ChatStoreTests: XCTestCase {
    func testMessagesEditsDeletionsAndReceipts() throws {
        let store = try SwitchboardStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        for i in 0..<5 {
            try store.saveChatMessage(ChatMessageRecord(room: "r", id: "m\(i)", senderIdentity: "alice", senderSid: "PA_a",
                                                        format: .textStream, message: "text \(i)", sentAt: t0 + Double(i)))
        }
        try store.saveChatMessage(ChatMessageRecord(room: "other", id: "m0", senderIdentity: "bob", senderSid: "PA_b",
                                                    format: .chatMessage, message: "elsewhere", sentAt: t0))
        // An edit by the sender replaces the text; by someone else, nothing.
        try store.saveChatMessage(ChatMessageRecord(room: "r", id: "m1", senderIdentity: "alice", senderSid: "PA_a",
                                                    format: .textStream, message: "edited", sentAt: t0 + 10))
        try store.saveChatMessage(ChatMessageRecord(room: "r", id: "m2", senderIdentity: "mallory", senderSid: "PA_m",
                                                    format: .textStream, message: "hijack", sentAt: t0 + 10))
        let all = try store.chatMessages(room: "r", limit: 10)
        XCTAssertEqual(all.map(\.message), ["text 0", "edited", "text 2", "text 3", "text 4"])
        XCTAssertNotNil(all[1].editedAt)
        XCTAssertNil(all[2].editedAt)
        // Paging: the newest two, then the two before.
        let page = try store.chatMessages(room: "r", limit: 2)
        XCTAssertEqual(page.map(\.id), ["m3", "m4"])
        XCTAssertEqual(try store.chatMessages(room: "r", limit: 2, before: page[0].seq).map(\.id), ["m1", "m2"])
        // Deletion by someone else does nothing; by the sender or the server, a tombstone.
        XCTAssertEqual(try store.deleteChatMessages(room: "r", ids: ["m0"], sender: "mallory"), [])
        XCTAssertEqual(try store.deleteChatMessages(room: "r", ids: ["m0"], sender: "alice").map(\.id), ["m0"])
        XCTAssertEqual(try store.deleteChatMessages(room: "r").map(\.id), ["m1", "m2", "m3", "m4"])
        let after = try store.chatMessages(room: "r", limit: 10)
        XCTAssertTrue(after.allSatisfy { $0.isDeleted && $0.message.isEmpty })
        XCTAssertEqual(try store.chatMessages(room: "other", limit: 10).map(\.message), ["elsewhere"])
        // A deleted message cannot be brought back by an "edit".
        try store.saveChatMessage(ChatMessageRecord(room: "r", id: "m0", senderIdentity: "alice", senderSid: "PA_a",
                                                    format: .textStream, message: "back", sentAt: t0))
        XCTAssertEqual(try store.chatMessages(room: "r", limit: 10).first?.message, "")

        try store.saveChatReceipt(ChatReceiptRecord(room: "r", identity: "bob", messageID: "m1", readAt: t0))
        try store.saveChatReceipt(ChatReceiptRecord(room: "r", identity: "bob", messageID: "m3", readAt: t0 + 5))
        XCTAssertEqual(try store.chatReceipts(room: "r").map(\.messageID), ["m3"])
    }

    func testAttachmentsAreInsertedOnceAndCounted() throws {
        let store = try SwitchboardStore.inMemory()
        let t0 = Date(timeIntervalSince1970: 1_700_000_000)
        let first = ChatAttachmentRecord(room: "r", id: "s1", senderIdentity: "alice", name: "a.png", mimeType: "image/png",
                                         size: 100, path: "k/1", sentAt: t0)
        XCTAssertTrue(try store.saveChatAttachment(first))
        // Someone else's stream with the same id never replaces it.
        var other = first
        other.senderIdentity = "mallory"
        other.path = "k/2"
        XCTAssertFalse(try store.saveChatAttachment(other))
        XCTAssertEqual(try store.chatAttachment(room: "r", id: "s1")?.path, "k/1")
        XCTAssertTrue(try store.saveChatAttachment(ChatAttachmentRecord(room: "r", id: "s2", senderIdentity: "bob", name: "b.pdf",
                                                                        mimeType: "application/pdf", size: 50, path: "k/3", sentAt: t0)))
        XCTAssertEqual(try store.chatAttachmentBytes(room: "r"), 150)
        XCTAssertEqual(try store.chatAttachmentBytes(room: "empty"), 0)
        XCTAssertEqual(try store.chatAttachments(room: "r").map(\.id), ["s1", "s2"])
    }
}
