import Foundation

/// Speaking detection for one audio track from the client-to-mixer audio level header
/// extension (RFC 6464: 0...127, in -dBov; lower is louder). Per observation interval it counts
/// the packets at or above the active level; the track is speaking in that interval when at
/// least `minActiveShare` of them are, and its level is their mean linear amplitude. Levels are
/// smoothed across intervals, so one loud packet or one pause between words does not toggle it.
///
/// Ownership: media loop thread only.
struct AudioLevelMeter {
    /// -dBov at or below which (i.e. at least this loud) a packet counts as active.
    var activeLevel: UInt8 = 35
    /// Share of active packets in an interval needed to count as speaking.
    var minActiveShare = 0.4
    /// Weight of the newest interval in the smoothed level.
    var smoothing = 0.5

    private var packets = 0
    private var activePackets = 0
    private var amplitudeSum = 0.0
    private(set) var smoothedLevel = 0.0

    /// Linear amplitude of each -dBov value (10^(-level/20)), to avoid pow per packet.
    private static let amplitudes: [Double] = (0...127).map { pow(10, -Double($0) / 20) }

    mutating func observe(level: UInt8) {
        let dBov = level & 0x7F
        packets &+= 1
        if dBov <= activeLevel {
            activePackets &+= 1
            amplitudeSum += Self.amplitudes[Int(dBov)]
        }
    }

    /// Ends the interval: the smoothed level (0 = silent, 1 = full scale).
    mutating func closeInterval() -> Double {
        var level = 0.0
        if packets > 0, Double(activePackets) >= minActiveShare * Double(packets) {
            level = amplitudeSum / Double(activePackets)
        }
        smoothedLevel += (level - smoothedLevel) * smoothing
        if smoothedLevel < 1e-4 { smoothedLevel = 0 }
        packets = 0
        activePackets = 0
        amplitudeSum = 0
        return smoothedLevel
    }

    /// Whether a smoothed level counts as speaking: at least the active level's amplitude, halved
    /// so a speaker fading out over one interval is still reported.
    func isSpeaking(_ level: Double) -> Bool { level >= Self.amplitudes[Int(activeLevel)] / 2 }
}
