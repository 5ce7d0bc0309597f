/// Mean opinion scores (1 ... 4.5) for one observation window of a stream.
///
/// Audio uses the ITU-T G.107 E-model, simplified the usual way for VoIP monitoring:
/// R = 93.2 − Id − Ie,eff, where Id charges one-way delay (half the RTT, plus a jitter buffer
/// of twice the jitter, plus 10 ms of packetisation) and Ie,eff = Ie + (95 − Ie)·Ppl/(Ppl + Bpl)
/// charges random loss with Opus's robustness (Ie = 0, Bpl = 10: Opus conceals a little loss
/// well, bursts not at all). R maps to MOS with G.107's cubic.
///
/// Video has no standard model this simple; the score starts at 4.5 and loses: 0.1 per
/// percent of loss (each lost packet costs a frame until the retransmission or keyframe),
/// up to 2.4 for a bitrate below what the stream should carry (a lower layer than asked, or
/// the estimate capping it), and up to 1.5 for one-way delay above 150 ms.
public enum MeanOpinionScore {
    public static let maximum = 4.5
    public static let minimum = 1.0

    /// - Parameters: lossFraction 0...1, rttMs round trip, jitterMs interarrival jitter.
    public static func audio(lossFraction: Double, rttMs: Double, jitterMs: Double) -> Double {
        let delay = max(rttMs, 0) / 2 + 2 * max(jitterMs, 0) + 10
        let id = 0.024 * delay + (delay > 177.3 ? 0.11 * (delay - 177.3) : 0)
        let ppl = min(max(lossFraction, 0), 1) * 100
        let ie = 0.0, bpl = 10.0
        let ieEff = ie + (95 - ie) * ppl / (ppl + bpl)
        return mos(r: 93.2 - id - ieEff)
    }

    /// - Parameters: bitrateRatio received (or sendable) bitrate over what the stream should
    ///   carry, 0...1 (1 when unknown).
    /// Each simulcast layer that was asked for and not sent costs this much: one missing layer of
    /// three makes an otherwise excellent stream "good", two make it "poor" (LiveKit scores a
    /// publisher down the same way when its encoder drops layers).
    public static let missedLayerPenalty = 0.8

    public static func video(lossFraction: Double, rttMs: Double, jitterMs: Double, bitrateRatio: Double,
                             layersMissed: Int = 0) -> Double {
        let lossPercent = min(max(lossFraction, 0), 1) * 100
        var score = maximum - 0.1 * lossPercent
        let ratio = min(max(bitrateRatio, 0), 1)
        // Nothing near 1 (15 % short is invisible), 2.5 per unit down to half, steeper below:
        // 60 % of the bitrate is "good", a third is "poor".
        score -= ratio >= 0.85 ? 0 : ratio >= 0.5 ? (0.85 - ratio) * 2.5 : 0.875 + (0.5 - ratio) * 3
        let delay = max(rttMs, 0) / 2 + 2 * max(jitterMs, 0)
        if delay > 150 { score -= min((delay - 150) / 100, 1.5) }
        score -= Double(max(layersMissed, 0)) * missedLayerPenalty
        return min(max(score, minimum), maximum)
    }

    /// G.107 (Annex B) R-factor to MOS.
    public static func mos(r: Double) -> Double {
        if r <= 0 { return minimum }
        if r >= 100 { return maximum }
        return min(max(1 + 0.035 * r + 7e-6 * r * (r - 60) * (100 - r), minimum), maximum)
    }
}
