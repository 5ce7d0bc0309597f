import Hummingbird

extension ChatServiceAPI {
    /// Mounts the API at `POST /twirp/switchboard.ChatService/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        TwirpRoute.register(on: router, service: "switchboard.ChatService", maximumBodySize: Self.maximumBodySize) {
            await api.handle(method: $0, contentType: $1, authorization: $2, body: $3)
        }
    }
}
