import CSocket
import Foundation

/// One thread that runs submitted work in order, at a lower CPU priority (nice 10) than the
/// signalling and media threads. Bookkeeping that nobody waits for (the session history in
/// SQLite) then yields the CPU to joins and packets on a busy machine instead of competing
/// with them as an equal; on an idle one it runs as soon as it is submitted. The thread ends
/// after the worker is released and its queue is empty.
final class BackgroundWorker: Sendable {
    private let queue = WorkQueue()

    init(name: String, nice: Int32 = 10) {
        let queue = self.queue
        let thread = Thread {
            _ = sb_setpriority(0, 0, nice)  // PRIO_PROCESS with who 0: the calling thread only
            queue.run()
        }
        thread.name = name
        thread.start()
    }

    deinit { queue.stop() }

    func submit(_ work: @escaping @Sendable () -> Void) { queue.submit(work) }

    /// Returns once everything submitted before the call has run.
    func drain() { queue.drain() }
}

/// The worker's queue, shared with its thread (which outlives nothing but the queue).
private final class WorkQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var pending: [@Sendable () -> Void] = []
    private var busy = false
    private var stopped = false

    func submit(_ work: @escaping @Sendable () -> Void) {
        condition.lock()
        pending.append(work)
        condition.broadcast()
        condition.unlock()
    }

    func drain() {
        condition.lock()
        while !pending.isEmpty || busy { condition.wait() }
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
    }

    func run() {
        while true {
            condition.lock()
            while pending.isEmpty && !stopped { condition.wait() }
            if pending.isEmpty && stopped {
                condition.unlock()
                return
            }
            let batch = pending
            pending.removeAll(keepingCapacity: true)
            busy = true
            condition.unlock()
            for work in batch { work() }
            condition.lock()
            busy = false
            condition.broadcast()
            condition.unlock()
        }
    }
}
