import Dispatch
import MediaTransport
import Recorder
import Synchronization

/// Moves one recording's packets from its ring into its recorder, off the media thread: a
/// serial queue of its own wakes every `interval`, drains the ring, lets the recorder release
/// what its reorder buffer held, and asks the publisher for a keyframe when the recorder needs
/// one (NACKs are left to the server's own NackGenerator: retransmissions reach the recording
/// through the producer like any packet).
///
/// File writes happen here, synchronously: a slow disk delays this queue only. If it falls so
/// far behind that the ring overflows, the recording fails with `.bufferFull`.
///
/// The recorder is confined to `queue`; `end` is called there exactly once.
final class RecordingWriter: @unchecked Sendable {
    /// How the writer ended.
    enum Outcome: Sendable {
        case finished(RecordingSummary)
        case failed(RecorderError)
    }

    let ring: PacketRing
    let queue: DispatchQueue
    private let session: any RecordingSession
    private let interval: DispatchTimeInterval
    private var timer: (any DispatchSourceTimer)?
    private var ended = false
    private var announcedActive = false
    private var lastKeyframeRequest: Int64 = 0
    static let keyframeRetry: Int64 = 1_000_000_000
    /// Called on `queue` when the first frame reached the file, with where its time zero is.
    private let onActive: @Sendable (RecordingTimeBase?) -> Void
    /// Called on `queue` once, when the file is finished or the recording failed.
    private let onEnd: @Sendable (Outcome) -> Void
    /// Asks the publisher of the recorded video for a keyframe; set when a video track is tapped.
    let keyframeRequester = Mutex<(@Sendable () -> Void)?>(nil)

    init(ring: PacketRing, session: any RecordingSession, label: String, interval: DispatchTimeInterval = .milliseconds(50),
         onActive: @escaping @Sendable (RecordingTimeBase?) -> Void, onEnd: @escaping @Sendable (Outcome) -> Void) {
        self.ring = ring
        self.session = session
        self.interval = interval
        self.onActive = onActive
        self.onEnd = onEnd
        // Serial per recording, but run by the shared (not overcommitting) utility pool: at most
        // about one thread per core writes at a time. On its own a serial queue overcommits — a
        // thread of its own whenever it has work — and 100 writers woken together were 100
        // runnable threads crowding out the media thread.
        queue = DispatchQueue(label: label, qos: .utility, target: .global(qos: .utility))
    }

    /// Starts the periodic drain.
    func start() {
        queue.async { [self] in
            guard !ended else { return }
            let timer = DispatchSource.makeTimerSource(queue: queue)
            timer.schedule(deadline: Self.alignedDeadline(interval), repeating: interval, leeway: .milliseconds(10))
            timer.setEventHandler { [weak self] in self?.service() }
            self.timer = timer
            timer.resume()
        }
    }

    /// Writes what is queued and finalizes the file. Call once the taps are off the producers,
    /// so the ring has everything.
    func finish() {
        queue.async { [self] in
            guard !ended else { return }
            do throws(RecorderError) {
                try drain()
                let summary = try session.finish(now: monotonicNanoseconds())
                end(.finished(summary))
            } catch {
                session.abort()
                end(.failed(error))
            }
        }
    }

    /// Stops without finalizing (the file keeps what was written; repair makes it playable).
    func abort(_ error: RecorderError) {
        queue.async { [self] in
            guard !ended else { return }
            session.abort()
            end(.failed(error))
        }
    }

    /// The next multiple of `interval` on the uptime clock: every writer wakes at the same
    /// instants, so the worker threads serve the due writers back to back instead of being woken
    /// for each one (with 100 recordings, 2000 wakeups a second otherwise — most of their CPU).
    static func alignedDeadline(_ interval: DispatchTimeInterval) -> DispatchTime {
        let step: UInt64
        switch interval {
        case .seconds(let n): step = UInt64(n) * 1_000_000_000
        case .milliseconds(let n): step = UInt64(n) * 1_000_000
        case .microseconds(let n): step = UInt64(n) * 1_000
        case .nanoseconds(let n): step = UInt64(n)
        default: return .now() + interval
        }
        guard step > 0 else { return .now() }
        let now = DispatchTime.now().uptimeNanoseconds
        return DispatchTime(uptimeNanoseconds: (now / step + 1) * step)
    }

    private func service() {
        guard !ended else { return }
        do throws(RecorderError) {
            try drain()
            let now = monotonicNanoseconds()
            try session.tick(now: now)
            // The recorder asks once when it starts waiting; the producer throttles requests, so
            // while video keeps waiting the request is repeated every `keyframeRetry`.
            let asked = session.takeFeedback().keyframeRequested
            if asked || (session.isWaitingForKeyframe && now - lastKeyframeRequest >= Self.keyframeRetry),
               let request = keyframeRequester.withLock({ $0 }) {
                lastKeyframeRequest = now
                request()
            }
        } catch {
            session.abort()
            end(.failed(error))
        }
    }

    private func drain() throws(RecorderError) {
        try ring.drain { entry throws(RecorderError) in try session.ingest(entry) }
        // Checked after draining: what made it into the ring is written before giving up.
        if ring.overflowed { throw .bufferFull }
        if !announcedActive && session.framesWritten > 0 {
            announcedActive = true
            onActive(session.timeBase)
        }
    }

    private func end(_ outcome: Outcome) {
        ended = true
        timer?.cancel()
        timer = nil
        session.closeFile()
        onEnd(outcome)
    }
}
