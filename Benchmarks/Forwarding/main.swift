// Forwarding benchmark: the full media path over loopback UDP — SRTP in, route, SRTP out to N
// subscribers — with the server's own transport stack (TransportServer, PublisherIngress,
// Producer, Consumers, SubscriberEgress; see SFU/Forwarding/DirectRoute.swift) on its media
// thread, and our LoadPeer clients (ICE + DTLS + SRTP) on the other threads of this process.
//
// Reports per N: packets in and out per second, loss, server-added latency (socket read ->
// sendmmsg returned, for every forwarded copy: the server's forward-latency histogram), and the
// media thread's CPU, from which forwarded packets per second per core follows.
//
//   swift build -c release --product ForwardingBenchmark
//   .build/release/ForwardingBenchmark [--subscribers 1,10,100,500] [--out-rate 50000]
//                                      [--seconds 5] [--payload 1200] [--max]
import CSocket
import Glibc
import LoadPeer
import MediaTransport
import SFU
import SRTP

struct Options {
    var subscribers = [1, 10, 100, 500]
    var outRate = 50_000
    var seconds = 5.0
    var payload = 1200
    var findMax = false
    var pin = false
    var realtime = false

    init(_ arguments: [String]) {
        var i = 1
        func next() -> String { i += 1; return i < arguments.count ? arguments[i] : "" }
        while i < arguments.count {
            switch arguments[i] {
            case "--subscribers": subscribers = next().split(separator: ",").compactMap { Int($0) }
            case "--out-rate": outRate = Int(next()) ?? outRate
            case "--seconds": seconds = Double(next()) ?? seconds
            case "--payload": payload = Int(next()) ?? payload
            case "--max": findMax = true
            case "--pin": pin = true
            case "--realtime": realtime = true
            default: fatalError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }
}

func nowNs() -> Int64 { monotonicNanoseconds() }

/// The thread id of the thread named `name` in this process (from /proc).
func threadID(named name: String) -> Int32? {
    guard let dir = opendir("/proc/self/task") else { return nil }
    defer { closedir(dir) }
    while let entry = readdir(dir) {
        let tid = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        guard let id = Int32(tid) else { continue }
        if let comm = readFile("/proc/self/task/\(tid)/comm"), comm.hasPrefix(name) { return id }
    }
    return nil
}

/// Pins thread `tid` (0 = the calling thread) to one CPU.
func pin(_ tid: Int32, cpu: Int) {
    var mask: UInt = 1 << UInt(cpu)
    _ = sb_sched_setaffinity(tid, UInt(MemoryLayout<UInt>.size), &mask)
}

/// CPU seconds used so far by the thread named `name` in this process (from /proc).
func threadCPUSeconds(named name: String) -> Double? {
    guard let tid = threadID(named: name) else { return nil }
    guard let stat = readFile("/proc/self/task/\(tid)/stat"), let close = stat.lastIndex(of: ")") else { return nil }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // Fields after the command: state is [0]; utime [11], stime [12] (man 5 proc, 14/15).
    guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
    return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
}

func readFile(_ path: String) -> String? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var buffer = [UInt8](repeating: 0, count: 4096)
    let n = fread(&buffer, 1, buffer.count, file)
    return String(decoding: buffer.prefix(n), as: UTF8.self)
}

/// Counts datagrams arriving on the subscribers' sockets (no decryption: client CPU is kept
/// for the server's share of the two cores).
final class Receiver: @unchecked Sendable {
    let fds: [Int32]
    private let epollFD = epoll_create1(0)
    private var running = true
    private(set) var received = 0
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private var thread = pthread_t()

    init(fds: [Int32]) {
        self.fds = fds
        pthread_mutex_init(lock, nil)
        for fd in fds {
            var event = epoll_event()
            event.events = EPOLLIN.rawValue
            event.data.fd = fd
            epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
        }
    }

    var count: Int { pthread_mutex_lock(lock); defer { pthread_mutex_unlock(lock) }; return received }

    func start() {
        let box = Unmanaged.passRetained(self)
        pthread_create(&thread, nil, { arg in
            let me = Unmanaged<Receiver>.fromOpaque(arg!).takeRetainedValue()
            me.run()
            return nil
        }, box.toOpaque())
    }

    func stop() {
        pthread_mutex_lock(lock); running = false; pthread_mutex_unlock(lock)
        pthread_join(thread, nil)
    }

    var pinCPU: Int?

    private func run() {
        if let pinCPU { pin(0, cpu: pinCPU) }
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var buffer = [UInt8](repeating: 0, count: 2048)
        while true {
            pthread_mutex_lock(lock); let go = running; pthread_mutex_unlock(lock)
            if !go { return }
            let n = epoll_wait(epollFD, &events, 64, 20)
            var got = 0
            for i in 0..<max(0, Int(n)) {
                let fd = events[i].data.fd
                while recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT)) > 0 { got += 1 }
            }
            if got > 0 { pthread_mutex_lock(lock); received += got; pthread_mutex_unlock(lock) }
        }
    }
}

struct Result {
    var subscribers: Int
    var inRate: Double
    var outRate: Double
    var loss: Double
    var cpu: Double
    var latency: LatencyHistogram
    var serverSent: Int
    var serverDropped: Int
    var perCore: Double { cpu > 0 ? outRate / cpu : 0 }
}

/// SCHED_FIFO for thread `tid`: what a deployment can give the media thread (needs root or
/// CAP_SYS_NICE), so that other processes on the machine cannot preempt it.
func makeRealtime(_ tid: Int32) {
    var parameters = sched_param(sched_priority: 10)
    if sched_setscheduler(tid, SCHED_FIFO, &parameters) != 0 { print("# SCHED_FIFO refused (errno \(errno))") }
}

func run(subscribers n: Int, inputRate: Double, seconds: Double, payload: Int, pinned: Bool,
         realtime: Bool = options.realtime) throws -> Result {
    let server = try TransportServer(configuration: TransportConfiguration(
        bindAddresses: ["127.0.0.1"], udpPort: 0, consentTimeout: .seconds(300)))
    server.start()
    defer { server.stop() }
    if pinned {
        // Media thread alone on CPU 1; this process's load generators on CPU 0.
        usleep(10_000)
        if let media = threadID(named: "sb-media") { pin(media, cpu: 1) }
        pin(0, cpu: 0)
    }
    if realtime, let media = threadID(named: "sb-media") { makeRealtime(media) }
    let address = server.localAddresses[0]
    let fingerprint = server.dtlsContext.certificate.fingerprint
    let publisher = try LoadPeer(server: address, serverFingerprint: fingerprint, profiles: [.aeadAes128Gcm])
    let publisherTransport = try server.makeTransport(remoteFingerprint: publisher.certificate.fingerprint)
    var peers: [LoadPeer] = []
    var transports: [WebRTCTransport] = []
    for _ in 0..<n {
        let peer = try LoadPeer(server: address, serverFingerprint: fingerprint, profiles: [.aeadAes128Gcm])
        transports.append(try server.makeTransport(remoteFingerprint: peer.certificate.fingerprint))
        peers.append(peer)
    }
    let ssrc: UInt32 = 0xABCD
    let route = DirectRoute(publisher: publisherTransport, ssrc: ssrc, payloadType: 96, clockRate: 90000,
                            isVideo: true, subscribers: transports)
    server.register(publisherTransport)
    for t in transports { server.register(t) }
    guard publisher.connect(to: publisherTransport.parameters) else { fatalError("publisher did not connect") }
    for (peer, t) in zip(peers, transports) {
        guard peer.connect(to: t.parameters) else { fatalError("subscriber did not connect") }
        peer.setNonBlocking()
    }
    _ = route
    let receiver = Receiver(fds: peers.map(\.fd))
    if pinned { receiver.pinCPU = 0 }
    receiver.start()
    guard let srtp = publisher.srtp else { fatalError("no SRTP") }

    // RTP: VP8 descriptor with S=1, PID 0, then a keyframe payload header (P=0): every packet
    // can start a frame, so no subscriber is held back waiting for one.
    var sequence: UInt16 = 1
    var timestamp: UInt32 = 0
    var packet = [UInt8](repeating: 0, count: 12 + payload + SRTPProfile.maxTrailerLength)
    func sendOne() {
        let length = 12 + payload
        packet.withUnsafeMutableBytes { b in
            b[0] = 0x80; b[1] = 96
            b[2] = UInt8(sequence >> 8); b[3] = UInt8(sequence & 0xFF)
            b[4] = UInt8(timestamp >> 24); b[5] = UInt8((timestamp >> 16) & 0xFF)
            b[6] = UInt8((timestamp >> 8) & 0xFF); b[7] = UInt8(timestamp & 0xFF)
            b[8] = UInt8(ssrc >> 24); b[9] = UInt8((ssrc >> 16) & 0xFF); b[10] = UInt8((ssrc >> 8) & 0xFF); b[11] = UInt8(ssrc & 0xFF)
            b[12] = 0x10; b[13] = 0x00
            do {
                let out = try srtp.outbound.protectRTP(b, length: length)
                publisher.send(UnsafeRawBufferPointer(rebasing: b[0..<out]))
            } catch {
                if sequence < 3 { print("protect failed: \(error)") }
            }
        }
        sequence &+= 1
        if sequence % 4 == 0 { timestamp &+= 3000 }
    }

    // Paced in 1 ms slices; a warm-up second first, then the measured window.
    func pace(for duration: Double) -> Int {
        let start = nowNs()
        let end = start + Int64(duration * 1e9)
        var sent = 0
        while nowNs() < end {
            let due = Int(Double(nowNs() - start) / 1e9 * inputRate)
            while sent < due { sendOne(); sent += 1 }
            usleep(500)
        }
        return sent
    }
    _ = pace(for: 1.0)
    usleep(100_000)
    let latency0 = server.forwardLatency
    let cpu0 = threadCPUSeconds(named: "sb-media") ?? 0
    let received0 = receiver.count
    let loop0 = server.loopCounters
    let t0 = nowNs()
    let sent = pace(for: seconds)
    usleep(200_000) // drain
    let elapsed = Double(nowNs() - t0) / 1e9
    let cpu1 = threadCPUSeconds(named: "sb-media") ?? 0
    usleep(50_000) // the histogram is published on the next media loop tick
    let latency = server.forwardLatency - latency0
    let received = receiver.count - received0
    let loop1 = server.loopCounters
    receiver.stop()
    if getenv("BENCH_DEBUG") != nil {
        print("debug: loop \(server.loopCounters) drops \(DropReason.allCases.map { "\($0)=\(server.dropCounters[$0])" })")
        print("debug: publisher rtpReceived \(publisherTransport.rtpReceived) state \(publisherTransport.state) subscribers sent \(transports.map(\.rtpSent).prefix(3))")
    }
    let expected = sent * n
    let window = seconds
    return Result(subscribers: n, inRate: Double(sent) / window, outRate: Double(received) / window,
                  loss: expected > 0 ? max(0, Double(expected - received) / Double(expected)) : 0,
                  cpu: (cpu1 - cpu0) / elapsed, latency: latency,
                  serverSent: loop1.datagramsSent - loop0.datagramsSent,
                  serverDropped: loop1.sendDropped - loop0.sendDropped)
}

func microseconds(_ ns: Int64?) -> String {
    guard let ns else { return "-" }
    return ns == Int64.max ? ">1s" : String(Double(ns) / 1000).prefix(7).description
}

func report(_ r: Result) {
    let line = [
        String(r.subscribers).padding(5), String(Int(r.inRate)).padding(8), String(Int(r.outRate)).padding(9),
        (String(format2(r.loss * 100)) + "%").padding(8), (format2(r.cpu * 100) + "%").padding(8),
        String(Int(r.perCore)).padding(10),
        microseconds(r.latency.percentile(0.5)).padding(9), microseconds(r.latency.percentile(0.99)).padding(9),
        microseconds(r.latency.percentile(0.999)).padding(9), String(r.latency.count).padding(9),
        String(r.serverSent).padding(9), String(r.serverDropped),
    ].joined(separator: " ")
    print(line)
}

func format2(_ x: Double) -> String {
    let scaled = (x * 100).rounded() / 100
    return String(scaled)
}

extension String {
    func padding(_ width: Int) -> String { count >= width ? self : self + String(repeating: " ", count: width - count) }
}

let options = Options(CommandLine.arguments)
signal(SIGPIPE, SIG_IGN)
print("forwarding benchmark: \(options.payload)-byte RTP, SRTP AES-128-GCM both ways, \(options.seconds) s per point")
print("N     in_pps   out_pps   loss     cpu      pps/core   p50_us    p99_us    p999_us   samples   srv_sent  srv_drop")
print("(loss: copies not received by the clients; cpu: the media thread's share of one core, user + kernel;")
print(" pps/core = out_pps / cpu; latency: socket read -> sendmmsg returned, per forwarded copy)")
for n in options.subscribers {
    let rate = max(1.0, Double(options.outRate) / Double(n))
    report(try run(subscribers: n, inputRate: rate, seconds: options.seconds, payload: options.payload, pinned: options.pin))
}
if options.findMax {
    // Raise the offered load until loss exceeds 0.1% or the media thread saturates.
    print("-- max: raising the offered load (N = 10)")
    var rate = 10_000.0
    while rate <= 100_000 {
        let r = try run(subscribers: 10, inputRate: rate, seconds: options.seconds, payload: options.payload, pinned: options.pin)
        report(r)
        if r.loss > 0.001 || r.cpu > 0.97 { break }
        rate *= 1.5
    }
}
