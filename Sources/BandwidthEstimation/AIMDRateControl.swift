import Foundation

/// The delay-based rate controller (draft-ietf-rmcat-gcc-02 §5.5): a state machine driven by
/// the over-use signal. Over-use: decrease to β·(acked bitrate). Normal: increase —
/// multiplicatively (8 %/s) while far from the last known link capacity, additively (about
/// one packet per response time) near it. Under-use: hold, letting queues drain.
public struct AIMDRateControl: Sendable {
    public enum State: Sendable, Equatable { case hold, increase, decrease }

    public var minBitrate: Int64
    public var maxBitrate: Int64
    public let beta = 0.85
    public private(set) var state: State = .increase
    public private(set) var bitrate: Int64
    /// Running average (and variance) of the acked bitrate at decreases: the link capacity.
    private var capacityEstimate: Double?
    private var capacityVariance = 0.4
    private var lastChangeUs: Int64?
    private var lastDecreaseUs: Int64?
    /// Round-trip time used for the additive increase's response time.
    public var rttUs: Int64 = 100_000

    public init(initialBitrate: Int64, minBitrate: Int64, maxBitrate: Int64) {
        self.minBitrate = minBitrate
        self.maxBitrate = maxBitrate
        bitrate = min(max(initialBitrate, minBitrate), maxBitrate)
    }

    /// Applies the detector's signal at `nowUs` with the current acked bitrate.
    @discardableResult
    public mutating func update(usage: TrendlineEstimator.Usage, ackedBitrate: Int64?, nowUs: Int64) -> Int64 {
        switch usage {
        case .overusing: if state != .decrease { state = .decrease }
        case .underusing: state = .hold
        case .normal: if state == .hold || state == .decrease { state = .increase }
        }
        let elapsedUs = min(nowUs - (lastChangeUs ?? nowUs), 1_000_000)
        switch state {
        case .hold:
            break
        case .increase:
            if let acked = ackedBitrate, let capacity = capacityEstimate,
               Double(acked) > capacity + 3 * capacityStandardDeviation(capacity) {
                capacityEstimate = nil  // the link got faster: search multiplicatively again
            }
            if capacityEstimate != nil {
                bitrate += additiveIncrease(elapsedUs: elapsedUs)
            } else {
                bitrate += multiplicativeIncrease(elapsedUs: elapsedUs)
            }
            // Never run far ahead of what actually gets through.
            if let acked = ackedBitrate { bitrate = min(bitrate, Int64(1.5 * Double(acked)) + 10_000) }
        case .decrease:
            // One decrease per over-use episode, at most once per RTT.
            if lastDecreaseUs == nil || nowUs - lastDecreaseUs! >= max(rttUs, 50_000) {
                let base = ackedBitrate ?? bitrate
                var target = Int64(beta * Double(base))
                if target > bitrate { target = bitrate }
                updateCapacity(Double(base))
                bitrate = target
                lastDecreaseUs = nowUs
            }
            state = .hold
        }
        bitrate = min(max(bitrate, minBitrate), maxBitrate)
        lastChangeUs = nowUs
        return bitrate
    }

    /// A loss- or REMB-imposed limit also becomes the controller's rate, so it does not keep
    /// climbing above what the link takes.
    public mutating func clamp(to limit: Int64) {
        bitrate = min(bitrate, max(limit, minBitrate))
    }

    /// Capacity and its variance are kept in kbit/s, where libwebrtc tuned the bounds.
    /// A probe measured more than the current rate: take it.
    public mutating func raise(to rate: Int64) {
        bitrate = min(max(bitrate, rate), maxBitrate)
        capacityEstimate = nil
    }

    private func capacityStandardDeviation(_ capacity: Double) -> Double {
        (capacityVariance * capacity / 1000).squareRoot() * 1000
    }

    private mutating func updateCapacity(_ sample: Double) {
        let sampleKbps = sample / 1000
        guard let capacity = capacityEstimate else {
            capacityEstimate = sample
            return
        }
        let alpha = 0.05
        let capacityKbps = capacity / 1000
        let updatedKbps = (1 - alpha) * capacityKbps + alpha * sampleKbps
        let error = updatedKbps - sampleKbps
        capacityVariance = min(max((1 - alpha) * capacityVariance + alpha * error * error / max(updatedKbps, 1), 0.4), 2.5)
        capacityEstimate = updatedKbps * 1000
    }

    private func multiplicativeIncrease(elapsedUs: Int64) -> Int64 {
        let factor = pow(1.08, Double(elapsedUs) / 1_000_000)
        return max(Int64(Double(bitrate) * (factor - 1)), elapsedUs > 0 ? 1000 : 0)
    }

    /// About one average packet per response time (RTT + 100 ms), as libwebrtc does.
    private func additiveIncrease(elapsedUs: Int64) -> Int64 {
        let bitsPerFrame = Double(bitrate) / 30
        let packetsPerFrame = (bitsPerFrame / (1200 * 8)).rounded(.up)
        let averagePacketBits = bitsPerFrame / max(packetsPerFrame, 1)
        let responseTimeMs = Double(rttUs) / 1000 + 100
        let ratePerSecond = max(4000, averagePacketBits * 1000 / responseTimeMs)
        return Int64(ratePerSecond * Double(elapsedUs) / 1_000_000)
    }
}
