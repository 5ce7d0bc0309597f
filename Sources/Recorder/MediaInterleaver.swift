/// Merges the frames of several tracks into one timestamp order for muxing: a frame leaves
/// once every active lane has something queued (so nothing earlier can still come), or once
/// it has waited `maxDelay`, or when more than `maxItems` are queued (bounded memory).
struct MediaInterleaver<Item> {
    private struct Entry {
        var time: Int64
        var inserted: Int64
        var item: Item
    }

    let maxDelay: Int64
    let maxItems: Int
    /// Lanes still expected to produce; a frame waits for the others only while they are.
    var activeLanes: [Bool]
    private var lanes: [[Entry]]
    private var heads: [Int]
    private(set) var count = 0

    init(lanes: Int, maxDelay: Int64, maxItems: Int) {
        self.maxDelay = maxDelay
        self.maxItems = max(1, maxItems)
        self.lanes = Array(repeating: [], count: lanes)
        heads = Array(repeating: 0, count: lanes)
        activeLanes = Array(repeating: true, count: lanes)
    }

    /// Queues `item` at `time` on `lane` (times within a lane must not decrease).
    mutating func push(lane: Int, time: Int64, item: Item, now: Int64) {
        lanes[lane].append(Entry(time: time, inserted: now, item: item))
        count += 1
    }

    /// The next item in time order if it may leave now.
    mutating func pop(now: Int64) -> (lane: Int, time: Int64, item: Item)? {
        var best: Int?
        var allQueued = true
        for lane in lanes.indices {
            if heads[lane] < lanes[lane].count {
                if best == nil || lanes[lane][heads[lane]].time < lanes[best!][heads[best!]].time { best = lane }
            } else if activeLanes[lane] {
                allQueued = false
            }
        }
        guard let lane = best else { return nil }
        let entry = lanes[lane][heads[lane]]
        guard allQueued || now - entry.inserted >= maxDelay || count > maxItems else { return nil }
        heads[lane] += 1
        count -= 1
        if heads[lane] == lanes[lane].count {
            lanes[lane].removeAll(keepingCapacity: true)
            heads[lane] = 0
        } else if heads[lane] >= 256 {
            lanes[lane].removeFirst(heads[lane])
            heads[lane] = 0
        }
        return (lane, entry.time, entry.item)
    }
}
