import CSocket
import Foundation
import Glibc
import LoadPeer
import MediaTransport
import Recorder
import Recording
import SFU
import SRTP
import Synchronization

/// One forwarding run with or without recordings.
struct ForwardResult {
    var taps: Int
    var subscribers: Int
    var inRate: Double
    var outRate: Double
    var loss: Double
    /// The media thread's share of one core.
    var mediaCPU: Double
    var latency: LatencyHistogram
    var complete: Int
}

/// Phase 2: the forwarding benchmark's path (Benchmarks/Forwarding: LoadPeer publisher → SRTP →
/// `DirectRoute` = PublisherIngress, Producer, Consumers, SubscriberEgress → SRTP → `subscribers`
/// LoadPeers over loopback), carrying the VP8 fixture in real time (`speed` x), with `taps`
/// recordings of that track on the producer (each a VP8 track recording to its own .webm), or
/// none. The forward-latency histogram (socket read → sendmmsg returned, per copy) and the media
/// thread's CPU show what the taps cost forwarding.
func forward(taps: Int, subscribers: Int, seconds: Double, speed: Double, egress: EgressManager, vp8: Fixture) throws
    -> ForwardResult
{
    let server = try TransportServer(configuration: TransportConfiguration(
        bindAddresses: ["127.0.0.1"], udpPort: 0, consentTimeout: .seconds(300)))
    server.start()
    let address = server.localAddresses[0]
    let fingerprint = server.dtlsContext.certificate.fingerprint
    let publisher = try LoadPeer(server: address, serverFingerprint: fingerprint, profiles: [.aeadAes128Gcm])
    let publisherTransport = try server.makeTransport(remoteFingerprint: publisher.certificate.fingerprint)
    var peers: [LoadPeer] = []
    var transports: [WebRTCTransport] = []
    for _ in 0..<subscribers {
        let peer = try LoadPeer(server: address, serverFingerprint: fingerprint, profiles: [.aeadAes128Gcm])
        transports.append(try server.makeTransport(remoteFingerprint: peer.certificate.fingerprint))
        peers.append(peer)
    }
    let ssrc: UInt32 = 0xABCD
    let route = DirectRoute(publisher: publisherTransport, ssrc: ssrc, payloadType: vp8.payloadType, clockRate: 90000,
                            isVideo: true, subscribers: transports)
    server.register(publisherTransport)
    for t in transports { server.register(t) }
    guard publisher.connect(to: publisherTransport.parameters), let srtp = publisher.srtp else { fatalError("publisher did not connect") }
    for (peer, t) in zip(peers, transports) {
        guard peer.connect(to: t.parameters) else { fatalError("subscriber did not connect") }
        peer.setNonBlocking()
    }
    let receiver = DatagramCounter(fds: peers.map(\.fd))
    receiver.start()

    var recordings: [Recording] = []
    for i in 0..<taps {
        let recording = try egress.startUnattachedTrackRecording(roomName: "forward", trackSid: "TR_fwd\(i)", codec: .vp8)
        let track = RecordedTrack(trackSid: "TR_fwd\(i)", kind: .video, mimeType: "video/VP8", source: .camera,
                                  participantIdentity: "publisher", participantSid: "PA_publisher", muted: false, requestKeyframe: {})
        guard let tap = recording.tap(for: track) else { fatalError("recording refused the track") }
        server.execute { route.addTap(tap) }
        recordings.append(recording)
    }

    var stream = LoopedStream(vp8, ssrc: ssrc, start: 0)
    var packet = [UInt8](repeating: 0, count: 1500 + SRTPProfile.maxTrailerLength)
    let start = monotonicNanoseconds()
    var sent = 0
    /// Sends what is due in 1 ms slices until `until` (nanoseconds into the run).
    func pace(until: Int64) {
        while true {
            let t = Int64(Double(monotonicNanoseconds() - start) * speed)
            if t >= until { return }
            while stream.nextDue <= t {
                packet.withUnsafeMutableBytes { b in
                    let length = stream.next(into: b)
                    if let out = try? srtp.outbound.protectRTP(b, length: length) {
                        publisher.send(UnsafeRawBufferPointer(rebasing: b[0..<out]))
                    }
                }
                sent += 1
            }
            usleep(1_000)
        }
    }
    pace(until: 2_000_000_000)  // warm-up: keyframes reach every subscriber, recordings start
    let latency0 = server.forwardLatency, cpu0 = Proc.threadCPUSeconds(named: "sb-media") ?? 0
    let received0 = receiver.count, sent0 = sent, t0 = monotonicNanoseconds()
    pace(until: 2_000_000_000 + Int64(seconds * speed * 1e9))
    usleep(200_000)  // in flight
    let elapsed = Double(monotonicNanoseconds() - t0) / 1e9
    let cpu1 = Proc.threadCPUSeconds(named: "sb-media") ?? cpu0
    usleep(50_000)  // the histogram is published on the next media loop tick
    let latency = server.forwardLatency - latency0
    let received = receiver.count - received0
    receiver.stop()
    server.stop()  // no packet reaches a tap after this; then the files are finished
    for recording in recordings { _ = recording.stop() }
    let complete = waitForEnd(recordings)
    let inPackets = sent - sent0
    let window = seconds
    return ForwardResult(taps: taps, subscribers: subscribers, inRate: Double(inPackets) / window,
                         outRate: Double(received) / window,
                         loss: inPackets > 0 ? max(0, 1 - Double(received) / Double(inPackets * subscribers)) : 0,
                         mediaCPU: (cpu1 - cpu0) / elapsed, latency: latency, complete: complete)
}

/// Counts datagrams arriving on the subscribers' sockets without decrypting them (the client
/// side's CPU is kept small: the machine has two cores).
final class DatagramCounter: @unchecked Sendable {
    private let epollFD = epoll_create1(0)
    private let running = Atomic<Bool>(true)
    private let received = Atomic<Int>(0)
    private let finished = DispatchSemaphore(value: 0)

    init(fds: [Int32]) {
        for fd in fds {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
    }

    deinit { close(epollFD) }

    var count: Int { received.load(ordering: .relaxed) }

    func start() {
        Thread { [self] in
            var events = [epoll_event](repeating: epoll_event(), count: 64)
            var buffer = [UInt8](repeating: 0, count: 2048)
            while running.load(ordering: .relaxed) {
                let n = epoll_wait(epollFD, &events, 64, 20)
                var got = 0
                for i in 0..<max(0, Int(n)) {
                    while recv(events[i].data.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 { got += 1 }
                }
                if got > 0 { received.wrappingAdd(got, ordering: .relaxed) }
            }
            finished.signal()
        }.start()
    }

    func stop() {
        running.store(false, ordering: .relaxed)
        finished.wait()
    }
}
