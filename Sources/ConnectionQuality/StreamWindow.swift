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
    /// Simulcast: the layers the publisher was asked for (someone needs them) and had sent
    /// before, and how many of those sent nothing in this window (its encoder dropped them,
    /// usually for its own bandwidth). LiveKit calls these missed layers.
    public var layersExpected = 0
    public var layersMissed = 0

    public init(kind: Kind, expectedPackets: Int, lostPackets: Int, rttMs: Double, jitterMs: Double, bitrateRatio: Double = 1) {
        self.kind = kind
        self.expectedPackets = expectedPackets
        self.lostPackets = lostPackets
        self.rttMs = rttMs
        self.jitterMs = jitterMs
        self.bitrateRatio = bitrateRatio
    }

    /// Counts one simulcast layer of this window: `rank` against the best rank anyone needs,
    /// `everSent` whether it ever had packets, `packets` how many it had now.
    public mutating func addLayer(rank: Int, neededRank: Int?, everSent: Bool, packets: Int) {
        guard let neededRank, everSent, rank <= neededRank else { return }
        layersExpected += 1
        if packets == 0 { layersMissed += 1 }
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
                                                   bitrateRatio: bitrateRatio,
                                                   layersMissed: min(layersMissed, layersExpected))
        }
    }
}
