import CSocket
import Glibc
import Synchronization
import Foundation
import Dispatch

/// Receives datagrams from the media loop. Called on the loop thread only.
protocol DatagramHandler: AnyObject {
    /// `packet` is valid only during the call; the handler may modify it in place (decrypt).
    func handleDatagram(_ packet: UnsafeMutableRawBufferPointer, from address: UDPAddress, socket: Int)
    /// Periodic work: DTLS retransmissions, consent freshness, handshake deadlines.
    func tick(now: ContinuousClock.Instant)
}

/// The media thread: one thread owns the UDP sockets and every transport on them, like a
/// mediasoup worker. Nothing on the per-packet path takes a lock; other threads hand work to
/// the loop with `execute`, which wakes it through an eventfd.
public final class MediaLoop: @unchecked Sendable {
    public struct Counters: Sendable {
        public var datagramsReceived = 0
        public var datagramsSent = 0
        public var bytesReceived = 0
        public var bytesSent = 0
        public var sendDropped = 0
        public var truncated = 0
    }

    let sockets: [UDPSocket]
    private let receiveSlab: DatagramSlab
    private let sendSlabs: [DatagramSlab]
    private let epollFD: Int32
    private let wakeFD: Int32
    private let pending = Mutex<[@Sendable () -> Void]>([])
    private let running = Atomic<Bool>(false)
    private let published = Mutex(Counters())
    private var counters = Counters()
    /// Arrival (socket read) to send (sendmmsg returned) of every datagram sent while handling
    /// a received one: the server-added forwarding latency.
    private var forwardLatency = LatencyHistogram()
    private let publishedLatency = Mutex(LatencyHistogram())
    /// When the batch being handled was read from its socket (monotonic ns); 0 outside
    /// datagram handling (timers, commands), whose sends are not forwarding.
    public private(set) var currentArrival: Int64 = 0
    private let tickInterval: Duration
    weak var handler: (any DatagramHandler)?
    private let finished = Atomic<Bool>(false)

    /// Maximum UDP payload we accept or send; anything larger is truncated by the kernel and dropped.
    static let slotSize = 1600

    /// SCHED_FIFO priority for the loop thread (1-99), nil for normal scheduling. On a machine
    /// the media thread shares with other busy processes, a real-time thread runs as soon as a
    /// datagram arrives instead of waiting out another thread's time slice (docs/benchmarks.md).
    private let realtimePriority: Int32?

    init(sockets: [UDPSocket], batchSize: Int = 64, tickInterval: Duration = .milliseconds(20),
         realtimePriority: Int32? = nil) throws(UDPSocketError) {
        self.sockets = sockets
        self.tickInterval = tickInterval
        self.realtimePriority = realtimePriority
        receiveSlab = DatagramSlab(capacity: batchSize, slotSize: MediaLoop.slotSize)
        sendSlabs = sockets.map { _ in DatagramSlab(capacity: batchSize, slotSize: MediaLoop.slotSize) }
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard epollFD >= 0, wakeFD >= 0 else { throw .create(errno: errno) }
        for (index, socket) in sockets.enumerated() { register(fd: socket.fd, token: UInt64(index)) }
        register(fd: wakeFD, token: UInt64.max)
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    private func register(fd: Int32, token: UInt64) {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = token
        _ = epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event)
    }

    /// Starts the loop on its own thread. Returns why the real-time priority asked for could not
    /// be set (the loop then runs with normal scheduling), nil otherwise.
    @discardableResult
    func start() -> String? {
        guard !running.exchange(true, ordering: .acquiringAndReleasing) else { return nil }
        let thread = Thread { [self] in self.run() }
        thread.name = "sb-media"
        thread.start()
        guard let priority = realtimePriority else { return nil }
        for _ in 0..<200 where schedulingStatus.load(ordering: .acquiring) == Self.schedulingPending { usleep(5_000) }
        let status = schedulingStatus.load(ordering: .acquiring)
        if status == Self.schedulingPending { return "the media thread did not start within 1 s" }
        return status == 0 ? nil : "SCHED_FIFO \(priority): \(String(cString: strerror(status))) (needs CAP_SYS_NICE or an RLIMIT_RTPRIO)"
    }

    private static let schedulingPending: Int32 = -1
    /// 0 once the loop thread runs SCHED_FIFO, else the errno of the attempt.
    private let schedulingStatus = Atomic<Int32>(-1)
    /// Linux's SCHED_RESET_ON_FORK (sched(7)), not exported by Glibc's Swift module.
    private static let resetOnFork: Int32 = 0x4000_0000

    /// On the loop thread: SCHED_FIFO for this thread alone. Reset-on-fork, because threads are
    /// created from whichever thread needs one (the concurrency pool grows from the thread that
    /// queues work); none of them may inherit a real-time policy from this one.
    private func applyRealtimePriority() {
        guard let priority = realtimePriority else { return }
        var parameters = sched_param()
        parameters.sched_priority = priority
        let status = sched_setscheduler(0, SCHED_FIFO | Self.resetOnFork, &parameters) == 0 ? 0 : errno
        schedulingStatus.store(status, ordering: .releasing)
    }

    /// Stops the loop and waits (bounded) for its thread to finish.
    func stop() {
        guard running.exchange(false, ordering: .acquiringAndReleasing) else { return }
        wake()
        for _ in 0..<200 where !finished.load(ordering: .acquiring) { usleep(5_000) }
    }

    /// Runs `work` on the loop thread, soon.
    public func execute(_ work: @escaping @Sendable () -> Void) {
        pending.withLock { $0.append(work) }
        wake()
    }

    /// Runs `work` on the loop thread and waits for it (at most `timeout`); runs it inline when
    /// already on the loop thread. For control operations whose effect the caller relies on
    /// next (a transport must be routable before its SDP answer leaves).
    public func executeAndWait(timeout: Duration = .seconds(2), _ work: @escaping @Sendable () -> Void) {
        if isCurrent || !running.load(ordering: .acquiring) {
            work()
            return
        }
        // A semaphore, not polling: the caller resumes as soon as the loop ran `work` (polling
        // with sleeps added up to milliseconds to every join).
        let done = DispatchSemaphore(value: 0)
        execute {
            work()
            done.signal()
        }
        let nanoseconds = timeout.components.seconds * 1_000_000_000 + timeout.components.attoseconds / 1_000_000_000
        _ = done.wait(timeout: .now() + .nanoseconds(Int(nanoseconds)))
    }

    /// Whether the caller runs on the media thread.
    var isCurrent: Bool { loopThread.load(ordering: .acquiring) == UInt(bitPattern: Int(bitPattern: pthread_self())) }
    private let loopThread = Atomic<UInt>(0)

    /// Datagram counters as of the last loop iteration (readable from any thread).
    public var snapshot: Counters { published.withLock { $0 } }
    /// The forward-latency histogram as of the last tick (readable from any thread).
    public var forwardLatencySnapshot: LatencyHistogram { publishedLatency.withLock { $0 } }

    private func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    private func run() {
        // Foundation's Thread.name does not reach the kernel here; name the thread for top -H and
        // /proc (at most 15 bytes).
        _ = sb_pthread_setname_np(pthread_self(), "sb-media")
        applyRealtimePriority()
        loopThread.store(UInt(bitPattern: Int(bitPattern: pthread_self())), ordering: .releasing)
        var events = [epoll_event](repeating: epoll_event(), count: 8)
        var nextTick = ContinuousClock.now
        while running.load(ordering: .relaxed) {
            let n = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, 8, 10) }
            if n > 0 {
                for i in 0..<Int(n) {
                    let token = events[i].data.u64
                    if token == UInt64.max {
                        var value: UInt64 = 0
                        _ = read(wakeFD, &value, 8)
                    } else {
                        drainSocket(Int(token))
                    }
                }
            }
            runPending()
            let now = ContinuousClock.now
            if now >= nextTick {
                handler?.tick(now: now)
                nextTick = now.advanced(by: tickInterval)
                let snapshot = counters
                published.withLock { $0 = snapshot }
                let latency = forwardLatency
                publishedLatency.withLock { $0 = latency }
            }
            flush()
        }
        runPending()
        flush()
        finished.store(true, ordering: .releasing)
    }

    private func drainSocket(_ index: Int) {
        let socket = sockets[index]
        // Bounded so one busy socket cannot starve timers and commands.
        for _ in 0..<16 {
            let n = socket.receive(into: receiveSlab)
            if n == 0 { return }
            currentArrival = monotonicNanoseconds()
            defer { currentArrival = 0 }
            counters.datagramsReceived += n
            for i in 0..<n {
                if receiveSlab.truncated(i) { counters.truncated += 1; continue }
                guard let address = receiveSlab.address(i) else { continue }
                let slot = receiveSlab.slot(i)
                let length = receiveSlab.receivedLength(i)
                counters.bytesReceived += length
                let packet = UnsafeMutableRawBufferPointer(rebasing: slot[0..<length])
                handler?.handleDatagram(packet, from: address, socket: index)
                // Latency versus syscalls: send once a few copies are queued rather than after
                // the whole receive batch, so a packet's copies never wait for the fan-out of
                // up to 63 packets behind it, while sendmmsg still carries several datagrams.
                if pendingSends >= Self.flushThreshold { flush() }
            }
            flush()
            if n < receiveSlab.capacity { return }
        }
    }

    private func runPending() {
        let work = pending.withLock { queue -> [@Sendable () -> Void] in
            if queue.isEmpty { return [] }
            let taken = queue
            queue.removeAll(keepingCapacity: true)
            return taken
        }
        for item in work { item() }
    }

    // MARK: Sending (loop thread only)

    /// Composes one datagram directly in the socket's send batch: `fill` gets a buffer with
    /// `MediaLoop.slotSize` bytes and returns the length written (0 cancels).
    /// `forwarding`: an RTP packet caused by the datagram being handled, timed into the
    /// forward-latency histogram.
    func send(on socket: Int, to address: UDPAddress, forwarding: Bool = false,
              _ fill: (UnsafeMutableRawBufferPointer) -> Int) {
        let slab = sendSlabs[socket]
        var slotIndex = slab.claimSendSlot(to: address)
        if slotIndex == nil {
            flush(socket)
            slotIndex = slab.claimSendSlot(to: address)
        }
        guard let i = slotIndex else { return }
        let length = fill(slab.slot(i))
        if length > 0 { slab.commitSendSlot(i, length: min(length, slab.slotSize), arrival: forwarding ? currentArrival : 0) }
    }

    func send(on socket: Int, to address: UDPAddress, bytes: [UInt8]) {
        send(on: socket, to: address) { buffer in
            guard bytes.count <= buffer.count else { return 0 }
            buffer.copyBytes(from: bytes)
            return bytes.count
        }
    }

    func socketIndex(for address: UDPAddress) -> Int? {
        sockets.firstIndex { $0.isIPv6 == address.isIPv6 }
    }

    /// Queued datagrams at which handling a receive batch flushes early.
    static let flushThreshold = 8
    private var pendingSends: Int { sendSlabs.reduce(0) { $0 + $1.count } }

    private func flush() {
        for i in sendSlabs.indices where sendSlabs[i].count > 0 { flush(i) }
    }

    private func flush(_ index: Int) {
        let slab = sendSlabs[index]
        let queued = slab.count
        let result = sockets[index].send(slab)
        var now: Int64 = 0
        counters.bytesSent += result.bytes
        for i in 0..<queued where slab.arrivals[i] != 0 {
            if now == 0 { now = monotonicNanoseconds() }
            forwardLatency.record(nanoseconds: now - slab.arrivals[i])
        }
        counters.datagramsSent += result.sent
        counters.sendDropped += result.dropped
    }
}
