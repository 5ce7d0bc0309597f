/// NTP <-> RTP time of one RTP stream, from its sender's last RTCP sender report (RFC 3550
/// §6.4.1), kept so the server can send its own sender reports for the same timeline to each
/// subscriber: receivers need them to play audio and video of one publisher in sync.
struct SenderReportMapping {
    var ntpTimestamp: UInt64
    var rtpTimestamp: UInt32
    /// When the report arrived (monotonic ns).
    var arrival: Int64

    /// The (NTP, RTP) pair for `now`, extrapolated from the report by the time since it came.
    func extrapolated(to now: Int64, clockRate: UInt32) -> (ntp: UInt64, rtp: UInt32) {
        let elapsed = max(0, now - arrival)
        // NTP: 32.32 fixed point seconds.
        let seconds = UInt64(elapsed / 1_000_000_000)
        let fraction = UInt64(elapsed % 1_000_000_000) << 32 / 1_000_000_000
        let ntp = ntpTimestamp &+ (seconds << 32) &+ fraction
        let ticks = UInt32(truncatingIfNeeded: Int64(clockRate) * (elapsed / 1000) / 1_000_000)
        return (ntp, rtpTimestamp &+ ticks)
    }
}
