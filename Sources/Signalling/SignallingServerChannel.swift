import HTTPTypes
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOWebSocket
import Synchronization
@_spi(WSInternal) import WSCore

/// HTTP/1.1 with WebSocket upgrades where a *refused* upgrade gets the status that says why.
/// Hummingbird's own upgrade channel answers every refused upgrade with a bare 400, but LiveKit
/// clients depend on the status: `/rtc/v1` must be a 404 for them to fall back to v0, and a bad
/// token is a 401 before any WebSocket exists. (A refused upgrade request cannot go on to the
/// router: the HTTP parser stops at the headers of an upgrade request, so the response is
/// written here and the connection closed.)
public struct SignallingServerChannel: ServerChildChannel, HTTPChannelHandler {
    public typealias Handler = @Sendable (WebSocketInboundStream, WebSocketOutboundWriter, WebSocketSessionContext) async -> Void

    public enum Decision: Sendable {
        case upgrade(Handler)
        case refuse(status: Int, message: String)
    }
    public typealias Decide = @Sendable (HTTPRequest, any Channel) async -> Decision

    enum Outcome: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, Handler)
        case http(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>)
        case refused(NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>, status: Int, message: String)
    }

    public struct Value: ServerChildChannelValue {
        let outcome: EventLoopFuture<Outcome>
        public let channel: any Channel
    }

    public let responder: HTTPChannelHandler.Responder
    let decide: Decide
    let maxFrameSize: Int
    let idleTimeout: Duration?

    public init(responder: @escaping HTTPChannelHandler.Responder, maxFrameSize: Int, idleTimeout: Duration? = nil,
                decide: @escaping Decide) {
        self.responder = responder
        self.decide = decide
        self.maxFrameSize = maxFrameSize
        self.idleTimeout = idleTimeout
    }

    public func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let decide = self.decide
            let chosen = DecisionBox()
            let upgrader = NIOTypedWebSocketServerUpgrader<Outcome>(
                maxFrameSize: maxFrameSize,
                shouldUpgrade: { channel, head in
                    let promise = channel.eventLoop.makePromise(of: HTTPHeaders?.self)
                    promise.completeWithTask {
                        guard let request = try? HTTPRequest(head, secure: false, splitCookie: false) else {
                            chosen.set(.refuse(status: 400, message: "malformed upgrade request"))
                            return nil
                        }
                        let decision = await decide(request, channel)
                        chosen.set(decision)
                        if case .upgrade = decision { return HTTPHeaders() }
                        return nil
                    }
                    return promise.futureResult
                },
                upgradePipelineHandler: { channel, _ in
                    channel.eventLoop.makeCompletedFuture {
                        let asyncChannel = try NIOAsyncChannel<WebSocketFrame, WebSocketFrame>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        guard case .upgrade(let handler)? = chosen.get() else {
                            throw ChannelError.inappropriateOperationForState
                        }
                        return Outcome.websocket(asyncChannel, handler)
                    }
                })
            let idleTimeout = self.idleTimeout
            let configuration = NIOTypedHTTPServerUpgradeConfiguration<Outcome>(
                upgraders: [upgrader],
                notUpgradingCompletionHandler: { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHandler(HTTP1ToHTTPServerCodec(secure: false))
                        try channel.pipeline.syncOperations.addHandler(
                            HTTPConnectionStateHandler(idleTimeout: idleTimeout, logger: logger))
                        let http = try NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>(
                            wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
                        if case .refuse(let status, let message)? = chosen.get() {
                            return Outcome.refused(http, status: status, message: message)
                        }
                        return Outcome.http(http)
                    }
                })
            var pipeline = NIOUpgradableHTTPServerPipelineConfiguration<Outcome>(upgradeConfiguration: configuration)
            pipeline.enablePipelining = false
            pipeline.enableErrorHandling = false
            pipeline.enableResponseHeaderValidation = false
            let outcome = try channel.pipeline.syncOperations.configureUpgradableHTTPServerPipeline(configuration: pipeline)
            return Value(outcome: outcome, channel: channel)
        }
    }

    public func handle(value: Value, logger: Logger) async {
        do {
            switch try await value.outcome.get() {
            case .http(let http):
                await handleHTTP(asyncChannel: http, logger: logger)
            case .refused(let http, let status, let message):
                try await http.executeThenClose { _, outbound in
                    let body = ByteBuffer(string: message + "\n")
                    let head = HTTPResponse(status: .init(code: status), headerFields: [
                        .connection: "close", .contentType: "text/plain; charset=utf-8",
                        .contentLength: String(body.readableBytes),
                    ])
                    try await outbound.write(contentsOf: [.head(head), .body(body), .end(nil)])
                }
            case .websocket(let asyncChannel, let handler):
                let context = WebSocketSessionContext(logger: logger, channel: asyncChannel.channel)
                _ = try await WebSocketHandler.handle(
                    type: .server,
                    configuration: .init(extensions: [], autoPing: .enabled(timePeriod: .seconds(30)),
                                         validateUTF8: true, maxFrameSize: maxFrameSize),
                    asyncChannel: asyncChannel, context: context,
                    handler: { inbound, outbound, context in await handler(inbound, outbound, context) })
            }
        } catch {
            logger.debug("connection ended: \(error)")
        }
    }
}

public struct WebSocketSessionContext: WebSocketContext {
    public let logger: Logger
    /// The upgraded connection, for writers that bypass the async writer (WebSocketSignalOutput).
    public let channel: any Channel
}

extension HTTPServerBuilder {
    /// HTTP/1.1 plus WebSocket upgrades decided by `decide`; refusals reach the router.
    public static func signalling(maxFrameSize: Int, decide: @escaping SignallingServerChannel.Decide) -> HTTPServerBuilder {
        .init { responder in SignallingServerChannel(responder: responder, maxFrameSize: maxFrameSize, decide: decide) }
    }
}

/// Carries the upgrade decision to the pipeline setup of the same connection.
final class DecisionBox: Sendable {
    private let value = Mutex<SignallingServerChannel.Decision?>(nil)
    func set(_ decision: SignallingServerChannel.Decision) { value.withLock { $0 = decision } }
    func get() -> SignallingServerChannel.Decision? { value.withLock { $0 } }
}
