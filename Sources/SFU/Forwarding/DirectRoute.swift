import MediaTransport

/// One track forwarded from a publisher transport straight to subscriber transports, with the
/// same ingress, producer, consumers and RTCP termination a room uses, but no room or
/// signalling around it: what the forwarding benchmark drives (Benchmarks/Forwarding).
///
/// Call before the transports are registered (their callbacks are set here).
package final class DirectRoute: @unchecked Sendable {
    package let stats = ForwardingStats()
    private let ingress: PublisherIngress
    private let producer: Producer
    private var egresses: [SubscriberEgress] = []

    /// `payloadType`/`clockRate`: the track's codec; `isVideo` gates new subscribers on a VP8
    /// keyframe, as in a room.
    package init(publisher: WebRTCTransport, ssrc: UInt32, payloadType: UInt8, clockRate: UInt32, isVideo: Bool,
                 subscribers: [WebRTCTransport]) {
        ingress = PublisherIngress(stats: stats)
        let producer = Producer(.init(trackSid: "TR_bench", isVideo: isVideo, clockRate: clockRate, isVP8: isVideo,
                                      extensionIDs: [:], primaryPayloadTypes: [payloadType], nackEnabled: true),
                                publisherTransport: publisher, stats: stats)
        self.producer = producer
        ingress.add(producer, mid: "0", ssrcs: [ssrc])
        let ingress = self.ingress
        ingress.transport = publisher
        publisher.onRTP = { ingress.receive($0) }
        publisher.onRTCP = { ingress.receiveRTCP($0) }
        publisher.onTick = { ingress.tick(now: $0) }
        for (index, transport) in subscribers.enumerated() {
            let egress = SubscriberEgress(stats: stats)
            egress.transport = transport
            let consumer = Consumer(trackSid: "TR_bench", transport: transport, ssrc: 0x1000_0000 + UInt32(index),
                                    isVideo: isVideo, extensionMap: HeaderExtensionMap(publisher: [:], subscriber: [:]),
                                    payloadTypes: [(payloadType, payloadType)])
            consumer.negotiated = true
            producer.add(consumer)
            egress.add(consumer, of: producer)
            transport.onRTCP = { egress.receiveRTCP($0) }
            transport.onTick = { egress.tick(now: $0) }
            egresses.append(egress)
        }
    }

    /// Records the track into `tap` as a room's recording would (the recording benchmark).
    /// Call on the media loop (`TransportServer.execute`).
    package func addTap(_ tap: any RecordingTap) {
        producer.addTap(tap)
    }
}
