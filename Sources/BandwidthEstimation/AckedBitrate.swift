/// Throughput the receiver actually got: bytes of acknowledged packets over a sliding window
/// of arrival time. The delay-based controller backs off relative to this (§5.5: "A_hat").
public struct AckedBitrate: Sendable {
    public let windowUs: Int64
    private var ring: [(arrivalUs: Int64, size: Int)]
    private var head = 0
    private var count = 0
    private var bytesInWindow = 0

    public init(windowUs: Int64 = 500_000, capacity: Int = 2048) {
        self.windowUs = windowUs
        ring = Array(repeating: (0, 0), count: capacity)
    }

    public mutating func add(arrivalUs: Int64, size: Int) {
        if count == ring.count { dropOldest() }
        ring[(head + count) % ring.count] = (arrivalUs, size)
        count += 1
        bytesInWindow += size
        while count > 0 && ring[head].arrivalUs < arrivalUs - windowUs { dropOldest() }
    }

    private mutating func dropOldest() {
        bytesInWindow -= ring[head].size
        head = (head + 1) % ring.count
        count -= 1
    }

    /// Bits per second over the window, or nil until the window spans at least half of itself.
    public var bitsPerSecond: Int64? {
        guard count >= 2 else { return nil }
        let newest = ring[(head + count - 1) % ring.count].arrivalUs
        let span = max(newest - ring[head].arrivalUs, windowUs / 2)
        guard newest - ring[head].arrivalUs >= windowUs / 4 else { return nil }
        return Int64(bytesInWindow) * 8 * 1_000_000 / span
    }
}
