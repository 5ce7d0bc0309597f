import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import Synchronization

/// A webhook endpoint for tests: an HTTP/1.1 server on 127.0.0.1, port chosen by the system,
/// that records every request and answers with the status `respond` picks for it.
final class TestReceiver: Sendable {
    struct Request: Sendable {
        let path: String
        let headers: [String: String]
        let body: String
        let at: Date
    }

    private let channel: any Channel
    private let log = RequestLog()
    let port: Int

    /// `respond` gets the request and how many came before it, and returns the status (nil:
    /// no answer at all, the connection stays open). Port 0 picks a free one.
    init(port: Int = 0, respond: @escaping @Sendable (Request, Int) -> Int? = { _, _ in 200 }) async throws {
        let log = self.log
        let record: @Sendable (Request) -> Int? = { request in
            let before = log.requests.withLock { list -> Int in
                list.append(request)
                return list.count - 1
            }
            return respond(request, before)
        }
        channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    try channel.pipeline.syncOperations.addHandler(RecordingHandler(record: record))
                }
            }
            .bind(host: "127.0.0.1", port: port).get()
        self.port = channel.localAddress?.port ?? 0
    }

    var url: String { "http://127.0.0.1:\(port)/hook" }
    var received: [Request] { log.requests.withLock { $0 } }

    func stop() async throws { try await channel.close() }

    /// Waits until `count` requests arrived (or fails after `timeout`).
    func waitFor(_ count: Int, timeout: TimeInterval = 10) async throws -> [Request] {
        let deadline = Date().addingTimeInterval(timeout)
        while received.count < count {
            guard Date() < deadline else { throw WaitTimedOut(what: "\(count) requests (have \(received.count))") }
            try await Task.sleep(for: .milliseconds(10))
        }
        return received
    }
}

/// The requests so far, shared with the server's handlers.
private final class RequestLog: Sendable {
    let requests = Mutex<[TestReceiver.Request]>([])
}

struct WaitTimedOut: Error, CustomStringConvertible {
    let what: String
    var description: String { "timed out waiting for \(what)" }
}

/// Gathers one request, hands it to `record`, answers with the status it returns (if any).
private final class RecordingHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let record: @Sendable (TestReceiver.Request) -> Int?
    private var head: HTTPRequestHead?
    private var body = ""

    init(record: @escaping @Sendable (TestReceiver.Request) -> Int?) { self.record = record }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            body = ""
        case .body(let buffer):
            body += String(buffer: buffer)
        case .end:
            guard let head else { return }
            var headers: [String: String] = [:]
            for (name, value) in head.headers { headers[name.lowercased()] = value }
            guard let status = record(TestReceiver.Request(path: head.uri, headers: headers, body: body, at: Date())) else { return }
            var responseHeaders = HTTPHeaders()
            responseHeaders.add(name: "Content-Length", value: "2")
            responseHeaders.add(name: "Connection", value: "close")
            let response = HTTPResponseHead(version: head.version, status: .init(statusCode: status), headers: responseHeaders)
            context.write(wrapOutboundOut(.head(response)), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: "ok")))), promise: nil)
            let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in bound.value.close(promise: nil) }
        }
    }
}
