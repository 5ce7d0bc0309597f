import Foundation
import Store
@testable import Webhooks
import XCTest

/// The outbox is on disk: what one run could not deliver, the next one sends.
final class RestartTests: XCTestCase {
    func testUndeliveredEventsAreSentAfterARestart() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("webhooks-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }

        // First run: the endpoint is down (refuses everything).
        let down = try await TestReceiver { _, _ in 503 }
        var store: SwitchboardStore? = try SwitchboardStore(dataDirectory: directory)
        let first = try WebhookTesting.notifier([down.url], store: store!)
        first.start()
        for i in 0..<3 { first.enqueue(WebhookTesting.event("participant_joined", room: "r", marker: "p\(i)")) }
        _ = try await down.waitFor(1)
        await first.stop(grace: .zero)
        try await down.stop()
        XCTAssertEqual(try store!.pendingWebhookCount(), 3)
        try store!.close()
        store = nil

        // Second run, same URL (the rows name it) served again: everything arrives, in order.
        let up = try await TestReceiver(port: down.port)
        let reopened = try SwitchboardStore(dataDirectory: directory)
        let second = try WebhookTesting.notifier([up.url], store: reopened)
        second.start()
        XCTAssertEqual(second.metrics.pending, 3)
        let markers = try await up.waitFor(3).map { try WebhookTesting.decode($0).participant.identity }
        XCTAssertEqual(markers, ["p0", "p1", "p2"])
        try await WebhookTesting.waitUntil("outbox empty") { try reopened.pendingWebhookCount() == 0 }
        XCTAssertEqual(second.metrics.pending, 0)
        XCTAssertEqual(second.metrics.delivered, 3)
        await second.stop()
        try await up.stop()
        try reopened.close()
    }
}
