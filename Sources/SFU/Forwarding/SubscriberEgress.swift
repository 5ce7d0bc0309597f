import MediaTransport
import RTCP

/// The send side of one subscriber transport: its consumers by their SSRC, and the RTCP the
/// subscriber sends about them (NACK -> retransmission from the producer's cache, PLI/FIR ->
/// throttled keyframe request to the publisher).
///
/// Ownership: media loop thread only.
final class SubscriberEgress: @unchecked Sendable {
    private var consumers: [UInt32: (Consumer, Producer)] = [:]
    private(set) var retransmissions = 0

    func add(_ consumer: Consumer, of producer: Producer) { consumers[consumer.ssrc] = (consumer, producer) }

    func remove(trackSid: String) -> (Consumer, Producer)? {
        guard let entry = consumers.first(where: { $0.value.0.trackSid == trackSid }) else { return nil }
        consumers[entry.key] = nil
        return entry.value
    }

    func consumer(trackSid: String) -> Consumer? { consumers.values.first { $0.0.trackSid == trackSid }?.0 }

    func receiveRTCP(_ packet: UnsafeMutableRawBufferPointer) {
        let (packets, _) = RTCPCompound.parsePrefix(Array(packet))
        let now = ContinuousClock.now
        for rtcp in packets {
            switch rtcp {
            case .genericNACK(let nack):
                guard let (consumer, producer) = consumers[nack.mediaSSRC] else { continue }
                for sequence in nack.lostSequenceNumbers {
                    if let cached = producer.cache.packet(sequenceNumber: consumer.sourceSequence(for: sequence)) {
                        consumer.retransmit(cached)
                        retransmissions &+= 1
                    }
                }
            case .pictureLossIndication(let pli):
                consumers[pli.mediaSSRC]?.1.requestKeyframe(now: now)
            case .fullIntraRequest(let fir):
                for entry in fir.entries { consumers[entry.ssrc]?.1.requestKeyframe(now: now) }
            default:
                break
            }
        }
    }
}
