import Synchronization

/// Delivery counters for `/metrics`.
public final class WebhookMetrics: Sendable {
    private let deliveredCount = Atomic<Int>(0)
    private let failedCount = Atomic<Int>(0)
    private let retriedCount = Atomic<Int>(0)
    private let pendingCount = Atomic<Int>(0)

    public init() {}

    /// Outbox rows an endpoint accepted (2xx).
    public var delivered: Int { deliveredCount.load(ordering: .relaxed) }
    /// Outbox rows given up on (older than the maximum age).
    public var failed: Int { failedCount.load(ordering: .relaxed) }
    /// Attempts that failed and were scheduled again.
    public var retried: Int { retriedCount.load(ordering: .relaxed) }
    /// Outbox rows waiting for delivery.
    public var pending: Int { pendingCount.load(ordering: .relaxed) }

    func queued(_ count: Int) { pendingCount.add(count, ordering: .relaxed) }
    func setPending(_ count: Int) { pendingCount.store(count, ordering: .relaxed) }
    func deliveredOne() {
        deliveredCount.add(1, ordering: .relaxed)
        pendingCount.subtract(1, ordering: .relaxed)
    }
    func gaveUpOne() {
        failedCount.add(1, ordering: .relaxed)
        pendingCount.subtract(1, ordering: .relaxed)
    }
    func retriedOne() { retriedCount.add(1, ordering: .relaxed) }
}
