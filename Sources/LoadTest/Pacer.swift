/// A publisher's send pacing, modelled on libwebrtc's pacer (modules/pacing/pacing_controller,
/// "media debt" mode with its default 40 ms send burst interval), which every browser and
/// LiveKit SDK publishes through. Sent video bytes become debt, paid off at `factor` × the
/// stream's bitrate (libwebrtc's pace multiplier is 2.5). A packet may leave while the debt is
/// worth less than one burst interval. Once it is worth more, libwebrtc's next send time is when
/// the debt is paid off entirely, unless a new packet (a frame, or an audio packet) wakes the
/// pacer first: then it looks again at the debt left, and sends if that is under a burst.
/// A frame worth less than one burst goes out at once; a bigger one (a large keyframe, or any
/// frame at a low bitrate) is spread over the next tens of milliseconds. Without a pacer a load
/// generator sends every frame back to back, which no real client does.
struct Pacer: Sendable {
    /// Pacing rate in bytes per nanosecond; 0 sends everything at once.
    let bytesPerNanosecond: Double
    /// How far ahead of the rate sending may run, in bytes (rate × burst interval).
    let burstBytes: Double
    /// Bytes sent and not yet paid off at the pacing rate.
    private(set) var debt: Double = 0
    /// The debt passed a burst: nothing leaves until it is paid off.
    private var blocked = false
    private var updatedAt: Int64

    /// libwebrtc's default send burst interval (PacingController::kDefaultBurstInterval).
    static let defaultBurstInterval: Int64 = 40_000_000

    /// `bitsPerSecond`: what the paced streams send on average; `factor` 0 turns pacing off.
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
        if blocked {
            guard debt <= 0 else { return false }
            blocked = false
        }
        return debt < burstBytes
    }

    /// A packet was queued (libwebrtc processes its queue on every enqueue): a debt that went
    /// back under one burst lets packets leave again without waiting for the rest to be paid.
    mutating func wake(now: Int64) {
        guard isOn else { return }
        drain(now: now)
        if blocked && debt < burstBytes { blocked = false }
    }

    /// When the next packet may leave, if `maySend(now:)` just said no.
    func nextSendTime(now: Int64) -> Int64 {
        guard isOn, blocked || debt >= burstBytes else { return now }
        // libwebrtc: the last process time plus the time to pay off the whole debt.
        return max(now, updatedAt + Int64((debt / bytesPerNanosecond).rounded(.up)) + 1)
    }

    /// Counts a paced packet that left. (libwebrtc charges audio only when it takes part in
    /// bandwidth estimation, off by default; the pump sends audio around the pacer.)
    mutating func sent(bytes: Int, now: Int64) {
        guard isOn else { return }
        drain(now: now)
        debt += Double(bytes)
        if debt >= burstBytes { blocked = true }
    }

    private mutating func drain(now: Int64) {
        if now > updatedAt {
            debt = max(0, debt - Double(now - updatedAt) * bytesPerNanosecond)
            updatedAt = now
        }
    }
}
