/// A publisher's send pacing, modelled on libwebrtc's pacer (modules/pacing/pacing_controller,
/// "media debt" mode), which every browser and LiveKit SDK publishes through: packets leave at
/// `factor` × the stream's bitrate (libwebrtc's pace multiplier is 2.5), and the pacer may run
/// ahead by one burst interval's worth of data (40 ms by default). A delta frame of a few
/// packets therefore goes out at once; a keyframe goes out as a burst of about 40 ms × rate,
/// then one packet at a time. Without it, a load generator sends every keyframe's 30-40 packets
/// back to back, which no real client does, and the server's latency tail measures that burst.
struct Pacer: Sendable {
    /// Pacing rate in bytes per nanosecond; 0 sends everything at once.
    let bytesPerNanosecond: Double
    /// How far ahead of the rate sending may run, in bytes (rate × burst interval).
    let burstBytes: Double
    /// Bytes sent and not yet "paid off" at the pacing rate.
    private(set) var debt: Double = 0
    private var updatedAt: Int64

    /// libwebrtc's default send burst interval (PacingController::kDefaultBurstInterval).
    static let defaultBurstInterval: Int64 = 40_000_000

    /// `bitsPerSecond`: what the stream sends on average; `factor` 0 turns pacing off.
    init(bitsPerSecond: Double, factor: Double, burstInterval: Int64 = Pacer.defaultBurstInterval, now: Int64) {
        bytesPerNanosecond = factor > 0 ? bitsPerSecond * factor / 8 / 1e9 : 0
        burstBytes = bytesPerNanosecond * Double(burstInterval)
        updatedAt = now
    }

    var isOn: Bool { bytesPerNanosecond > 0 }

    /// Whether a packet may leave at `now` (always, with pacing off).
    mutating func maySend(now: Int64) -> Bool {
        guard isOn else { return true }
        drain(now: now)
        return debt < burstBytes
    }

    /// When the next packet may leave, if `maySend` said no.
    func nextSendTime(now: Int64) -> Int64 {
        guard isOn, debt >= burstBytes else { return now }
        return now + Int64(((debt - burstBytes) / bytesPerNanosecond).rounded(.up)) + 1
    }

    /// Counts a packet that left (paced or not: libwebrtc charges unpaced audio too).
    mutating func sent(bytes: Int, now: Int64) {
        guard isOn else { return }
        drain(now: now)
        debt += Double(bytes)
    }

    private mutating func drain(now: Int64) {
        if now > updatedAt {
            debt = max(0, debt - Double(now - updatedAt) * bytesPerNanosecond)
            updatedAt = now
        }
    }
}
