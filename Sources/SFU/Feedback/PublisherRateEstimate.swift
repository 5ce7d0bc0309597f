import BandwidthEstimation

/// A receive-side bitrate estimate for a publisher that did not negotiate transport-wide CC
/// (aiortc, older stacks), sent to it as REMB so its encoder still backs off on a congested
/// uplink. Each receiver-report interval the loss of the publisher's streams drives the
/// loss-based controller of draft-ietf-rmcat-gcc-02 §6: above 10 % the estimate falls to what
/// arrived, less half the loss; below 2 % it grows 8 %/s up to twice what arrives (at least
/// 1 Mbit/s), so a clean path never throttles the publisher.
struct PublisherRateEstimate {
    static let initialBitrate: Int64 = 2_000_000
    static let minBitrate: Int64 = 50_000
    private var control = LossBasedControl(initialBitrate: initialBitrate)
    private var bytesInInterval = 0

    init() {
        control.minimumPackets = 1
        control.minimumIntervalUs = 500_000
    }

    mutating func received(bytes: Int) { bytesInInterval += bytes }

    /// Closes an interval of `intervalNanoseconds` in which the streams' reports said
    /// `fractionLost` (0-255) over `packets` expected; returns the estimate to send.
    mutating func close(fractionLost: UInt8, packets: Int, intervalNanoseconds: Int64, nowNanoseconds: Int64,
                        roundTripNanoseconds: Int64) -> Int64 {
        let received = Int64(bytesInInterval) * 8 * 1_000_000_000 / max(intervalNanoseconds, 1)
        bytesInInterval = 0
        // Heavy loss: the uplink carries about what arrived, so cut from there rather than from
        // an estimate the path never delivered.
        if Double(fractionLost) / 256 > LossBasedControl.highLoss {
            control.clamp(min: Self.minBitrate, max: max(received, Self.minBitrate))
        }
        control.add(fractionLost: fractionLost, packets: max(packets, 1))
        control.evaluate(nowUs: nowNanoseconds / 1000, ceiling: max(2 * received, 1_000_000),
                         rttUs: roundTripNanoseconds / 1000)
        control.clamp(min: Self.minBitrate, max: 10_000_000)
        return control.bitrate
    }
}
