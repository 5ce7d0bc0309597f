/// LiveKit's connection quality levels, from a mean opinion score.
public enum QualityLevel: Int, Sendable, Comparable, CaseIterable {
    case lost = 0, poor = 1, good = 2, excellent = 3

    public static func < (a: QualityLevel, b: QualityLevel) -> Bool { a.rawValue < b.rawValue }

    /// Thresholds (see docs/quality.md): excellent ≥ 4.0 (toll quality), good ≥ 3.2, else poor.
    /// Lost is not a score: it means no media arrived in the window.
    public static let excellentMOS = 4.0
    public static let goodMOS = 3.2

    public init(mos: Double) {
        self = mos >= Self.excellentMOS ? .excellent : mos >= Self.goodMOS ? .good : .poor
    }
}

/// The level shown for one participant, with hysteresis: a drop is shown at once (a user
/// should see why the call got bad), a rise only after `windowsToRise` windows in a row that
/// all say at least that level, so a flapping link does not flap the indicator.
public struct QualityTracker: Sendable {
    public var windowsToRise = 2
    public private(set) var level: QualityLevel = .excellent
    public private(set) var score: Double = MeanOpinionScore.maximum
    private var risingWindows = 0
    private var risingTo: QualityLevel = .excellent

    public init() {}

    /// Takes one window's score (nil: nothing arrived that should have: lost). Returns whether
    /// the shown level changed.
    @discardableResult
    public mutating func update(mos: Double?) -> Bool {
        let candidate = mos.map(QualityLevel.init(mos:)) ?? .lost
        score = mos ?? 0
        let before = level
        if candidate < level {
            level = candidate
            risingWindows = 0
        } else if candidate > level {
            // Rise to the lowest level seen during the streak.
            risingTo = risingWindows == 0 ? candidate : min(risingTo, candidate)
            risingWindows += 1
            if risingWindows >= windowsToRise {
                level = risingTo
                risingWindows = 0
            }
        } else {
            risingWindows = 0
        }
        return level != before
    }
}
