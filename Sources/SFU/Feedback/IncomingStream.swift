/// One RTP stream arriving from a publisher (one SSRC: a track, or one simulcast layer): the
/// producer it feeds, its reception statistics and its missing packets.
///
/// Ownership: media loop thread only.
final class IncomingStream {
    let ssrc: UInt32
    let producer: Producer
    /// Simulcast rank (0 without simulcast).
    let rank: Int
    var statistics: ReceiveStatistics
    var nack: NackGenerator?

    init(ssrc: UInt32, producer: Producer, rank: Int) {
        self.ssrc = ssrc
        self.producer = producer
        self.rank = rank
        statistics = ReceiveStatistics(clockRate: producer.clockRate)
        nack = producer.nackEnabled ? NackGenerator() : nil
    }
}
