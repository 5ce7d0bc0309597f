/// Delay-gradient estimate and over-use detection (draft-ietf-rmcat-gcc-02 §5.3–5.4).
///
/// The draft filters the inter-group delay variation with a Kalman filter; like libwebrtc we
/// use the least-squares slope of the smoothed accumulated delay over the last `windowSize`
/// groups instead (more robust to jitter at the same responsiveness). The slope, scaled by
/// the number of deltas seen and `thresholdGain`, is compared against an adaptive threshold
/// γ (§5.4): γ moves toward |m| (slowly up, faster down) within [6, 600] ms, so the
/// detector neither starves against loss-based TCP flows nor fires on noise.
public struct TrendlineEstimator: Sendable {
    public enum Usage: Sendable, Equatable { case normal, overusing, underusing }

    public struct Configuration: Sendable {
        public var windowSize = 20
        public var smoothing = 0.9
        public var thresholdGain = 4.0
        /// Adaptive threshold gains (per ms): up when |m| is above γ, down below.
        public var kUp = 0.0087
        public var kDown = 0.039
        public var initialThreshold = 12.5
        /// Over-use must last this long (ms) before it is signalled (§5.4: 10 ms).
        public var overuseTimeThresholdMs = 10.0
        public init() {}
    }

    public let configuration: Configuration
    public private(set) var usage: Usage = .normal
    public private(set) var threshold: Double
    /// The last modified trend (ms), for tests and metrics.
    public private(set) var modifiedTrend = 0.0

    private var accumulatedDelayMs = 0.0
    private var smoothedDelayMs = 0.0
    private var firstArrivalUs: Int64?
    private var samples: [(x: Double, y: Double)] = []
    private var deltaCount = 0
    private var timeOverUsingMs = -1.0
    private var overuseCount = 0
    private var previousTrend = 0.0
    private var lastThresholdUpdateUs: Int64?

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        threshold = configuration.initialThreshold
        samples.reserveCapacity(configuration.windowSize)
    }

    /// Adds one inter-group delta; returns the usage signal after it.
    @discardableResult
    public mutating func update(_ delta: InterArrival.Delta) -> Usage {
        let variationMs = Double(delta.arrivalDeltaUs - delta.sendDeltaUs) / 1000
        deltaCount = min(deltaCount + 1, 1000)
        accumulatedDelayMs += variationMs
        smoothedDelayMs = configuration.smoothing * smoothedDelayMs + (1 - configuration.smoothing) * accumulatedDelayMs
        if firstArrivalUs == nil { firstArrivalUs = delta.arrivalTimeUs }
        let x = Double(delta.arrivalTimeUs - firstArrivalUs!) / 1000
        if samples.count == configuration.windowSize { samples.removeFirst() }
        samples.append((x, smoothedDelayMs))
        var trend = previousTrend
        if samples.count == configuration.windowSize, let slope = Self.slope(samples) { trend = slope }
        detect(trend: trend, sendDeltaMs: Double(delta.sendDeltaUs) / 1000, nowUs: delta.arrivalTimeUs)
        return usage
    }

    /// Least-squares slope of y over x.
    static func slope(_ points: [(x: Double, y: Double)]) -> Double? {
        let n = Double(points.count)
        let meanX = points.reduce(0) { $0 + $1.x } / n
        let meanY = points.reduce(0) { $0 + $1.y } / n
        var numerator = 0.0, denominator = 0.0
        for p in points {
            numerator += (p.x - meanX) * (p.y - meanY)
            denominator += (p.x - meanX) * (p.x - meanX)
        }
        return denominator == 0 ? nil : numerator / denominator
    }

    private mutating func detect(trend: Double, sendDeltaMs: Double, nowUs: Int64) {
        if deltaCount < 2 {
            usage = .normal
            return
        }
        let modified = Double(min(deltaCount, 60)) * trend * configuration.thresholdGain
        modifiedTrend = modified
        if modified > threshold {
            if timeOverUsingMs < 0 { timeOverUsingMs = sendDeltaMs / 2 } else { timeOverUsingMs += sendDeltaMs }
            overuseCount += 1
            if timeOverUsingMs > configuration.overuseTimeThresholdMs && overuseCount > 1 && trend >= previousTrend {
                timeOverUsingMs = 0
                overuseCount = 0
                usage = .overusing
            }
        } else if modified < -threshold {
            timeOverUsingMs = -1
            overuseCount = 0
            usage = .underusing
        } else {
            timeOverUsingMs = -1
            overuseCount = 0
            usage = .normal
        }
        previousTrend = trend
        updateThreshold(modified, nowUs: nowUs)
    }

    private mutating func updateThreshold(_ modified: Double, nowUs: Int64) {
        let last = lastThresholdUpdateUs ?? nowUs
        lastThresholdUpdateUs = nowUs
        // A spike far beyond γ (a route change, a pause) must not drag γ up with it.
        if abs(modified) > threshold + 15 { return }
        let k = abs(modified) < threshold ? configuration.kDown : configuration.kUp
        let elapsedMs = min(Double(nowUs - last) / 1000, 100)
        threshold += k * (abs(modified) - threshold) * elapsedMs
        threshold = min(max(threshold, 6), 600)
    }
}
