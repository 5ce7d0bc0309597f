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

    /// Queues `response`; false when the client is too slow (buffer full) or the sink is closed.
    @discardableResult
    public func send(_ response: Livekit_SignalResponse) -> Bool {
        switch continuation.yield(response) {
        case .enqueued: return true
        case .dropped, .terminated: return false
        @unknown default: return false
        }
    }

    public func send(_ message: Livekit_SignalResponse.OneOf_Message) -> Bool {
        var response = Livekit_SignalResponse()
        response.message = message
        return send(response)
    }

    /// Ends the stream: the writer flushes what is queued and closes the WebSocket.
    public func finish() { continuation.finish() }
}
