import ConnectionQuality
import Synchronization

/// Participants per connection-quality level across all rooms, for /metrics.
public final class QualityCounts: Sendable {
    private let counts = Mutex<[QualityLevel: Int]>([:])

    public init() {}

    func store(_ levels: [QualityLevel: Int]) { counts.withLock { $0 = levels } }

    public subscript(level: QualityLevel) -> Int { counts.withLock { $0[level] ?? 0 } }
}
