import NIOCore
import NIOWebSocket
import SFU
import Synchronization

/// Writes a participant's responses straight onto its WebSocket channel, on the channel's event
/// loop. A room's broadcast to 49 participants is then 49 `execute`s on the event loops, where a
/// writer task per connection cost a task wake-up on the cooperative pool *and* a hop to the
/// event loop per recipient; on a 2-core machine those wake-ups were most of the fan-out's CPU.
///
/// Responses that arrive while a write is pending are written together with one flush. Order is
/// the order of `deliver` calls. The frames pass the async channel's handler untouched (it only
/// writes what its own writer yields) and reach the WebSocket frame encoder like any other write,
/// so pings and the close frame sent through Hummingbird's writer stay ordered after them.
final class WebSocketSignalOutput: SignalOutput {
    private struct State {
        var queue = CircularBuffer<OutboundSignal>()
        var flushScheduled = false
        /// Queued here, or handed to the channel and not yet written to the socket.
        var unwritten = 0
        var finished = false
    }

    private let channel: any Channel
    private let format: FormatBox
    private let capacity: Int
    private let state = Mutex(State())
    private let drainedPromise: EventLoopPromise<Void>

    /// Completes once `finish` was called and everything delivered before it was handed to the
    /// channel: the WebSocket can then be closed without cutting a response off.
    var drained: EventLoopFuture<Void> { drainedPromise.futureResult }

    init(channel: any Channel, format: FormatBox, capacity: Int = SignalSink.capacity) {
        self.channel = channel
        self.format = format
        self.capacity = capacity
        self.drainedPromise = channel.eventLoop.makePromise(of: Void.self)
    }

    deinit {
        // Never finished (a test, a session torn down early): nothing will wait on the drain,
        // but a promise must not be dropped uncompleted. A finished output completed it already:
        // the closure that does so keeps `self` alive until it has run.
        if !state.withLock({ $0.finished }) { drainedPromise.succeed() }
    }

    func deliver(_ signal: OutboundSignal) -> SignalSink.Delivery {
        let (delivery, schedule) = state.withLock { state -> (SignalSink.Delivery, Bool) in
            if state.finished { return (.closed, false) }
            // A client that does not read lets its socket buffer fill; the writes then stay
            // pending and this count grows until the room disconnects it.
            if state.unwritten >= capacity { return (.overflow, false) }
            state.queue.append(signal)
            state.unwritten += 1
            if state.flushScheduled { return (.queued, false) }
            state.flushScheduled = true
            return (.queued, true)
        }
        if schedule { channel.eventLoop.execute { self.writeQueued() } }
        return delivery
    }

    func finish() {
        let first = state.withLock { state -> Bool in
            defer { state.finished = true }
            return !state.finished
        }
        guard first else { return }
        channel.eventLoop.execute {
            self.writeQueued()
            self.drainedPromise.succeed()
        }
    }

    /// On the event loop: everything queued, one flush.
    private func writeQueued() {
        var batch = CircularBuffer<OutboundSignal>()
        state.withLock { state in
            swap(&batch, &state.queue)
            state.flushScheduled = false
        }
        guard !batch.isEmpty else { return }
        let format = self.format.value
        let formatIndex = format == .binary ? 0 : 1
        let opcode: WebSocketOpcode = format == .binary ? .binary : .text
        var last: EventLoopFuture<Void>?
        for (index, signal) in batch.enumerated() {
            let encode = { SignalCodec.encode(signal.response, format: format) }
            let bytes = signal.encoding?.bytes(format: formatIndex, encode: encode) ?? encode()
            let frame = WebSocketFrame(fin: true, opcode: opcode, data: channel.allocator.buffer(bytes: bytes))
            if index == batch.count - 1 {
                last = channel.write(frame)
            } else {
                channel.write(frame, promise: nil)
            }
        }
        channel.flush()
        // Writes complete in order, so the last one completing means the whole batch is done
        // (written, or failed because the connection is gone).
        let count = batch.count
        last?.whenComplete { _ in self.state.withLock { $0.unwritten -= count } }
    }
}
