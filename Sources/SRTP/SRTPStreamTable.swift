/// Per-SSRC state of one SRTP session (RFC 3711 §3.2.1 "cryptographic context" minus the keys,
/// which the session shares across SSRCs as libsrtp's "any SSRC" template does).
struct SRTPStreamState {
    var ssrc: UInt32
    /// Outbound: the last SRTCP index sent (0: none yet). Inbound: the highest SRTCP index accepted.
    var rtcpIndex: UInt32 = 0
    /// The highest 48-bit RTP packet index (ROC || SEQ) sent or accepted.
    var rtpIndex: UInt64 = 0
    var hasRTP = false
    var hasRTCP = false
}

/// SSRC -> stream state, in preallocated storage with a hard limit (no unbounded growth).
///
/// Open addressing over a power-of-two bucket array. Storage starts small and doubles, up to
/// `limit`, only when a new SSRC is admitted: inbound that happens only after a packet of that
/// SSRC authenticated, so unauthenticated input can never grow it. Streams are never evicted —
/// forgetting a stream would reset its ROC (an outbound keystream reuse) or reopen its replay
/// window (inbound) — so a full table refuses new SSRCs with `EVPSRTPSession.streamLimitErrorCode`.
///
/// Inbound tables also hold each stream's replay windows: 16 words (RTP) + 2 words (SRTCP).
final class SRTPStreamTable {
    let limit: Int
    let keepsReplayWindows: Bool
    private(set) var count = 0
    private var capacity = 0
    private var states: UnsafeMutablePointer<SRTPStreamState>
    private var windows: UnsafeMutablePointer<UInt64>
    private var buckets: UnsafeMutablePointer<Int32>
    private var bucketMask = 0

    static let windowWords = SRTPReplayWindow.rtpWords + SRTPReplayWindow.rtcpWords

    init(limit: Int, replayWindows: Bool) {
        self.limit = max(1, limit)
        keepsReplayWindows = replayWindows
        states = .allocate(capacity: 1)
        windows = .allocate(capacity: 1)
        buckets = .allocate(capacity: 1)
        resize(to: min(self.limit, 8))
    }

    deinit {
        states.deinitialize(count: count)
        states.deallocate()
        windows.deallocate()
        buckets.deallocate()
    }

    var isFull: Bool { count >= limit }

    /// The slot of `ssrc`, if it has one.
    @inline(__always)
    func find(_ ssrc: UInt32) -> Int? {
        var b = bucket(ssrc)
        while true {
            let slot = Int(buckets[b])
            if slot < 0 { return nil }
            if states[slot].ssrc == ssrc { return slot }
            b = (b + 1) & bucketMask
        }
    }

    /// Admits `ssrc` (which must not be present); nil when the table is full.
    func insert(_ ssrc: UInt32) -> Int? {
        guard count < limit else { return nil }
        if count == capacity { resize(to: min(limit, capacity * 2)) }
        let slot = count
        (states + slot).initialize(to: SRTPStreamState(ssrc: ssrc))
        if keepsReplayWindows {
            (windows + slot * Self.windowWords).update(repeating: 0, count: Self.windowWords)
        }
        place(ssrc, slot)
        count += 1
        return slot
    }

    @inline(__always)
    func state(_ slot: Int) -> UnsafeMutablePointer<SRTPStreamState> { states + slot }

    /// RTP replay window of an inbound stream (`SRTPReplayWindow.rtpWords` words).
    @inline(__always)
    func rtpWindow(_ slot: Int) -> UnsafeMutablePointer<UInt64> { windows + slot * Self.windowWords }

    /// SRTCP replay window of an inbound stream (`SRTPReplayWindow.rtcpWords` words).
    @inline(__always)
    func rtcpWindow(_ slot: Int) -> UnsafeMutablePointer<UInt64> {
        windows + slot * Self.windowWords + SRTPReplayWindow.rtpWords
    }

    // MARK: -

    @inline(__always)
    private func bucket(_ ssrc: UInt32) -> Int {
        // Fibonacci hashing: SSRCs are random, but a peer chooses them, so mix anyway.
        Int(truncatingIfNeeded: (UInt64(ssrc) &* 0x9E37_79B9_7F4A_7C15) >> 32) & bucketMask
    }

    private func place(_ ssrc: UInt32, _ slot: Int) {
        var b = bucket(ssrc)
        while buckets[b] >= 0 { b = (b + 1) & bucketMask }
        buckets[b] = Int32(slot)
    }

    /// Moves everything to storage for `newCapacity` streams (set-up or admission only).
    private func resize(to newCapacity: Int) {
        let newStates = UnsafeMutablePointer<SRTPStreamState>.allocate(capacity: newCapacity)
        newStates.moveInitialize(from: states, count: count)
        states.deallocate()
        states = newStates

        let words = keepsReplayWindows ? newCapacity * Self.windowWords : 1
        let newWindows = UnsafeMutablePointer<UInt64>.allocate(capacity: words)
        newWindows.initialize(repeating: 0, count: words)
        if keepsReplayWindows && count > 0 { newWindows.update(from: windows, count: count * Self.windowWords) }
        windows.deallocate()
        windows = newWindows

        var bucketCount = 4
        while bucketCount < 2 * newCapacity { bucketCount <<= 1 }  // load factor <= 1/2
        buckets.deallocate()
        buckets = .allocate(capacity: bucketCount)
        buckets.initialize(repeating: -1, count: bucketCount)
        bucketMask = bucketCount - 1
        capacity = newCapacity
        for slot in 0..<count { place(states[slot].ssrc, slot) }
    }
}
