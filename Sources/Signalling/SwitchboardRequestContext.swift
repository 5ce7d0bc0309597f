import Hummingbird
import NIOCore

/// Hummingbird request context that keeps the client's address (for per-IP join limits and
/// the session record).
public struct SwitchboardRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
