import LiveKitProtocol
import SFU
import Webhooks

/// Puts the SFU's room events into the webhook outbox. Runs on the SFU's event queue thread
/// (`RoomEvents`), so the blocking SQLite insert never happens on a room actor.
struct WebhookEventSink: RoomEventSink {
    let notifier: WebhookNotifier

    func record(_ event: Livekit_WebhookEvent) { notifier.enqueue(event) }
}
