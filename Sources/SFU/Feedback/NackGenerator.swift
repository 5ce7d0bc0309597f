/// Finds packets missing from one incoming stream and decides when to ask for them again
/// (generic NACK, RFC 4585 §6.2.1). A gap is requested at the next feedback tick, then again
/// every retry interval (at least the round trip) until the packet arrives, `maxRetries` is
/// reached, or it is older than `maxAge` (too late to help the decoder).
///
/// Ownership: media loop thread only. Storage is reserved up front: no allocation per packet.
struct NackGenerator {
    struct Missing {
        var sequence: UInt16
        var firstMissed: Int64
        var lastRequested: Int64
        var requests: Int
    }

    static let capacity = 256
    static let maxRetries = 8
    static let maxAge: Int64 = 1_000_000_000
    static let minRetryInterval: Int64 = 30_000_000

    private var started = false
    private var highest: UInt16 = 0
    private(set) var missing: [Missing] = []
    /// Packets first requested (not counting retries), for the counters.
    private(set) var requested = 0
    private(set) var recovered = 0

    init() { missing.reserveCapacity(Self.capacity) }

    /// Notes an arrival: a jump ahead records the skipped numbers as missing, a late arrival
    /// clears its entry. Returns whether it was a missing packet arriving (recovered).
    @discardableResult
    mutating func record(sequence: UInt16, arrival: Int64) -> Bool {
        guard started else {
            started = true
            highest = sequence
            return false
        }
        let delta = Int(Int16(bitPattern: sequence &- highest))
        if delta > 0 {
            if delta > Self.capacity {
                // A jump this large is a restart or a long outage: asking is pointless.
                missing.removeAll(keepingCapacity: true)
            } else {
                var s = highest &+ 1
                while s != sequence {
                    if missing.count == Self.capacity { missing.removeFirst() }
                    missing.append(Missing(sequence: s, firstMissed: arrival, lastRequested: 0, requests: 0))
                    s &+= 1
                }
            }
            highest = sequence
        } else if delta < 0, let i = missing.firstIndex(where: { $0.sequence == sequence }) {
            missing.remove(at: i)
            recovered += 1
            return true
        }
        return false
    }

    /// Appends the sequence numbers to request now to `out`, and forgets hopeless ones.
    mutating func due(now: Int64, roundTrip: Int64, into out: inout [UInt16]) {
        guard !missing.isEmpty else { return }
        let retryInterval = max(Self.minRetryInterval, roundTrip + roundTrip / 2)
        var i = 0
        while i < missing.count {
            if missing[i].requests >= Self.maxRetries || now - missing[i].firstMissed > Self.maxAge {
                missing.remove(at: i)
                continue
            }
            if missing[i].requests == 0 || now - missing[i].lastRequested >= retryInterval {
                if missing[i].requests == 0 { requested += 1 }
                missing[i].requests += 1
                missing[i].lastRequested = now
                out.append(missing[i].sequence)
            }
            i += 1
        }
    }
}
