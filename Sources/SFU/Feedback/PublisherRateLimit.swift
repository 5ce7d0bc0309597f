/// REMB (draft-alvestrand-rmcat-remb) for a publisher that did not negotiate transport-wide
/// CC (aiortc, older stacks): its own estimator then has only our receiver reports, and a
/// congested uplink keeps losing packets. We estimate on the receive side, from the loss in our
/// reports and the rate that arrives, and use REMB as a *limit*, only while the uplink is in
/// trouble:
///
/// - On a clean path nothing is sent. A REMB is a target to aiortc's encoder, so sending one
///   on a clean path would not just allow but *raise* its bitrate (aiortc starts at 500 kbit/s
///   and takes any REMB up to 1.5 Mbit/s).
/// - Above 10 % loss the limit becomes what arrived less half the loss (the loss rule of
///   draft-ietf-rmcat-gcc-02 §6, applied to the arriving rate: the publisher's own rate is
///   unknown here), and is cut that way again with every lossy report.
/// - Between 2 and 10 % it holds; below 2 % it grows 25 % per report (one a second). That is
///   faster than GCC's 8 %/s: a step too far costs one report's worth of loss and is cut back,
///   while at 8 %/s a publisher would stay throttled for half a minute after a short dip.
/// - Once the limit is back at twice the rate the publisher sent before the trouble (its peak
///   over the last few reports), that is the last REMB. Twice, because an encoder on easy
///   content sends well under its target (aiortc's 500 kbit/s default gives ~250 kbit/s here):
///   a limit at the rate it sent would leave it throttled; to libwebrtc a REMB is only a cap.
struct PublisherRateLimit {
    static let minimumBitrate: Int64 = 50_000
    static let highLoss = 0.10
    static let lowLoss = 0.02
    static let growthPerReport = 1.25
    /// Reports whose arrival rate counts towards the pre-congestion peak.
    static let peakWindow = 5

    private var bytesInInterval = 0
    private var recentRates: [Int64] = []
    private(set) var bitrate: Int64 = 0
    /// The rate to release at, while limiting; nil on a clean path.
    private(set) var releaseBitrate: Int64?

    var isLimiting: Bool { releaseBitrate != nil }

    mutating func received(bytes: Int) { bytesInInterval += bytes }

    /// Closes a report interval of `intervalNanoseconds` in which the publisher's streams lost
    /// `fractionLost` (0-255, the worst stream); returns the REMB bitrate to send, if any.
    mutating func close(fractionLost: UInt8, intervalNanoseconds: Int64) -> Int64? {
        let arrived = Int64(bytesInInterval) * 8 * 1_000_000_000 / max(intervalNanoseconds, 1)
        bytesInInterval = 0
        let loss = Double(fractionLost) / 256
        guard let release = releaseBitrate else {
            guard loss > Self.highLoss else {
                recentRates.append(arrived)
                if recentRates.count > Self.peakWindow { recentRates.removeFirst() }
                return nil
            }
            // Trouble starts.
            let peak = max(recentRates.max() ?? arrived, arrived)
            releaseBitrate = max(2 * peak, Self.minimumBitrate)
            recentRates.removeAll()
            bitrate = max(Int64(Double(arrived) * (1 - 0.5 * loss)), Self.minimumBitrate)
            return bitrate
        }
        if loss > Self.highLoss {
            bitrate = max(Int64(Double(min(bitrate, arrived)) * (1 - 0.5 * loss)), Self.minimumBitrate)
        } else if loss < Self.lowLoss {
            bitrate = min(Int64(Double(bitrate) * Self.growthPerReport), release)
            if bitrate >= release { releaseBitrate = nil }
        }
        return bitrate
    }
}
