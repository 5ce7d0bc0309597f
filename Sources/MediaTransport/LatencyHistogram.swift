import Glibc

/// Nanoseconds on CLOCK_MONOTONIC: the media loop's timestamps for arrivals and sends.
@inline(__always)
public func monotonicNanoseconds() -> Int64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Int64(ts.tv_sec) * 1_000_000_000 + Int64(ts.tv_nsec)
}

/// A fixed-bucket latency histogram in nanoseconds (Prometheus style: cumulative `le` buckets
/// when exported). Four buckets per octave from 1 µs to about 1 s, so percentiles read from it
/// are within ±9% of the true value; recording is an index computation and an increment.
///
/// Ownership: mutated on the media loop only; copies are published for readers.
public struct LatencyHistogram: Sendable, Equatable {
    /// Upper bounds in nanoseconds, ascending; the last bucket is +Inf.
    public static let upperBounds: [Int64] = {
        var bounds: [Int64] = []
        var value = 1000.0
        while value < 1.1e9 {
            bounds.append(Int64(value.rounded()))
            value *= 1.189207115002721 // 2^(1/4)
        }
        return bounds
    }()

    public private(set) var counts: [UInt64]
    public private(set) var count: UInt64 = 0
    public private(set) var sum: Int64 = 0

    public init() { counts = Array(repeating: 0, count: Self.upperBounds.count + 1) }

    public mutating func record(nanoseconds: Int64) {
        let value = max(nanoseconds, 0)
        counts[Self.bucket(for: value)] &+= 1
        count &+= 1
        sum &+= value
    }

    /// Bucket index: below 1 µs -> 0; then log2 in quarter octaves.
    public static func bucket(for value: Int64) -> Int {
        if value <= upperBounds[0] { return 0 }
        // Octaves above 1 µs from the leading bit, then the quarter within the octave by search.
        let octave = max(0, (63 - (value / 1000).leadingZeroBitCount))
        var i = min(octave * 4, upperBounds.count - 1)
        while i > 0 && upperBounds[i - 1] >= value { i -= 1 }
        while i < upperBounds.count && upperBounds[i] < value { i += 1 }
        return i
    }

    /// The value below which `quantile` (0...1) of the samples fall: the bucket's upper bound.
    public func percentile(_ quantile: Double) -> Int64? {
        guard count > 0 else { return nil }
        let target = UInt64((Double(count) * quantile).rounded(.up))
        var seen: UInt64 = 0
        for (i, c) in counts.enumerated() {
            seen += c
            if seen >= max(target, 1) { return i < Self.upperBounds.count ? Self.upperBounds[i] : Int64.max }
        }
        return Int64.max
    }

    public static func - (lhs: LatencyHistogram, rhs: LatencyHistogram) -> LatencyHistogram {
        var out = LatencyHistogram()
        for i in out.counts.indices { out.counts[i] = lhs.counts[i] &- rhs.counts[i] }
        out.count = lhs.count &- rhs.count
        out.sum = lhs.sum &- rhs.sum
        return out
    }
}
