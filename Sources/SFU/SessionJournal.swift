import Logging
import Store

/// Writes participant sessions and room metadata to the store in order, off the room actors.
/// A join must not wait for SQLite: a commit costs about a millisecond, and now and then a WAL
/// checkpoint fsyncs for tens of milliseconds, which would stall everyone in the room.
/// Failures are logged (the live room state is authoritative; the store is history). The
/// writes run on a low-priority thread of their own (BackgroundWorker).
public final class SessionJournal: Sendable {
    private let store: SwitchboardStore
    private let logger: Logger
    private let queue = BackgroundWorker(name: "sb-journal")

    init(store: SwitchboardStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    func recordJoin(roomSid: String, sid: String, identity: String, name: String, metadata: String,
                    clientInfo: ClientInfo?) {
        let store = self.store, logger = self.logger
        queue.submit {
            do {
                try store.appendJoin(roomSid: roomSid, identity: identity, name: name, metadata: metadata,
                                     clientInfo: clientInfo, sid: sid)
            } catch {
                logger.warning("store: join of \(sid) not recorded: \(error)")
            }
        }
    }

    func recordLeave(sid: String, reason: String) {
        let store = self.store, logger = self.logger
        queue.submit {
            do { try store.appendLeave(sid: sid, reason: reason) } catch {
                logger.debug("store: leave of \(sid) not recorded: \(error)")
            }
        }
    }

    func updateRoomMetadata(sid: String, metadata: String) {
        let store = self.store
        queue.submit { _ = try? store.updateRoomMetadata(sid: sid, metadata: metadata) }
    }

    /// Closes the room's record after the leaves queued before it.
    func closeRoom(sid: String, reason: String) {
        let store = self.store
        queue.submit { _ = try? store.closeRoom(sid: sid, reason: reason) }
    }

    /// Chat changes of `room`, in order with everything else. Attachments' bytes go to a file
    /// under `attachmentsDirectory` (nil: files are not kept).
    func recordChat(_ changes: [RoomChat.Change], room: String, attachmentsDirectory: String?) {
        guard !changes.isEmpty else { return }
        let store = self.store, logger = self.logger
        queue.submit {
            for change in changes {
                do {
                    switch change {
                    case .save(let message): try store.saveChatMessage(message)
                    case .delete(let id, let sender, let at): try store.deleteChatMessages(room: room, ids: [id], sender: sender, at: at)
                    case .receipt(let receipt): try store.saveChatReceipt(receipt)
                    case .attachment(var record, let bytes):
                        guard let directory = attachmentsDirectory else { continue }
                        guard try store.chatAttachment(room: room, id: record.id) == nil else { continue }
                        guard try store.chatAttachmentBytes(room: room) + bytes.count <= ChatAttachmentFiles.roomQuotaBytes else {
                            logger.warning("chat: attachment not kept, the room's quota is used up",
                                           metadata: ["room": "\(room)", "quota": "\(ChatAttachmentFiles.roomQuotaBytes)"])
                            continue
                        }
                        record.path = try ChatAttachmentFiles.write(bytes, room: room, under: directory)
                        let kept = (try? store.saveChatAttachment(record)) ?? false
                        if !kept { ChatAttachmentFiles.remove(path: record.path, under: directory) }
                    }
                } catch {
                    logger.error("chat: store write failed", metadata: ["room": "\(room)", "error": "\(error)"])
                }
            }
        }
    }

    /// Returns once every write queued before the call has run (tests, shutdown).
    public func drain() { queue.drain() }
}
