import Hummingbird

extension EgressServiceAPI {
    /// Mounts the API at `POST /twirp/livekit.Egress/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        router.post("/twirp/livekit.Egress/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let contentType = request.headers[.contentType]
            let authorization = request.headers[.authorization]
            let body: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: RoomServiceAPI.maximumBodySize)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                return RoomServiceAPI.response(
                    TwirpError(.malformed, "request body exceeds \(RoomServiceAPI.maximumBodySize) bytes").response)
            }
            let answer = await api.handle(method: method, contentType: contentType, authorization: authorization, body: body)
            return RoomServiceAPI.response(answer)
        }
    }
}
