import Foundation

/// The loss-based controller (draft-ietf-rmcat-gcc-02 §6): over each evaluation interval,
/// loss above 10 % cuts the rate by half the loss fraction, loss below 2 % lets it grow
/// (8 %/s, continuous in time rather than per report, since transport-wide feedback comes
/// every 50 ms), and in between it holds. Growth never passes `ceiling` (the delay-based
/// estimate), as in libwebrtc, so the two controllers do not run apart.
public struct LossBasedControl: Sendable {
    public static let highLoss = 0.10
    public static let lowLoss = 0.02
    /// Evaluate after at least this many reported packets and this much time.
    public var minimumPackets = 20
    public var minimumIntervalUs: Int64 = 200_000

    public private(set) var bitrate: Int64
    public private(set) var lastLossFraction = 0.0
    private var reported = 0
    private var lost = 0
    private var lastEvaluationUs: Int64?
    private var lastDecreaseUs: Int64?

    public init(initialBitrate: Int64) {
        bitrate = initialBitrate
    }

    /// Counts packets that feedback reported (received or lost).
    public mutating func add(reported: Int, lost: Int) {
        self.reported += reported
        self.lost += lost
    }

    /// Evaluates when enough was reported; returns whether the rate changed.
    @discardableResult
    public mutating func evaluate(nowUs: Int64, ceiling: Int64, rttUs: Int64) -> Bool {
        let since = lastEvaluationUs ?? (nowUs - minimumIntervalUs)
        guard reported >= minimumPackets, nowUs - since >= minimumIntervalUs else { return false }
        let fraction = Double(lost) / Double(reported)
        lastLossFraction = fraction
        reported = 0
        lost = 0
        lastEvaluationUs = nowUs
        let before = bitrate
        if fraction > Self.highLoss {
            // At most one cut per RTT (plus a margin): feedback about packets sent before the
            // previous cut must not cut again.
            if lastDecreaseUs == nil || nowUs - lastDecreaseUs! >= rttUs + 300_000 {
                bitrate = Int64(Double(bitrate) * (1 - 0.5 * fraction))
                lastDecreaseUs = nowUs
            }
        } else if fraction < Self.lowLoss {
            // At most a second's growth per evaluation: after a long silence the rate must not
            // jump (nor the Double overflow Int64).
            let seconds = min(Double(nowUs - since) / 1_000_000, 1)
            let grown = Int64(min(Double(bitrate) * pow(1.08, seconds) + 1000, Double(max(ceiling, bitrate))))
            bitrate = max(bitrate, min(grown, ceiling))
        }
        return bitrate != before
    }

    /// Receiver reports (no transport-wide feedback): the fraction lost they carry.
    public mutating func add(fractionLost: UInt8, packets: Int) {
        let lostPackets = Int((Double(fractionLost) / 256 * Double(packets)).rounded())
        add(reported: packets, lost: lostPackets)
    }

    /// A probe measured more than the current rate: take it.
    public mutating func raise(to rate: Int64) {
        bitrate = max(bitrate, rate)
    }

    public mutating func clamp(min lower: Int64, max upper: Int64) {
        bitrate = Swift.min(Swift.max(bitrate, lower), upper)
    }
}
