import Foundation
@testable import Store
import XCTest

/// The outbox's lanes: only a lane's oldest pending row is handed out, failures move it aside.
final class WebhookOutboxTests: XCTestCase {
    private func row(_ url: String, room: String, _ event: String, at date: Date = Date()) -> WebhookOutboxRecord {
        WebhookOutboxRecord(eventID: SIDs.make(prefix: "EV_"), url: url, orderingKey: room, event: event, body: "{}",
                            createdAt: date)
    }

    func testLaneHeadsAreTheOldestPendingRowOfEachEndpointAndRoom() throws {
        let store = try SwitchboardStore.inMemory()
        let rows = try store.enqueueWebhooks([
            row("http://a/", room: "r1", "room_started"), row("http://b/", room: "r1", "room_started"),
            row("http://a/", room: "r2", "room_started"), row("http://a/", room: "r1", "participant_joined"),
        ])
        XCTAssertEqual(rows.compactMap(\.seq).count, 4)
        XCTAssertEqual(try store.webhookLaneHeads().map(\.seq), [rows[0].seq, rows[1].seq, rows[2].seq])
        XCTAssertEqual(try store.pendingWebhookCount(), 4)

        // A failed attempt keeps the head in place, with its retry time and error.
        let retryAt = Date().addingTimeInterval(30)
        try store.webhookAttemptFailed(seq: rows[0].seq!, error: "HTTP 503", nextAttemptAt: retryAt)
        let head = try XCTUnwrap(try store.webhookLaneHeads().first)
        XCTAssertEqual(head.seq, rows[0].seq)
        XCTAssertEqual(head.attempts, 1)
        XCTAssertEqual(head.lastError, "HTTP 503")
        XCTAssertEqual(head.nextAttemptAt.timeIntervalSince1970, retryAt.timeIntervalSince1970, accuracy: 0.002)

        // Delivered: gone, the lane's next row is its head.
        try store.webhookDelivered(seq: rows[0].seq!)
        XCTAssertEqual(try store.webhookLaneHeads().map(\.seq), [rows[1].seq, rows[2].seq, rows[3].seq])

        // Given up: kept as failed, out of the lane.
        try store.webhookGaveUp(seq: rows[3].seq!, error: "HTTP 500")
        XCTAssertEqual(try store.webhookLaneHeads().map(\.seq), [rows[1].seq, rows[2].seq])
        XCTAssertEqual(try store.webhookOutbox(status: .failed).map(\.seq), [rows[3].seq])
        XCTAssertEqual(try store.pendingWebhookCount(), 2)
    }

    func testEventIDsAreChecked() throws {
        let store = try SwitchboardStore.inMemory()
        var bad = row("http://a/", room: "r", "room_started")
        bad.eventID = "nope"
        XCTAssertThrowsError(try store.enqueueWebhooks([bad]))
    }
}
