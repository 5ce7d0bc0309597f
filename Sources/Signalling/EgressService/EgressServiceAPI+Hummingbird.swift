import Hummingbird

extension EgressServiceAPI {
    /// Mounts the API at `POST /twirp/livekit.Egress/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        TwirpRoute.register(on: router, service: "livekit.Egress", maximumBodySize: RoomServiceAPI.maximumBodySize) {
            await api.handle(method: $0, contentType: $1, authorization: $2, body: $3)
        }
    }
}
