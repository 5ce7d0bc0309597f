import Foundation
import GRDB

/// The webhook outbox: events are inserted when they happen and leave the table when their
/// endpoint took them. A lane is one endpoint URL and one ordering key (a room); only a lane's
/// oldest pending row (its head) is ever handed out, so a room's events arrive in order.
extension SwitchboardStore {
    /// Inserts the rows (one event for each endpoint) in one transaction; returns them with `seq`.
    @discardableResult
    public func enqueueWebhooks(_ rows: [WebhookOutboxRecord]) throws(StoreError) -> [WebhookOutboxRecord] {
        try write { db in
            var inserted: [WebhookOutboxRecord] = []
            for var row in rows {
                try row.insert(db)
                inserted.append(row)
            }
            return inserted
        }
    }

    /// The head (oldest pending row) of every lane, oldest first: what may be sent next.
    public func webhookLaneHeads() throws(StoreError) -> [WebhookOutboxRecord] {
        try read { db in
            try WebhookOutboxRecord.fetchAll(db, sql: """
                SELECT o.* FROM webhook_outbox o
                JOIN (SELECT MIN(seq) AS seq FROM webhook_outbox WHERE status = 'pending'
                      GROUP BY url, ordering_key) AS head ON head.seq = o.seq
                ORDER BY o.seq
                """)
        }
    }

    /// The endpoint took the event: the row is done.
    public func webhookDelivered(seq: Int64) throws(StoreError) {
        try write { db in _ = try WebhookOutboxRecord.deleteOne(db, key: seq) }
    }

    /// An attempt failed: counted, with its error, and retried at `nextAttemptAt`.
    public func webhookAttemptFailed(seq: Int64, error: String, nextAttemptAt: Date) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                UPDATE webhook_outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ?
                WHERE seq = ? AND status = 'pending'
                """, arguments: [error, nextAttemptAt, seq])
        }
    }

    /// Delivery gave up on the row (too old): it stays as `failed`, out of its lane.
    public func webhookGaveUp(seq: Int64, error: String, at date: Date = Date()) throws(StoreError) {
        try write { db in
            try db.execute(sql: """
                UPDATE webhook_outbox SET status = 'failed', last_error = ?, finished_at = ?
                WHERE seq = ? AND status = 'pending'
                """, arguments: [error, date, seq])
        }
    }

    /// Rows waiting for delivery.
    public func pendingWebhookCount() throws(StoreError) -> Int {
        try read { db in try WebhookOutboxRecord.filter(WebhookOutboxRecord.Columns.status == "pending").fetchCount(db) }
    }

    /// Rows in the outbox (pending and failed), oldest first: for the operator and tests.
    public func webhookOutbox(status: WebhookOutboxRecord.Status? = nil) throws(StoreError) -> [WebhookOutboxRecord] {
        try read { db in
            var request = WebhookOutboxRecord.order(WebhookOutboxRecord.Columns.seq)
            if let status { request = request.filter(WebhookOutboxRecord.Columns.status == status.rawValue) }
            return try request.fetchAll(db)
        }
    }
}
