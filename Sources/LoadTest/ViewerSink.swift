import CSocket
import Glibc
import MediaTransport
import PayloadFormats
import RTP
import Synchronization

/// Receives every viewer's media on one epoll thread: SRTP is removed, each stream's sequence
/// numbers give packets expected and lost (RFC 3550 §A.3), and abs-capture-time gives the
/// end-to-end latency of each packet (publisher send -> viewer receive, same clock).
final class ViewerSink: @unchecked Sendable {
    struct StreamStats: Sendable {
        var isVideo: Bool
        var received = 0
        var bytes = 0
        var firstSequence: Int64 = -1
        var highestSequence: Int64 = -1
        /// Monotonic ns of the last counted packet: a stream that stopped mid-window shows here,
        /// not in its loss (which counts only up to the highest sequence received).
        var lastArrival: Int64 = 0
        /// Size of the last VP8 keyframe: which simulcast layer the server forwards.
        var width = 0
        var height = 0
        var expected: Int { received == 0 ? 0 : Int(highestSequence - firstSequence + 1) }
        var lost: Int { max(0, expected - received) }
    }

    struct ViewerStats: Sendable {
        var streams: [UInt32: StreamStats] = [:]
        var latency = LatencyHistogram()
        var undecryptable = 0
    }

    private let sessions: [any MediaSession]
    private(set) var viewers: [ViewerStats]
    let packetsReceived = Atomic<Int>(0)
    let bytesReceived = Atomic<Int>(0)
    private let running = Atomic<Bool>(true)
    private let epollFD = epoll_create1(0)
    private var thread: LoopThread?
    /// Measuring starts here (after the warm-up); earlier packets only set up sequence state.
    let measuring = Atomic<Bool>(false)

    init(sessions: [any MediaSession]) {
        self.sessions = sessions
        viewers = sessions.map { session in
            var stats = ViewerStats()
            for (ssrc, isVideo) in session.incoming { stats.streams[ssrc] = StreamStats(isVideo: isVideo) }
            return stats
        }
        for (index, session) in sessions.enumerated() {
            session.peer.setNonBlocking()
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.u64 = UInt64(index)
            epoll_ctl(epollFD, EPOLL_CTL_ADD, session.peer.fd, &event)
        }
    }

    deinit { close(epollFD) }

    func start() { thread = LoopThread { [self] in run() } }

    /// Stops the thread; `viewers` is final afterwards.
    func stop() {
        running.store(false, ordering: .relaxed)
        thread?.join()
        thread = nil
    }

    private func run() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var buffer = [UInt8](repeating: 0, count: 2048)
        var lastConsent = monotonicNanoseconds()
        while running.load(ordering: .relaxed) {
            let n = epoll_wait(epollFD, &events, Int32(events.count), 20)
            for i in 0..<max(0, Int(n)) {
                let index = Int(events[i].data.u64)
                let fd = sessions[index].peer.fd
                while true {
                    let length = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                    guard length > 0 else { break }
                    handle(&buffer, length: length, viewer: index)
                }
            }
            let now = monotonicNanoseconds()
            if now - lastConsent > 5_000_000_000 {
                lastConsent = now
                for session in sessions { session.keepAlive() }
            }
        }
    }

    private func handle(_ buffer: inout [UInt8], length: Int, viewer: Int) {
        let session = sessions[viewer]
        if buffer[0] < 4 {
            if let response = session.peer.answerCheck(Array(buffer[0..<length])) { session.peer.send(response) }
            return
        }
        // RTP only (RFC 7983 §7: 128-191, and RTCP's payload types 192-223 excluded).
        guard buffer[0] >= 128, buffer[0] < 192, length > 12, !(192...223).contains(buffer[1]),
              let srtp = session.peer.srtp else { return }
        let now = ntpNow()
        buffer.withUnsafeMutableBytes { b in
            guard let plain = try? srtp.inbound.unprotectRTP(b, length: length), plain > 0,
                  let header = try? RTPHeaderView(validating: UnsafeRawBufferPointer(rebasing: b[0..<plain])) else {
                viewers[viewer].undecryptable += 1
                return
            }
            guard var stream = viewers[viewer].streams[header.ssrc] else { return }
            let sequence = extend(header.sequenceNumber, highest: stream.highestSequence)
            let counting = measuring.load(ordering: .relaxed)
            if counting && stream.received == 0 {
                // The window starts after what arrived during the warm-up.
                stream.firstSequence = stream.highestSequence >= 0 ? min(stream.highestSequence + 1, sequence) : sequence
            }
            if counting {
                stream.lastArrival = monotonicNanoseconds()
                stream.received += 1
                stream.bytes += header.payloadLength
                packetsReceived.add(1, ordering: .relaxed)
                bytesReceived.add(header.payloadLength, ordering: .relaxed)
                if let range = header.extensionRange(id: ClientOffer.absCaptureTimeID, in: UnsafeRawBufferPointer(rebasing: b[0..<plain])),
                   range.count >= 8 {
                    var sent: UInt64 = 0
                    for k in 0..<8 { sent = sent << 8 | UInt64(b[range.lowerBound + k]) }
                    if now >= sent { viewers[viewer].latency.record(nanoseconds: Int64(Double(now - sent) * 1e9 / 4_294_967_296)) }
                }
            }
            if stream.isVideo {
                let payload = UnsafeRawBufferPointer(rebasing: b[header.payloadRange])
                if let descriptor = try? VP8PayloadDescriptor(parsing: payload), descriptor.isFrameStart,
                   descriptor.headerSize < payload.count,
                   let size = try? VP8KeyframeDimensions(parsingFrame: UnsafeRawBufferPointer(rebasing: payload[(payload.startIndex + descriptor.headerSize)...])) {
                    (stream.width, stream.height) = (size.width, size.height)
                }
            }
            stream.highestSequence = max(stream.highestSequence, sequence)
            viewers[viewer].streams[header.ssrc] = stream
        }
    }

    /// The 16-bit sequence number extended by its wraps, nearest to `highest`.
    private func extend(_ sequence: UInt16, highest: Int64) -> Int64 {
        guard highest >= 0 else { return Int64(sequence) }
        let base = highest & ~0xFFFF
        var candidate = base | Int64(sequence)
        if candidate - highest > 32768 { candidate -= 65536 } else if highest - candidate > 32768 { candidate += 65536 }
        return candidate
    }
}

/// Latency in 10 µs buckets up to 50 ms, then 1 ms buckets up to 2 s.
struct LatencyHistogram: Sendable {
    private var fine = [Int](repeating: 0, count: 5000)
    private var coarse = [Int](repeating: 0, count: 1950)
    private(set) var count = 0
    private(set) var overflow = 0
    private(set) var maximum: Int64 = 0

    mutating func record(nanoseconds: Int64) {
        count += 1
        maximum = max(maximum, nanoseconds)
        let micros = Int(nanoseconds / 1000)
        if micros < 50_000 { fine[micros / 10] += 1 } else if micros < 2_000_000 { coarse[(micros - 50_000) / 1000] += 1 } else { overflow += 1 }
    }

    mutating func add(_ other: LatencyHistogram) {
        for i in fine.indices { fine[i] += other.fine[i] }
        for i in coarse.indices { coarse[i] += other.coarse[i] }
        count += other.count
        overflow += other.overflow
        maximum = max(maximum, other.maximum)
    }

    /// The upper edge of the bucket holding quantile `q`, in milliseconds.
    func percentile(_ q: Double) -> Double? {
        guard count > 0 else { return nil }
        let rank = Int((Double(count) * q).rounded(.up))
        var seen = 0
        for (i, n) in fine.enumerated() {
            seen += n
            if seen >= rank { return Double(i + 1) * 0.01 }
        }
        for (i, n) in coarse.enumerated() {
            seen += n
            if seen >= rank { return 50 + Double(i + 1) }
        }
        return Double(maximum) / 1e6
    }
}
