import AccessTokens
import Foundation
import Logging
import NIOCore
import Store

/// The delivery loop: POSTs the heads of the outbox's lanes (one endpoint, one room), at most
/// `maxConcurrentRequests` at a time. A lane's next row goes only after its head was delivered
/// or given up on, so each endpoint sees a room's events in order; a slow or failing endpoint
/// holds up only its own lanes. Sleeps until the next retry is due or the doorbell rings.
struct WebhookDelivery: Sendable {
    let configuration: WebhookConfiguration
    let endpoints: [WebhookEndpoint]
    let store: SwitchboardStore
    let metrics: WebhookMetrics
    let doorbell: Doorbell
    let logger: Logger
    let poster: HTTPPoster

    /// How long an idle loop sleeps without a ring (a safety net; queueing rings).
    static let idleWait: Duration = .seconds(60)

    init(configuration: WebhookConfiguration, endpoints: [WebhookEndpoint], store: SwitchboardStore,
         metrics: WebhookMetrics, doorbell: Doorbell, logger: Logger) {
        self.configuration = configuration
        self.endpoints = endpoints
        self.store = store
        self.metrics = metrics
        self.doorbell = doorbell
        self.logger = logger
        poster = HTTPPoster(timeout: .milliseconds(Int64(configuration.requestTimeout * 1000)))
    }

    private enum Wake: Sendable {
        case attempted(Int64)
        case doorbell
    }

    func run() async {
        await withTaskGroup(of: Wake.self) { group in
            var inFlight: Set<Int64> = []
            var waiting = false
            while !Task.isCancelled {
                let heads: [WebhookOutboxRecord]
                do { heads = try store.webhookLaneHeads() } catch {
                    logger.error("webhook: outbox not readable: \(error)")
                    heads = []
                }
                let now = Date()
                let idle = heads.filter { !inFlight.contains($0.seq ?? -1) }
                for row in idle where row.nextAttemptAt <= now && inFlight.count < configuration.maxConcurrentRequests {
                    guard let seq = row.seq else { continue }
                    inFlight.insert(seq)
                    group.addTask {
                        await attempt(row)
                        return .attempted(seq)
                    }
                }
                if !waiting {
                    waiting = true
                    let delay = nextWait(idle: idle.filter { !inFlight.contains($0.seq ?? -1) }, busy: inFlight.count, now: now)
                    group.addTask {
                        await doorbell.wait(timeout: delay)
                        return .doorbell
                    }
                }
                switch await group.next() {
                case .attempted(let seq)?:
                    inFlight.remove(seq)
                    // The waiting timer was set while this lane was busy: have it set anew.
                    doorbell.ring()
                case .doorbell?: waiting = false
                case nil: return
                }
            }
            group.cancelAll()
        }
    }

    /// Until the earliest idle head is due; with every request slot taken, until one finishes.
    private func nextWait(idle: [WebhookOutboxRecord], busy: Int, now: Date) -> Duration {
        guard busy < configuration.maxConcurrentRequests, let next = idle.map(\.nextAttemptAt).min() else { return Self.idleWait }
        let seconds = min(max(next.timeIntervalSince(now), 0.005), 60)
        return .milliseconds(Int64(seconds * 1000))
    }

    /// One POST of a head; its row is then deleted, rescheduled or given up on.
    private func attempt(_ row: WebhookOutboxRecord) async {
        guard let seq = row.seq, let endpoint = endpoints.first(where: { $0.url == row.url }) else {
            giveUp(row, error: "endpoint \(row.url) is no longer configured")
            return
        }
        let failure: String
        do {
            let token = try await WebhookToken.sign(body: Data(row.body.utf8), apiKey: configuration.apiKey,
                                                    secret: configuration.secret)
            let status = try await poster.post(row.body, to: endpoint, headers: [
                ("Content-Type", "application/webhook+json"), ("Authorization", token),
            ])
            if (200..<300).contains(status) {
                do { try store.webhookDelivered(seq: seq) } catch {
                    // Kept pending: sent again later (receivers can drop duplicates by event id).
                    logger.error("webhook: delivery of \(row.eventID) not recorded: \(error)")
                    return
                }
                metrics.deliveredOne()
                logger.debug("webhook delivered", metadata: ["event": "\(row.event)", "id": "\(row.eventID)", "url": "\(row.url)"])
                return
            }
            failure = "HTTP \(status)"
        } catch is CancellationError {
            return  // shutting down: the row stays pending for the next start
        } catch {
            failure = "\(error)"
        }
        retryOrGiveUp(row, seq: seq, error: failure)
    }

    private func retryOrGiveUp(_ row: WebhookOutboxRecord, seq: Int64, error: String) {
        let now = Date()
        let expiry = row.createdAt.addingTimeInterval(configuration.maxAge)
        guard now < expiry else {
            giveUp(row, error: error)
            return
        }
        let attempts = row.attempts + 1
        // The last try is at the maximum age itself, then the row is given up on.
        let next = min(now.addingTimeInterval(configuration.retryDelay(afterAttempts: attempts)), expiry)
        do { try store.webhookAttemptFailed(seq: seq, error: error, nextAttemptAt: next) } catch {
            logger.error("webhook: retry of \(row.eventID) not recorded: \(error)")
        }
        metrics.retriedOne()
        let level: Logger.Level = attempts == 1 ? .notice : .debug
        logger.log(level: level, "webhook not delivered, will retry", metadata: [
            "event": "\(row.event)", "url": "\(row.url)", "attempts": "\(attempts)", "error": "\(error)",
            "retry_in": "\(String(format: "%.1f", next.timeIntervalSince(now)))s"])
    }

    private func giveUp(_ row: WebhookOutboxRecord, error: String) {
        guard let seq = row.seq else { return }
        do { try store.webhookGaveUp(seq: seq, error: error) } catch {
            logger.error("webhook: failure of \(row.eventID) not recorded: \(error)")
            return
        }
        metrics.gaveUpOne()
        logger.error("webhook given up", metadata: ["event": "\(row.event)", "id": "\(row.eventID)", "url": "\(row.url)",
                                                    "attempts": "\(row.attempts + 1)", "error": "\(error)"])
    }
}
