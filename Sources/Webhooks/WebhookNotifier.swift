import Foundation
import LiveKitProtocol
import Logging
import Store
import SwiftProtobuf
import Synchronization

/// LiveKit-compatible webhooks: events go into the SQLite outbox when they happen and a
/// delivery loop (`WebhookDelivery`) POSTs them, signed, to every endpoint until each answers
/// 2xx or the event is older than `maxAge`. Undelivered rows survive a restart and are sent
/// after `start()`.
public final class WebhookNotifier: Sendable {
    public let configuration: WebhookConfiguration
    public let metrics = WebhookMetrics()
    let endpoints: [WebhookEndpoint]
    private let store: SwitchboardStore
    private let logger: Logger
    private let doorbell = Doorbell()
    private let loop = Mutex<Task<Void, Never>?>(nil)

    public static let eventIDPrefix = "EV_"

    /// Fails on a URL the client cannot send to (not http), naming it.
    public init(configuration: WebhookConfiguration, store: SwitchboardStore, logger: Logger) throws(WebhookEndpoint.ParseError) {
        self.configuration = configuration
        var endpoints: [WebhookEndpoint] = []
        for url in configuration.urls { endpoints.append(try WebhookEndpoint(url)) }
        self.endpoints = endpoints
        self.store = store
        self.logger = logger
    }

    // MARK: Queueing

    /// Stamps the event (`id` unless set, `created_at`), encodes it as LiveKit does (protobuf
    /// JSON) and stores one outbox row per endpoint in one transaction. Blocks for that
    /// transaction: call it off the room actors (the SFU's event queue does).
    public func enqueue(_ event: Livekit_WebhookEvent, now: Date = Date()) {
        guard !endpoints.isEmpty else { return }
        var event = event
        if event.id.isEmpty { event.id = SIDs.make(prefix: Self.eventIDPrefix) }
        event.createdAt = Int64(now.timeIntervalSince1970)
        let body: String
        do { body = try event.jsonString() } catch {
            logger.error("webhook: \(event.event) not encoded: \(error)")
            return
        }
        let key = Self.orderingKey(event)
        let rows = endpoints.map {
            WebhookOutboxRecord(eventID: event.id, url: $0.url, orderingKey: key, event: event.event, body: body, createdAt: now)
        }
        do {
            try store.enqueueWebhooks(rows)
        } catch {
            logger.error("webhook: \(event.event) not queued: \(error)", metadata: ["room": "\(key)"])
            return
        }
        metrics.queued(rows.count)
        doorbell.ring()
    }

    /// Events of one room keep their order: the room's name (egress events carry it too).
    static func orderingKey(_ event: Livekit_WebhookEvent) -> String {
        if event.hasRoom { return event.room.name }
        if event.hasEgressInfo { return event.egressInfo.roomName }
        return ""
    }

    // MARK: Delivery

    /// Starts delivering, beginning with what a previous run left in the outbox.
    public func start() {
        let pending = (try? store.pendingWebhookCount()) ?? 0
        metrics.setPending(pending)
        if pending > 0 { logger.notice("webhook: \(pending) undelivered event(s) from a previous run") }
        let delivery = WebhookDelivery(configuration: configuration, endpoints: endpoints, store: store,
                                       metrics: metrics, doorbell: doorbell, logger: logger)
        loop.withLock { task in
            guard task == nil else { return }
            task = Task { await delivery.run() }
        }
        logger.notice("webhook: sending to \(endpoints.map(\.url).joined(separator: ", ")) as \(configuration.apiKey)")
    }

    /// Gives delivery up to `grace` to empty the outbox, then stops it; what is left is sent
    /// after the next start.
    public func stop(grace: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + grace
        while metrics.pending > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        guard let task = loop.withLock({ task in defer { task = nil }; return task }) else { return }
        task.cancel()
        await task.value
    }
}
