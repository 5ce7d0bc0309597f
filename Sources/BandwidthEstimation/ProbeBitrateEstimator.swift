/// Measures what a probe cluster got through: the rate its packets were sent at and the rate
/// they arrived at. The path carries at least the lower of the two (the arrival rate when
/// the probe overran the bottleneck, which then spreads the packets out).
public struct ProbeBitrateEstimator: Sendable {
    struct Cluster {
        var id: Int
        var firstSendUs = Int64.max, lastSendUs = Int64.min
        var firstArrivalUs = Int64.max, lastArrivalUs = Int64.min
        var sizeFirstSend = 0, sizeLastArrival = 0
        var bytes = 0
        var packets = 0
        /// Packets sent in the cluster (0: not known, e.g. only arrivals recorded).
        var sent = 0
    }

    /// A cluster counts once this many of its packets have arrived.
    public var minimumPackets = 5
    /// For probes sent in bursts (one per media-loop tick) rather than paced packet by packet:
    /// the time between bursts. Each burst then stands for that much time, so the rates are
    /// all bytes over the span plus one burst interval (a partial cluster measures right too);
    /// 0 for paced probes.
    public var burstIntervalUs: Int64 = 0
    private var clusters: [Cluster] = []

    /// A cluster whose sends are known counts only once this share of them has arrived (as in
    /// libwebrtc): a probe that lost much of itself to a policer would otherwise measure the
    /// burst the policer let through, not what the path carries.
    public var minimumArrivedShare = 0.8

    public init() {}

    /// Counts a probe packet sent in cluster `id`.
    public mutating func sent(cluster id: Int) {
        let index = self.index(of: id)
        clusters[index].sent += 1
    }

    private mutating func index(of id: Int) -> Int {
        if let index = clusters.firstIndex(where: { $0.id == id }) { return index }
        if clusters.count >= 8 { clusters.removeFirst() }
        clusters.append(Cluster(id: id))
        return clusters.count - 1
    }

    /// Adds an arrived probe packet; returns the cluster's bitrate once it is measurable.
    public mutating func add(cluster id: Int, sendUs: Int64, arrivalUs: Int64, size: Int) -> Int64? {
        let index = self.index(of: id)
        var cluster = clusters[index]
        if sendUs < cluster.firstSendUs { cluster.firstSendUs = sendUs; cluster.sizeFirstSend = size }
        cluster.lastSendUs = max(cluster.lastSendUs, sendUs)
        cluster.firstArrivalUs = min(cluster.firstArrivalUs, arrivalUs)
        if arrivalUs > cluster.lastArrivalUs { cluster.lastArrivalUs = arrivalUs; cluster.sizeLastArrival = size }
        cluster.bytes += size
        cluster.packets += 1
        clusters[index] = cluster
        guard cluster.packets >= minimumPackets else { return nil }
        if cluster.sent > 0 && Double(cluster.packets) < minimumArrivedShare * Double(cluster.sent) { return nil }
        if burstIntervalUs > 0 {
            let sendRate = Int64(cluster.bytes) * 8 * 1_000_000 / (cluster.lastSendUs - cluster.firstSendUs + burstIntervalUs)
            let receiveRate = Int64(cluster.bytes) * 8 * 1_000_000 / (cluster.lastArrivalUs - cluster.firstArrivalUs + burstIntervalUs)
            return min(sendRate, receiveRate)
        }
        let sendInterval = cluster.lastSendUs - cluster.firstSendUs
        let receiveInterval = cluster.lastArrivalUs - cluster.firstArrivalUs
        guard sendInterval > 0, receiveInterval > 0 else { return nil }
        // The last packet sent and the first received bound the intervals: leave them out.
        let sendRate = Int64(cluster.bytes - cluster.sizeLastArrival) * 8 * 1_000_000 / sendInterval
        let receiveRate = Int64(cluster.bytes - cluster.sizeFirstSend) * 8 * 1_000_000 / receiveInterval
        return min(sendRate, receiveRate)
    }
}

/// When to probe for more bandwidth: once at the start (at 3x the initial estimate), and
/// again whenever what the subscription wants is above the estimate and the path looks calm
/// (no over-use, low loss), at most every `intervalUs`. Probes go up in steps of 2x the
/// estimate and never above the configured maximum.
public struct ProbeController: Sendable {
    public struct Probe: Sendable, Equatable {
        public var cluster: Int
        public var bitrate: Int64
        /// Packets to send at `bitrate`, back to back at that pacing (about 15-40 ms of data).
        public var packets: Int
    }

    public var intervalUs: Int64 = 3_000_000
    public var maxBitrate: Int64
    private var nextCluster = 1
    private var lastProbeUs: Int64?
    private var startedProbing = false

    public init(maxBitrate: Int64) {
        self.maxBitrate = maxBitrate
    }

    /// A probe to send now, if one is due.
    public mutating func probe(estimate: Int64, desired: Int64, calm: Bool, nowUs: Int64) -> Probe? {
        if !startedProbing {
            startedProbing = true
            return make(bitrate: estimate * 3, nowUs: nowUs)
        }
        guard calm, desired > estimate, estimate < maxBitrate else { return nil }
        if let last = lastProbeUs, nowUs - last < intervalUs { return nil }
        return make(bitrate: min(max(estimate * 2, estimate + 100_000), desired * 2), nowUs: nowUs)
    }

    private mutating func make(bitrate: Int64, nowUs: Int64) -> Probe? {
        let capped = min(bitrate, maxBitrate)
        guard capped > 0 else { return nil }
        lastProbeUs = nowUs
        defer { nextCluster += 1 }
        // 30 ms worth at the probe rate, at least 5 and at most 40 1200-byte packets.
        let packets = min(max(Int(capped * 30 / 1000 / (1200 * 8)), 5), 40)
        return Probe(cluster: nextCluster, bitrate: capped, packets: packets)
    }
}
