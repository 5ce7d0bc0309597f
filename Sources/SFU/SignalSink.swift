import LiveKitProtocol

/// The outbound side of one participant's signalling connection. Rooms push responses here
/// without waiting for the network; the WebSocket writer drains it in order.
///
/// Bounded: a client that stops reading cannot grow server memory. When the buffer overflows
/// the sink reports it, and the room disconnects that participant.
public final class SignalSink: Sendable {
    public let stream: AsyncStream<Livekit_SignalResponse>
    private let continuation: AsyncStream<Livekit_SignalResponse>.Continuation

    public static let capacity = 4096

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: Livekit_SignalResponse.self,
                                                        bufferingPolicy: .bufferingOldest(SignalSink.capacity))
    }

    public enum Delivery: Sendable, Equatable {
        case queued
        /// The client stopped reading and the buffer is full: it should be disconnected.
        case overflow
        /// The connection is gone (a resume may still attach a new one).
        case closed
    }

    /// Queues `response`; `overflow` when the client is too slow, `closed` after `finish`.
    @discardableResult
    public func send(_ response: Livekit_SignalResponse) -> Delivery {
        switch continuation.yield(response) {
        case .enqueued: return .queued
        case .dropped: return .overflow
        case .terminated: return .closed
        @unknown default: return .closed
        }
    }

    @discardableResult
    public func send(_ message: Livekit_SignalResponse.OneOf_Message) -> Delivery {
        var response = Livekit_SignalResponse()
        response.message = message
        return send(response)
    }

    /// Ends the stream: the writer flushes what is queued and closes the WebSocket.
    public func finish() { continuation.finish() }
}
