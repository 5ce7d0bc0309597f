/// NTP timestamps (RFC 5905 section 6, as carried in RTCP sender reports, RFC 3550 section
/// 6.4.1): 32 bits of seconds since 1900 and 32 bits of fraction.
public enum NTPTime {
    /// Seconds from 1900-01-01 (NTP era 0) to 1970-01-01 (Unix epoch).
    public static let unixEpochOffset: Int64 = 2_208_988_800

    /// Nanoseconds since 1900 for a 64-bit NTP timestamp.
    public static func nanoseconds(_ ntp: UInt64) -> Int64 {
        let seconds = Int64(ntp >> 32)
        let fraction = ntp & 0xFFFF_FFFF
        return seconds * 1_000_000_000 + Int64((fraction * 1_000_000_000) >> 32)
    }

    /// Nanoseconds since the Unix epoch for a 64-bit NTP timestamp.
    public static func unixNanoseconds(_ ntp: UInt64) -> Int64 {
        nanoseconds(ntp) - unixEpochOffset * 1_000_000_000
    }
}

/// Maps one RTP stream's timestamps to the sender's wallclock using RTCP sender reports:
/// each SR pairs an NTP time with the RTP timestamp of the same instant (RFC 3550 section
/// 6.4.1). Streams from one sender (a participant's audio and video) share that wallclock, so
/// mapping both through their SRs lines them up regardless of network delay.
///
/// Before the first SR the caller may anchor the stream on arrival times instead (with an
/// offset learnt from another stream's SR), so recording never waits forever.
public struct RTPClockMapping: Sendable {
    /// How the mapping was obtained.
    public enum Source: Sendable, Equatable {
        /// Not mapped yet.
        case none
        /// From an arrival time (approximate: includes network delay).
        case arrival
        /// From an RTCP sender report.
        case senderReport
    }

    /// The RTP clock rate (48 000 for Opus, 90 000 for video).
    public let clockRate: Int64
    /// Where the reference pair came from.
    public private(set) var source: Source = .none
    private var unwrapper = TimestampUnwrapper()
    private var referenceRTP: Int64 = 0
    private var referenceWallclock: Int64 = 0

    /// Creates a mapping for a stream with `clockRate`.
    public init(clockRate: Int) {
        self.clockRate = Int64(max(1, clockRate))
    }

    /// Unwraps a packet's RTP timestamp (advancing the wrap-around reference).
    public mutating func unwrap(_ timestamp: UInt32) -> Int64 {
        unwrapper.unwrap(timestamp)
    }

    /// Takes a sender report: `ntp` is the 64-bit NTP timestamp, `rtp` the RTP timestamp of
    /// the same instant.
    public mutating func senderReport(ntp: UInt64, rtp: UInt32) {
        referenceRTP = unwrapper.unwrap(rtp)
        referenceWallclock = NTPTime.unixNanoseconds(ntp)
        source = .senderReport
    }

    /// Anchors an unmapped stream: RTP timestamp `rtp` happened at `wallclock` (nanoseconds,
    /// the same time base sender reports map to). Ignored once an SR has been seen.
    public mutating func anchor(rtp: UInt32, wallclock: Int64) {
        guard source != .senderReport else { return }
        referenceRTP = unwrapper.peek(rtp)
        referenceWallclock = wallclock
        source = .arrival
    }

    /// The sender's wallclock (Unix nanoseconds) for an unwrapped RTP timestamp, or nil
    /// before any reference.
    public func wallclock(unwrapped timestamp: Int64) -> Int64? {
        guard source != .none else { return nil }
        let ticks = timestamp - referenceRTP
        return referenceWallclock + ticks * 1_000_000_000 / clockRate
    }
}
