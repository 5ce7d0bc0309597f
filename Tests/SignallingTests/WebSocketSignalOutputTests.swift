import LiveKitProtocol
import NIOCore
import NIOEmbedded
import NIOWebSocket
import SFU
import Synchronization
import XCTest

@testable import Signalling

/// The signalling writer on a real channel pipeline (EmbeddedChannel): order, one flush per
/// burst, format switches, the bound on unwritten responses, and the drain before close.
final class WebSocketSignalOutputTests: XCTestCase {
    /// Holds every write's promise until told to release them: a client that stopped reading.
    final class StallingWrites: ChannelOutboundHandler, @unchecked Sendable {
        typealias OutboundIn = WebSocketFrame
        var held: [(WebSocketFrame, EventLoopPromise<Void>?)] = []
        var flushes = 0

        func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
            held.append((unwrapOutboundIn(data), promise))
        }

        func flush(context: ChannelHandlerContext) { flushes += 1 }

        func release() {
            let writes = held
            held = []
            for (_, promise) in writes { promise?.succeed() }
        }
    }

    private func response(_ n: Int) -> Livekit_SignalResponse {
        var response = Livekit_SignalResponse()
        response.message = .pongResp(.with { $0.lastPingTimestamp = Int64(n) })
        return response
    }

    private func decode(_ frame: WebSocketFrame) throws -> Int64 {
        let bytes = Array(frame.data.readableBytesView)
        let response = frame.opcode == .binary
            ? try Livekit_SignalResponse(serializedBytes: bytes)
            : try Livekit_SignalResponse(jsonUTF8Bytes: bytes)
        guard case .pongResp(let pong)? = response.message else { throw SignalDecodeError.empty }
        return pong.lastPingTimestamp
    }

    func testWritesInOrderWithOneFlushPerBurstAndTheClientsFormat() throws {
        let stall = StallingWrites()
        let channel = EmbeddedChannel(handler: stall)
        let format = FormatBox(.binary)
        let output = WebSocketSignalOutput(channel: channel, format: format)
        let sink = SignalSink(output: output)
        for n in 0..<5 { XCTAssertEqual(sink.send(response(n)), .queued) }
        XCTAssertTrue(stall.held.isEmpty, "nothing is written off the event loop")
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try stall.held.map { try decode($0.0) }, [0, 1, 2, 3, 4])
        XCTAssertTrue(stall.held.allSatisfy { $0.0.opcode == .binary && $0.0.fin })
        XCTAssertEqual(stall.flushes, 1)

        // A broadcast's shared encoding is made per format: a JSON client gets text frames.
        format.value = .json
        let shared = SharedEncoding()
        XCTAssertEqual(sink.send(response(5), encoding: shared), .queued)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(stall.held.last?.0.opcode, .text)
        XCTAssertEqual(try stall.held.last.map { try decode($0.0) }, 5)
        stall.release()
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    func testAClientThatStopsReadingOverflowsAtCapacityAndRecoversWhenWritesComplete() throws {
        let stall = StallingWrites()
        let channel = EmbeddedChannel(handler: stall)
        let output = WebSocketSignalOutput(channel: channel, format: FormatBox(.binary), capacity: 8)
        let sink = SignalSink(output: output)
        for n in 0..<8 { XCTAssertEqual(sink.send(response(n)), .queued) }
        XCTAssertEqual(sink.send(response(8)), .overflow)
        channel.embeddedEventLoop.run()
        // Handed to the channel but not written to the socket: still counted.
        XCTAssertEqual(sink.send(response(9)), .overflow)
        stall.release()
        XCTAssertEqual(sink.send(response(10)), .queued)
        channel.embeddedEventLoop.run()
        XCTAssertEqual(try stall.held.map { try decode($0.0) }, [10])
        stall.release()
        _ = try channel.finish(acceptAlreadyClosed: true)
    }

    func testFinishWritesWhatIsQueuedThenDrainsAndRefusesMore() throws {
        let stall = StallingWrites()
        let channel = EmbeddedChannel(handler: stall)
        let output = WebSocketSignalOutput(channel: channel, format: FormatBox(.binary))
        let sink = SignalSink(output: output)
        XCTAssertEqual(sink.send(response(1)), .queued)
        XCTAssertEqual(sink.send(response(2)), .queued)
        sink.finish()
        sink.finish()
        XCTAssertEqual(sink.send(response(3)), .closed)
        let drained = Mutex(false)
        output.drained.whenSuccess { drained.withLock { $0 = true } }
        XCTAssertFalse(drained.withLock { $0 })
        channel.embeddedEventLoop.run()
        XCTAssertTrue(drained.withLock { $0 })
        XCTAssertEqual(try stall.held.map { try decode($0.0) }, [1, 2])
        stall.release()
        _ = try channel.finish(acceptAlreadyClosed: true)
    }
}
