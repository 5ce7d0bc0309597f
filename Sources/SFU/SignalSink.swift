import LiveKitProtocol
import Synchronization

/// One queued response, with the bytes shared by every recipient of the same broadcast.
public struct OutboundSignal: Sendable {
    public let response: Livekit_SignalResponse
    public let encoding: SharedEncoding?

    public init(response: Livekit_SignalResponse, encoding: SharedEncoding?) {
        self.response = response
        self.encoding = encoding
    }
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

/// Where a participant's responses go: the WebSocket writer in the server, a stream in tests.
/// `deliver` must not wait for the network; it keeps the order of its calls.
public protocol SignalOutput: Sendable {
    func deliver(_ signal: OutboundSignal) -> SignalSink.Delivery
    /// No more responses: flush what is queued, then end the connection.
    func finish()
}

/// The outbound side of one participant's signalling connection. Rooms push responses here
/// without waiting for the network; the output writes them in order.
///
/// Bounded: a client that stops reading cannot grow server memory. When the output's buffer
/// overflows the sink reports it, and the room disconnects that participant.
public final class SignalSink: Sendable {
    private let output: any SignalOutput

    /// Responses one client may have queued and unwritten before it counts as not reading.
    public static let capacity = 4096

    public init(output: any SignalOutput) {
        self.output = output
    }

    /// A sink whose responses are read from `stream` (tests, tools).
    public convenience init() {
        self.init(output: StreamSignalOutput())
    }

    /// The responses, for a sink made with `init()`; an empty stream for any other output.
    public var stream: AsyncStream<OutboundSignal> {
        (output as? StreamSignalOutput)?.stream ?? AsyncStream { $0.finish() }
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
        output.deliver(OutboundSignal(response: response, encoding: encoding))
    }

    @discardableResult
    public func send(_ message: Livekit_SignalResponse.OneOf_Message, encoding: SharedEncoding? = nil) -> Delivery {
        var response = Livekit_SignalResponse()
        response.message = message
        return send(response, encoding: encoding)
    }

    /// Ends the connection once what is queued has been written.
    public func finish() { output.finish() }
}

/// A bounded AsyncStream of responses, for whoever reads a sink with `for await`.
public final class StreamSignalOutput: SignalOutput {
    public let stream: AsyncStream<OutboundSignal>
    private let continuation: AsyncStream<OutboundSignal>.Continuation

    public init(capacity: Int = SignalSink.capacity) {
        (stream, continuation) = AsyncStream.makeStream(of: OutboundSignal.self,
                                                        bufferingPolicy: .bufferingOldest(capacity))
    }

    public func deliver(_ signal: OutboundSignal) -> SignalSink.Delivery {
        switch continuation.yield(signal) {
        case .enqueued: return .queued
        case .dropped: return .overflow
        case .terminated: return .closed
        @unknown default: return .closed
        }
    }

    public func finish() { continuation.finish() }
}
