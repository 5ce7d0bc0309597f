import LiveKitProtocol
import Synchronization

/// One queued response, with the bytes shared by every recipient of the same broadcast.
public struct OutboundSignal: Sendable {
    public let response: Livekit_SignalResponse
    public let encoding: SharedEncoding?
}

/// A broadcast's encoded forms, made once per wire format by whichever writer needs it first:
/// a join in a room of 50 is then one protobuf encode, not 49.
public final class SharedEncoding: Sendable {
    private let forms = Mutex<[Int: [UInt8]]>([:])

    public init() {}

    /// The bytes for wire format `format` (the caller's numbering), encoded on first use.
    public func bytes(format: Int, encode: () -> [UInt8]) -> [UInt8] {
        if let cached = forms.withLock({ $0[format] }) { return cached }
        let bytes = encode()
        forms.withLock { $0[format] = bytes }
        return bytes
    }
}

/// The outbound side of one participant's signalling connection. Rooms push responses here
/// without waiting for the network; the WebSocket writer drains it in order.
///
/// Bounded: a client that stops reading cannot grow server memory. When the buffer overflows
/// the sink reports it, and the room disconnects that participant.
public final class SignalSink: Sendable {
    public let stream: AsyncStream<OutboundSignal>
    private let continuation: AsyncStream<OutboundSignal>.Continuation

    public static let capacity = 4096

    public init() {
        (stream, continuation) = AsyncStream.makeStream(of: OutboundSignal.self,
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
    public func send(_ response: Livekit_SignalResponse, encoding: SharedEncoding? = nil) -> Delivery {
        switch continuation.yield(OutboundSignal(response: response, encoding: encoding)) {
        case .enqueued: return .queued
        case .dropped: return .overflow
        case .terminated: return .closed
        @unknown default: return .closed
        }
    }

    @discardableResult
    public func send(_ message: Livekit_SignalResponse.OneOf_Message, encoding: SharedEncoding? = nil) -> Delivery {
        var response = Livekit_SignalResponse()
        response.message = message
        return send(response, encoding: encoding)
    }

    /// Ends the stream: the writer flushes what is queued and closes the WebSocket.
    public func finish() { continuation.finish() }
}
