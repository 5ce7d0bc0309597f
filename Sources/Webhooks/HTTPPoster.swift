import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix

/// Sends one HTTP/1.1 POST per connection (`Connection: close`) and reports the response's
/// status code. Everything — connect, send, the whole answer — happens within `timeout`; a
/// cancelled caller gets its error at once (the connection closes behind it).
struct HTTPPoster: Sendable {
    enum PostError: Error, CustomStringConvertible {
        case timedOut
        case closedWithoutResponse

        var description: String {
            switch self {
            case .timedOut: "timed out"
            case .closedWithoutResponse: "connection closed without a response"
            }
        }
    }

    let group: any EventLoopGroup
    let timeout: TimeAmount

    init(group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton, timeout: TimeAmount) {
        self.group = group
        self.timeout = timeout
    }

    /// The status code of the endpoint's answer to `body` with `headers` added.
    func post(_ body: String, to endpoint: WebhookEndpoint, headers extra: [(String, String)]) async throws -> Int {
        let loop = group.next()
        let status = loop.makePromise(of: Int.self)
        var headers = HTTPHeaders()
        headers.add(name: "Host", value: endpoint.hostHeader)
        headers.add(name: "Content-Length", value: "\(body.utf8.count)")
        headers.add(name: "Connection", value: "close")
        headers.add(name: "User-Agent", value: "switchboard-webhook")
        for (name, value) in extra { headers.add(name: name, value: value) }
        let request = HTTPRequestHead(version: .http1_1, method: .POST, uri: endpoint.target, headers: headers)

        let deadline = loop.scheduleTask(in: timeout) { status.fail(PostError.timedOut) }
        let connecting = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        OneRequestHandler(request: request, body: body, status: status))
                }
            }
            .connect(host: endpoint.host, port: endpoint.port)
        connecting.whenFailure { status.fail($0) }
        // Whatever completes the answer (response, error, timeout, cancel) also ends the connection.
        status.futureResult.whenComplete { _ in
            deadline.cancel()
            connecting.whenSuccess { $0.close(promise: nil) }
        }
        return try await withTaskCancellationHandler {
            try await status.futureResult.get()
        } onCancel: {
            status.fail(CancellationError())
        }
    }
}

/// Writes the request once connected; completes `status` with the response's status code once
/// the whole response was read (the body is read and dropped).
private final class OneRequestHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    private let request: HTTPRequestHead
    private let body: String
    private let status: EventLoopPromise<Int>
    private var code: Int?

    init(request: HTTPRequestHead, body: String, status: EventLoopPromise<Int>) {
        self.request = request
        self.body = body
        self.status = status
    }

    func channelActive(context: ChannelHandlerContext) {
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(string: body)))), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            // 1xx (100 Continue) is not the answer.
            if head.status.code >= 200 { code = Int(head.status.code) }
        case .body:
            break
        case .end:
            if let code { status.succeed(code) }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        status.fail(error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let code { status.succeed(code) } else { status.fail(HTTPPoster.PostError.closedWithoutResponse) }
        context.fireChannelInactive()
    }
}
