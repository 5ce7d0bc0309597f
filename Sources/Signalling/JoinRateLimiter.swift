import Foundation
import Synchronization

/// Per-client-address token bucket for joins: `burst` joins at once, refilled at `perSecond`.
/// Bounded memory: idle addresses are forgotten once the table grows past `maxTracked`.
public final class JoinRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    public let burst: Double
    public let perSecond: Double
    private let maxTracked = 10_000

    public init(burst: Int = 20, perSecond: Double = 2) {
        self.burst = Double(burst)
        self.perSecond = perSecond
    }

    /// Takes one join token for `address`; false means "429 Too Many Requests".
    public func consume(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { table in
            var bucket = refill(table[address], now: now)
            let allowed = bucket.tokens >= 1
            if allowed { bucket.tokens -= 1 }
            if table.count >= maxTracked && table[address] == nil {
                table = table.filter { refill($0.value, now: now).tokens < burst }
            }
            table[address] = bucket
            return allowed
        }
    }

    /// Whether `address` is out of tokens right now (without taking one).
    public func isLimited(_ address: String, now: ContinuousClock.Instant = .now) -> Bool {
        buckets.withLock { refill($0[address], now: now).tokens < 1 }
    }

    private func refill(_ bucket: Bucket?, now: ContinuousClock.Instant) -> Bucket {
        guard var bucket else { return Bucket(tokens: burst, updated: now) }
        let elapsed = now - bucket.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        bucket.tokens = min(burst, bucket.tokens + seconds * perSecond)
        bucket.updated = now
        return bucket
    }
}
