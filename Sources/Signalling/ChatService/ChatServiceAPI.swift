import AccessTokens
import Foundation
import Logging
import SFU
import Store

/// The chat history API for app backends, Twirp-style: `POST /twirp/switchboard.ChatService/<Method>`
/// with a JSON body (`application/json`), answered in JSON; errors are Twirp JSON. LiveKit has no
/// such service, so this one is ours; it follows RoomService's conventions (a token with
/// `roomAdmin` for the request's room). See docs/api.md.
///
/// - `ListMessages {room, limit?, before?}` -> `{messages: [...], receipts: [...]}`: the newest
///   `limit` (default 50, at most 1000) messages, oldest first, deleted ones as tombstones;
///   `before` pages back by `seq`.
/// - `DeleteMessages {room, ids?}` -> `{deleted: [ids]}`: no ids means all of the room's. Everyone
///   in the open room is told (ChatMessage `deleted`, or an `lk.chat` stream with operation delete).
public struct ChatServiceAPI: Sendable {
    public static let pathPrefix = "/twirp/switchboard.ChatService/"
    public static let maximumBodySize = 1 << 16

    let rooms: RoomManager
    let verifier: TokenVerifier
    let logger: Logger

    public init(rooms: RoomManager, verifier: TokenVerifier, logger: Logger) {
        self.rooms = rooms
        self.verifier = verifier
        self.logger = logger
    }

    struct ListMessagesRequest: Decodable {
        var room: String
        var limit: Int?
        var before: Int64?
    }

    struct Message: Encodable {
        let seq: Int64
        let id: String
        let senderIdentity: String
        let format: String
        let message: String
        /// Unix milliseconds.
        let sentAt: Int64
        let editedAt: Int64?
        let deleted: Bool
    }

    struct Receipt: Encodable {
        let identity: String
        let messageId: String
        let readAt: Int64
    }

    struct Attachment: Encodable {
        let id: String
        let senderIdentity: String
        let name: String
        let mimeType: String
        let size: Int
        let sentAt: Int64
        /// Where to GET the bytes (with a join token for the room).
        let url: String
    }

    struct ListMessagesResponse: Encodable {
        let messages: [Message]
        let receipts: [Receipt]
        let attachments: [Attachment]
    }

    struct DeleteMessagesRequest: Decodable {
        var room: String
        var ids: [String]?
    }

    struct DeleteMessagesResponse: Encodable {
        let deleted: [String]
    }

    public func handle(method: String, contentType: String?, authorization: String?, body: [UInt8]) async -> TwirpResponse {
        await TwirpJSON.serve(service: "ChatService", method: method, contentType: contentType, authorization: authorization,
                              body: body, maximumBodySize: Self.maximumBodySize, verifier: verifier, logger: logger) {
            method, grant, body throws(TwirpError) in
            switch method {
            case "ListMessages":
                let request: ListMessagesRequest = try TwirpJSON.decode(body)
                try TwirpJSON.requireAdmin(grant, room: request.room)
                return try TwirpJSON.encode(try await list(request))
            case "DeleteMessages":
                let request: DeleteMessagesRequest = try TwirpJSON.decode(body)
                try TwirpJSON.requireAdmin(grant, room: request.room)
                return try TwirpJSON.encode(try await delete(request))
            default:
                throw TwirpJSON.noRoute("ChatService", method)
            }
        }
    }

    private func list(_ request: ListMessagesRequest) async throws(TwirpError) -> ListMessagesResponse {
        let store = rooms.context.store, journal = rooms.context.journal
        let limit = min(max(request.limit ?? 50, 1), 1000)
        // Writes queued by the rooms land first: what was said before the call is listed.
        await Self.offThread { journal.drain() }
        do {
            let messages = try store.chatMessages(room: request.room, limit: limit, before: request.before)
            let receipts = try store.chatReceipts(room: request.room)
            let attachments = try store.chatAttachments(room: request.room)
            return ListMessagesResponse(
                messages: messages.map {
                    Message(seq: $0.seq ?? 0, id: $0.id, senderIdentity: $0.senderIdentity, format: $0.format.rawValue,
                            message: $0.message, sentAt: TwirpJSON.milliseconds($0.sentAt), editedAt: $0.editedAt.map(TwirpJSON.milliseconds),
                            deleted: $0.isDeleted)
                },
                receipts: receipts.map { Receipt(identity: $0.identity, messageId: $0.messageID, readAt: TwirpJSON.milliseconds($0.readAt)) },
                attachments: attachments.map {
                    Attachment(id: $0.id, senderIdentity: $0.senderIdentity, name: $0.name, mimeType: $0.mimeType, size: $0.size,
                               sentAt: TwirpJSON.milliseconds($0.sentAt), url: ChatAttachmentEndpoint.path(room: $0.room, id: $0.id))
                })
        } catch {
            throw .internal("store: \(error)")
        }
    }

    private func delete(_ request: DeleteMessagesRequest) async throws(TwirpError) -> DeleteMessagesResponse {
        let store = rooms.context.store, journal = rooms.context.journal
        await Self.offThread { journal.drain() }
        let deleted: [ChatMessageRecord]
        do {
            deleted = try store.deleteChatMessages(room: request.room, ids: request.ids)
        } catch {
            throw .internal("store: \(error)")
        }
        if let room = await rooms.room(named: request.room), !deleted.isEmpty {
            await room.chatDeletedByServer(deleted)
        }
        logger.info("chat messages deleted", metadata: ["room": "\(request.room)", "count": "\(deleted.count)"])
        return DeleteMessagesResponse(deleted: deleted.map(\.id))
    }

    // MARK: Helpers

    /// Waits for blocking work without holding a cooperative thread.
    private static func offThread(_ work: @escaping @Sendable () -> Void) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                work()
                done.resume()
            }
        }
    }
}
