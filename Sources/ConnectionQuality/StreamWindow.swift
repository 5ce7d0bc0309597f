/// What one stream did in one observation window, and its score.
public struct StreamWindow: Sendable, Equatable {
    public enum Kind: Sendable { case audio, video }

    public var kind: Kind
    public var expectedPackets: Int
    public var lostPackets: Int
    public var rttMs: Double
    public var jitterMs: Double
    /// Received (or sendable) over expected bitrate, 1 when not known.
    public var bitrateRatio: Double

    public init(kind: Kind, expectedPackets: Int, lostPackets: Int, rttMs: Double, jitterMs: Double, bitrateRatio: Double = 1) {
        self.kind = kind
        self.expectedPackets = expectedPackets
        self.lostPackets = lostPackets
        self.rttMs = rttMs
        self.jitterMs = jitterMs
        self.bitrateRatio = bitrateRatio
    }

    public var lossFraction: Double {
        expectedPackets > 0 ? Double(min(max(lostPackets, 0), expectedPackets)) / Double(expectedPackets) : 0
    }

    /// The window's score; nil when nothing arrived.
    public var mos: Double? {
        guard expectedPackets > 0, lostPackets < expectedPackets else { return nil }
        switch kind {
        case .audio: return MeanOpinionScore.audio(lossFraction: lossFraction, rttMs: rttMs, jitterMs: jitterMs)
        case .video: return MeanOpinionScore.video(lossFraction: lossFraction, rttMs: rttMs, jitterMs: jitterMs,
                                                   bitrateRatio: bitrateRatio)
        }
    }
}
