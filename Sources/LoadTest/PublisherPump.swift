import Glibc
import MediaTransport
import RTCP
import Synchronization

/// Sends every publisher's media at its real rate from one thread: each video stream a frame
/// every 33 ms, each audio stream a packet every 20 ms. Video leaves through each publisher's
/// `Pacer`, as libwebrtc's does (factor 0: a frame's packets back to back, as an encoder emits
/// them); audio is neither paced nor charged to the pacer, as in libwebrtc by default, but its
/// packets wake the pacer as they do there. Every packet carries abs-capture-time with the time
/// it left (so the viewers' latency is network and server, not the pacer's queue). A PLI or FIR
/// from the server restarts that stream's loop at its keyframe.
final class PublisherPump: @unchecked Sendable {
    private struct Stream {
        let session: Int
        let ssrc: UInt32
        let payloadType: UInt8
        let isVideo: Bool
        /// Simulcast: MID and RID header extension values, and the layer's index.
        let mid: [UInt8]
        let rid: [UInt8]
        let layer: Int
        var sequence = UInt16.random(in: 0...UInt16.max)
        var timestamp = UInt32.random(in: 0...UInt32.max)
        var nextDue: Int64
        var frame = 0
        var restartAtKeyframe = false
    }

    /// A video packet waiting for its publisher's pacer.
    private struct QueuedPacket {
        let stream: Int
        let payload: [UInt8]
        let marker: Bool
        let sequence: UInt16
        let timestamp: UInt32
    }

    private let sessions: [any MediaSession]
    private let media: EncodedMedia
    private var streams: [Stream] = []
    /// Per session: its pacer and the video packets it holds back.
    private var pacers: [Pacer] = []
    private var queues: [[QueuedPacket]] = []
    private let running = Atomic<Bool>(true)
    let packetsSent = Atomic<Int>(0)
    let bytesSent = Atomic<Int>(0)
    let keyframeRequests = Atomic<Int>(0)
    /// Most packets any publisher's pacer held at once (how far a keyframe was spread).
    let pacerQueuePeak = Atomic<Int>(0)
    private var thread: LoopThread?

    /// `pacingFactor`: each publisher paces at this multiple of what it sends (0: no pacing).
    init(sessions: [any MediaSession], media: EncodedMedia, pacingFactor: Double = 0) {
        self.sessions = sessions
        self.media = media
        let start = monotonicNanoseconds()
        for (index, session) in sessions.enumerated() {
            session.peer.setNonBlocking()
            // Publishers start spread over one frame interval, as independent cameras would.
            let offset = Int64.random(in: 0..<EncodedMedia.videoFrameInterval)
            var bitsPerSecond = 0.0
            for stream in session.outgoing {
                streams.append(Stream(session: index, ssrc: stream.ssrc, payloadType: stream.payloadType, isVideo: stream.isVideo,
                                      mid: Array((stream.mid ?? "").utf8), rid: Array((stream.rid ?? "").utf8),
                                      layer: stream.layer, nextDue: start + offset))
                if stream.isVideo { bitsPerSecond += 1000 * media.videoLayers[stream.layer].measuredKbps }
            }
            pacers.append(Pacer(bitsPerSecond: bitsPerSecond, factor: pacingFactor, now: start))
            queues.append([])
        }
    }

    func start() { thread = LoopThread { [self] in run() } }

    func stop() {
        running.store(false, ordering: .relaxed)
        thread?.join()
        thread = nil
    }

    private func run() {
        var packet = [UInt8](repeating: 0, count: 1500)
        var incoming = [UInt8](repeating: 0, count: 2048)
        var lastPoll: Int64 = 0, lastConsent = monotonicNanoseconds()
        while running.load(ordering: .relaxed) {
            let now = monotonicNanoseconds()
            var nextDue = now + 5_000_000
            for i in streams.indices {
                while streams[i].nextDue <= now { emitFrame(i, buffer: &packet) }
                nextDue = min(nextDue, streams[i].nextDue)
            }
            for session in queues.indices where !queues[session].isEmpty {
                drainQueue(session, buffer: &packet)
                // What the pacer holds back after it had its chance (how far a big frame is spread).
                pacerQueuePeak.max(queues[session].count, ordering: .relaxed)
                if !queues[session].isEmpty { nextDue = min(nextDue, pacers[session].nextSendTime(now: monotonicNanoseconds())) }
            }
            if now - lastPoll > 20_000_000 {
                lastPoll = now
                pollFeedback(&incoming)
            }
            if now - lastConsent > 5_000_000_000 {
                lastConsent = now
                for session in sessions { session.keepAlive() }
            }
            let wait = nextDue - monotonicNanoseconds()
            if wait > 0 { var ts = timespec(tv_sec: 0, tv_nsec: Int(min(wait, 5_000_000))); nanosleep(&ts, nil) }
        }
    }

    private func interval(of stream: Stream) -> Int64 {
        stream.isVideo ? media.videoLayers[stream.layer].frameInterval : EncodedMedia.audioFrameInterval
    }

    /// One frame (video) or one packet (audio) of stream `index`: audio leaves now, video goes
    /// to its publisher's pacer (or leaves now, with pacing off).
    private func emitFrame(_ index: Int, buffer: inout [UInt8]) {
        var stream = streams[index]
        defer { streams[index] = stream }
        guard sessions[stream.session].peer.srtp != nil else {
            stream.nextDue += interval(of: stream)
            return
        }
        let payloads: [[UInt8]]
        if !stream.rid.isEmpty && !sessions[stream.session].sends(layer: stream.layer) {
            // A layer nobody needs is not encoded (dynacast): time runs on, nothing is sent, and
            // it starts again at a keyframe, as an SDK's encoder does when the layer comes back.
            stream.restartAtKeyframe = true
            stream.timestamp &+= media.videoLayers[stream.layer].timestampStep
            stream.nextDue += interval(of: stream)
            return
        }
        if stream.isVideo {
            if stream.restartAtKeyframe { stream.frame = 0; stream.restartAtKeyframe = false }
            let frames = media.videoLayers[stream.layer].frames
            payloads = frames[stream.frame % frames.count].payloads
            stream.frame = (stream.frame + 1) % frames.count
        } else {
            payloads = [media.audio[stream.frame % media.audio.count]]
            stream.frame = (stream.frame + 1) % media.audio.count
        }
        let paced = stream.isVideo && pacers[stream.session].isOn
        pacers[stream.session].wake(now: monotonicNanoseconds())
        for (k, payload) in payloads.enumerated() {
            let queued = QueuedPacket(stream: index, payload: payload, marker: stream.isVideo && k == payloads.count - 1,
                                      sequence: stream.sequence, timestamp: stream.timestamp)
            if paced {
                queues[stream.session].append(queued)
            } else {
                transmit(queued, stream: stream, buffer: &buffer)
            }
            stream.sequence &+= 1
        }
        stream.timestamp &+= stream.isVideo ? media.videoLayers[stream.layer].timestampStep : 960
        stream.nextDue += interval(of: stream)
    }

    /// Sends what the session's pacer allows now, oldest first.
    private func drainQueue(_ session: Int, buffer: inout [UInt8]) {
        var sent = 0
        while sent < queues[session].count, pacers[session].maySend(now: monotonicNanoseconds()) {
            let packet = queues[session][sent]
            transmit(packet, stream: streams[packet.stream], buffer: &buffer)
            sent += 1
        }
        if sent > 0 { queues[session].removeFirst(sent) }
    }

    private func transmit(_ packet: QueuedPacket, stream: Stream, buffer: inout [UInt8]) {
        let peer = sessions[stream.session].peer
        // Loaded media is checked against maxPayload; this keeps the copy below in bounds
        // whatever happens (header up to 64 bytes, SRTP's tag after the payload).
        guard let srtp = peer.srtp, packet.payload.count <= buffer.count - 64 - 32 else { return }
        let length = buffer.withUnsafeMutableBytes { b -> Int in
            let headerLength = writeHeader(b, stream: stream, packet: packet)
            packet.payload.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: b[headerLength...]).copyMemory(from: $0) }
            return (try? srtp.outbound.protectRTP(b, length: headerLength + packet.payload.count)) ?? 0
        }
        guard length > 0 else { return }
        buffer.withUnsafeBytes { peer.send(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
        if stream.isVideo { pacers[stream.session].sent(bytes: length, now: monotonicNanoseconds()) }
        packetsSent.add(1, ordering: .relaxed)
        bytesSent.add(packet.payload.count, ordering: .relaxed)
    }

    /// RTP header (RFC 3550 §5.1) with RFC 8285 one-byte extensions: abs-capture-time (the
    /// 64-bit NTP timestamp of now) and, for a simulcast layer, MID and RID. Returns its length.
    private func writeHeader(_ b: UnsafeMutableRawBufferPointer, stream: Stream, packet: QueuedPacket) -> Int {
        b[0] = 0x90 // version 2, extension
        b[1] = stream.payloadType | (packet.marker ? 0x80 : 0)
        b.storeBytes(of: packet.sequence.bigEndian, toByteOffset: 2, as: UInt16.self)
        b.storeBytes(of: packet.timestamp.bigEndian, toByteOffset: 4, as: UInt32.self)
        b.storeBytes(of: stream.ssrc.bigEndian, toByteOffset: 8, as: UInt32.self)
        b[12] = 0xBE; b[13] = 0xDE
        var offset = 16
        b[offset] = (ClientOffer.absCaptureTimeID << 4) | 7 // 8 bytes
        b.storeBytes(of: ntpNow().bigEndian, toByteOffset: offset + 1, as: UInt64.self)
        offset += 9
        func element(_ id: UInt8, _ value: [UInt8]) {
            guard !value.isEmpty else { return }
            b[offset] = (id << 4) | UInt8(value.count - 1)
            for k in value.indices { b[offset + 1 + k] = value[k] }
            offset += 1 + value.count
        }
        element(ClientOffer.midID, stream.mid)
        element(ClientOffer.ridID, stream.rid)
        while offset % 4 != 0 { b[offset] = 0; offset += 1 }
        b.storeBytes(of: UInt16((offset - 16) / 4).bigEndian, toByteOffset: 14, as: UInt16.self)
        return offset
    }

    /// RTCP from the server: a PLI or FIR for one of our video SSRCs restarts it at a keyframe.
    private func pollFeedback(_ buffer: inout [UInt8]) {
        for (index, session) in sessions.enumerated() {
            while true {
                let n = recv(session.peer.fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                guard n > 0 else { break }
                if buffer[0] < 4 {
                    if let response = session.peer.answerCheck(Array(buffer[0..<n])) { session.peer.send(response) }
                    continue
                }
                guard buffer[0] >= 128, buffer[0] < 192, n > 8, (192...223).contains(buffer[1]),
                      let srtp = session.peer.srtp else { continue }
                let length = buffer.withUnsafeMutableBytes { (try? srtp.inbound.unprotectRTCP($0, length: n)) ?? 0 }
                guard length > 0 else { continue }
                for packet in RTCPCompound.parsePrefix(Array(buffer[0..<length])).packets {
                    let target: UInt32?
                    switch packet {
                    case .pictureLossIndication(let pli): target = pli.mediaSSRC
                    case .fullIntraRequest(let fir): target = fir.entries.first?.ssrc
                    default: target = nil
                    }
                    guard let target else { continue }
                    for s in streams.indices where streams[s].session == index && streams[s].isVideo && streams[s].ssrc == target {
                        streams[s].restartAtKeyframe = true
                        keyframeRequests.add(1, ordering: .relaxed)
                    }
                }
            }
        }
    }
}

/// Wall clock as a 64-bit NTP timestamp (RFC 5905: seconds since 1900, 32.32 fixed point).
func ntpNow() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_REALTIME, &ts)
    let seconds = UInt64(ts.tv_sec) + 2_208_988_800
    let fraction = (UInt64(ts.tv_nsec) << 32) / 1_000_000_000
    return seconds << 32 | fraction
}
