import Foundation
import Store
@testable import Webhooks
import XCTest

/// The outbox and the delivery loop against a real HTTP endpoint on 127.0.0.1.
final class DeliveryTests: XCTestCase {
    func testEventsOfEachRoomArriveInOrder() async throws {
        let receiver = try await TestReceiver()
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([receiver.url], store: store)
        notifier.start()
        for i in 0..<20 {
            notifier.enqueue(WebhookTesting.event("participant_joined", room: i % 2 == 0 ? "even" : "odd", marker: "p\(i)"))
        }
        let requests = try await receiver.waitFor(20)
        let events = try requests.map(WebhookTesting.decode)
        for room in ["even", "odd"] {
            let markers = events.filter { $0.room.name == room }.map(\.participant.identity)
            let expected = (0..<20).filter { ($0 % 2 == 0) == (room == "even") }.map { "p\($0)" }
            XCTAssertEqual(markers, expected, "events of room \(room) out of order")
        }
        XCTAssertEqual(Set(events.map(\.id)).count, 20, "every event has its own id")
        XCTAssertTrue(events.allSatisfy { $0.id.hasPrefix("EV_") && $0.createdAt > 1_700_000_000 })
        try await WebhookTesting.waitUntil("outbox empty") { try store.pendingWebhookCount() == 0 }
        XCTAssertEqual(notifier.metrics.delivered, 20)
        XCTAssertEqual(notifier.metrics.pending, 0)
        await notifier.stop()
        try await receiver.stop()
    }

    func testRetriesWithBackoffUntilTheEndpointAnswers2xx() async throws {
        // 503 for the first three requests, then 200.
        let receiver = try await TestReceiver { _, before in before < 3 ? 503 : 200 }
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([receiver.url], store: store)
        notifier.start()
        notifier.enqueue(WebhookTesting.event("room_started", room: "r", marker: "first"))
        notifier.enqueue(WebhookTesting.event("room_finished", room: "r", marker: "second"))
        let requests = try await receiver.waitFor(5)
        let markers = try requests.map { try WebhookTesting.decode($0).participant.identity }
        // The head is retried until it is taken; the next event of the room waits for it.
        XCTAssertEqual(markers, ["first", "first", "first", "first", "second"])
        XCTAssertEqual(Set(requests.prefix(4).map(\.body)).count, 1, "a retry sends the same body")
        // Backoff: 0.05, 0.1, 0.2 s between the attempts (some slack below for timer precision).
        let gaps = zip(requests.dropFirst(), requests).prefix(3).map { $0.at.timeIntervalSince($1.at) }
        for (gap, minimum) in zip(gaps, [0.04, 0.09, 0.18]) {
            XCTAssertGreaterThanOrEqual(gap, minimum, "gaps \(gaps)")
        }
        try await WebhookTesting.waitUntil("outbox empty") { try store.pendingWebhookCount() == 0 }
        XCTAssertEqual(notifier.metrics.retried, 3)
        XCTAssertEqual(notifier.metrics.delivered, 2)
        XCTAssertEqual(notifier.metrics.failed, 0)
        await notifier.stop()
        try await receiver.stop()
    }

    func testAFailingRoomDoesNotHoldUpOthers() async throws {
        // Room "stuck" always fails; room "fine" must still get through.
        let receiver = try await TestReceiver { request, _ in request.body.contains("\"stuck\"") ? 500 : 200 }
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([receiver.url], store: store)
        notifier.start()
        notifier.enqueue(WebhookTesting.event("room_started", room: "stuck"))
        notifier.enqueue(WebhookTesting.event("room_started", room: "fine"))
        notifier.enqueue(WebhookTesting.event("room_finished", room: "fine"))
        try await WebhookTesting.waitUntil("room fine delivered") { notifier.metrics.delivered == 2 }
        XCTAssertEqual(try store.pendingWebhookCount(), 1)
        await notifier.stop(grace: .zero)
        try await receiver.stop()
    }

    func testGivesUpAfterTheMaximumAgeAndRecordsTheFailure() async throws {
        // The first event is refused forever; the next one of the same room is accepted.
        let receiver = try await TestReceiver { request, _ in request.body.contains("doomed") ? 503 : 200 }
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([receiver.url], store: store, maxAge: 0.5)
        notifier.start()
        let started = Date()
        notifier.enqueue(WebhookTesting.event("participant_joined", room: "r", marker: "doomed"))
        notifier.enqueue(WebhookTesting.event("participant_left", room: "r", marker: "later"))
        try await WebhookTesting.waitUntil("the second event delivered") { notifier.metrics.delivered == 1 }
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertGreaterThanOrEqual(elapsed, 0.45, "gave up before the maximum age")
        XCTAssertLessThan(elapsed, 3)

        let failed = try store.webhookOutbox(status: .failed)
        XCTAssertEqual(failed.count, 1)
        XCTAssertEqual(failed.first?.event, "participant_joined")
        XCTAssertEqual(failed.first?.lastError, "HTTP 503")
        XCTAssertNotNil(failed.first?.finishedAt)
        XCTAssertGreaterThanOrEqual(failed.first?.attempts ?? 0, 3)
        XCTAssertEqual(notifier.metrics.failed, 1)
        XCTAssertEqual(notifier.metrics.pending, 0)
        let markers = try receiver.received.map { try WebhookTesting.decode($0).participant.identity }
        XCTAssertEqual(markers.last, "later")
        XCTAssertTrue(markers.dropLast().allSatisfy { $0 == "doomed" }, "\(markers)")
        await notifier.stop()
        try await receiver.stop()
    }

    func testEveryEndpointGetsEveryEvent() async throws {
        let a = try await TestReceiver()
        let b = try await TestReceiver { _, before in before == 0 ? 502 : 204 }
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([a.url, b.url], store: store)
        notifier.start()
        notifier.enqueue(WebhookTesting.event("room_started", room: "r"))
        notifier.enqueue(WebhookTesting.event("room_finished", room: "r"))
        let atA = try await a.waitFor(2).map { try WebhookTesting.decode($0).event }
        let atB = try await b.waitFor(3).map { try WebhookTesting.decode($0).event }
        XCTAssertEqual(atA, ["room_started", "room_finished"])
        XCTAssertEqual(atB, ["room_started", "room_started", "room_finished"])
        try await WebhookTesting.waitUntil("outbox empty") { try store.pendingWebhookCount() == 0 }
        XCTAssertEqual(notifier.metrics.delivered, 4)
        await notifier.stop()
        try await a.stop()
        try await b.stop()
    }

    func testAnEndpointThatNeverAnswersTimesOut() async throws {
        // A listener that accepts and never answers: the request must time out and be retried.
        let silent = try await TestReceiver { _, _ in nil }
        let store = try SwitchboardStore.inMemory()
        var configuration = WebhookTesting.configuration([silent.url])
        configuration.requestTimeout = 0.3
        let notifier = try WebhookNotifier(configuration: configuration, store: store, logger: WebhookTesting.logger)
        notifier.start()
        notifier.enqueue(WebhookTesting.event("room_started", room: "r"))
        try await WebhookTesting.waitUntil("a failed attempt") { notifier.metrics.retried >= 1 }
        let row = try XCTUnwrap(try store.webhookOutbox().first)
        XCTAssertEqual(row.lastError, "timed out")
        await notifier.stop(grace: .zero)
        try await silent.stop()
    }
}
