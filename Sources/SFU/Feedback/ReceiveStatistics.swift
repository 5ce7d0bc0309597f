import RTCP

/// Reception statistics of one incoming RTP stream, as RFC 3550 §6.4.1 and Appendix A.1, A.3
/// and A.8 define them: extended highest sequence number, cumulative and fractional loss,
/// interarrival jitter, and the LSR/DLSR pair that lets the sender compute the round trip.
///
/// Ownership: media loop thread only. Plain value; recording a packet allocates nothing.
struct ReceiveStatistics {
    let clockRate: UInt32
    private var started = false
    /// Whether any packet has arrived.
    var hasStarted: Bool { started }
    private var baseSequence: UInt32 = 0
    private var maxSequence: UInt16 = 0
    private var cycles: UInt32 = 0
    private(set) var received: UInt32 = 0
    private var expectedPrior: UInt32 = 0
    private var receivedPrior: UInt32 = 0
    /// The same pair for connection-quality windows, which run on their own clock.
    private var qualityExpectedPrior: Int64 = 0
    private var qualityReceivedPrior: UInt32 = 0
    /// Interarrival jitter in timestamp units, scaled by 16 (A.8's integer form).
    private var jitterQ4: Int64 = 0
    private var lastTransit: Int64 = 0
    private var haveTransit = false
    private var lastTimestamp: UInt32 = 0
    /// Middle 32 bits of the NTP time of the last sender report, and when it arrived (ns).
    private var lastSenderReport: UInt32 = 0
    private var lastSenderReportArrival: Int64 = 0

    init(clockRate: UInt32) { self.clockRate = max(clockRate, 1) }

    /// Counts one packet (duplicates and retransmissions included, as RFC 3550 counts them).
    mutating func record(sequence: UInt16, timestamp: UInt32, arrival: Int64) {
        if !started {
            started = true
            baseSequence = UInt32(sequence)
            maxSequence = sequence
            lastTimestamp = timestamp &- 1
        } else if Int16(bitPattern: sequence &- maxSequence) > 0 {
            if sequence < maxSequence { cycles &+= 1 << 16 }
            maxSequence = sequence
        }
        received &+= 1
        // Jitter from packets that start a new timestamp only: packets of one video frame share
        // a timestamp but not an arrival time, which is send pacing, not network jitter.
        guard timestamp != lastTimestamp else { return }
        lastTimestamp = timestamp
        let arrivalUnits = (arrival / 1000) &* Int64(clockRate) / 1_000_000
        let transit = arrivalUnits &- Int64(timestamp)
        if haveTransit {
            var d = transit &- lastTransit
            // The timestamp is 32-bit: fold a wrapped difference back into range.
            d = Int64(Int32(truncatingIfNeeded: d))
            jitterQ4 += abs(d) - ((jitterQ4 + 8) >> 4)
        }
        lastTransit = transit
        haveTransit = true
    }

    /// Notes a sender report for this stream (for LSR/DLSR in our next report block).
    mutating func recordSenderReport(ntpTimestamp: UInt64, arrival: Int64) {
        lastSenderReport = UInt32(truncatingIfNeeded: ntpTimestamp >> 16)
        lastSenderReportArrival = arrival
    }

    var extendedHighestSequence: UInt32 { cycles &+ UInt32(maxSequence) }

    /// Packets expected and lost since the last call (connection quality).
    mutating func takeQualityWindow() -> (expected: Int, lost: Int) {
        guard started else { return (0, 0) }
        let expected = Int64(extendedHighestSequence) - Int64(baseSequence) + 1
        let expectedInterval = expected - qualityExpectedPrior
        let receivedInterval = Int64(received &- qualityReceivedPrior)
        qualityExpectedPrior = expected
        qualityReceivedPrior = received
        return (Int(max(expectedInterval, 0)), Int(max(expectedInterval - receivedInterval, 0)))
    }
    var jitter: UInt32 { UInt32(clamping: jitterQ4 >> 4) }

    /// A reception report block for `ssrc` as of `now`; resets the interval counters used for
    /// the fraction lost (RFC 3550 A.3).
    mutating func makeReportBlock(ssrc: UInt32, now: Int64) -> ReceptionReport? {
        guard started else { return nil }
        let expected = Int64(extendedHighestSequence) - Int64(baseSequence) + 1
        let lost = expected - Int64(received)
        // 24-bit signed field: clamp (A.3).
        let cumulative = Int32(max(min(lost, 0x7FFFFF), -0x800000))
        let expectedInterval = Int64(UInt32(truncatingIfNeeded: expected) &- expectedPrior)
        let receivedInterval = Int64(received &- receivedPrior)
        expectedPrior = UInt32(truncatingIfNeeded: expected)
        receivedPrior = received
        let lostInterval = expectedInterval - receivedInterval
        let fraction: UInt8 = expectedInterval == 0 || lostInterval <= 0 ? 0 : UInt8(min(255, (lostInterval << 8) / expectedInterval))
        var dlsr: UInt32 = 0
        if lastSenderReportArrival != 0 {
            // Units of 1/65536 s.
            dlsr = UInt32(clamping: (now - lastSenderReportArrival) * 65536 / 1_000_000_000)
        }
        return ReceptionReport(ssrc: ssrc, fractionLost: fraction, cumulativeLost: cumulative,
                               extendedHighestSequenceNumber: extendedHighestSequence, jitter: jitter,
                               lastSenderReport: lastSenderReport, delaySinceLastSenderReport: dlsr)
    }
}
