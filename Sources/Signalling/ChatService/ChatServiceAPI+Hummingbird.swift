import Hummingbird

extension ChatServiceAPI {
    /// Mounts the API at `POST /twirp/switchboard.ChatService/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        router.post("/twirp/switchboard.ChatService/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let body: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: Self.maximumBodySize)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                return RoomServiceAPI.response(TwirpError(.malformed, "request body exceeds \(Self.maximumBodySize) bytes").response)
            }
            let answer = await api.handle(method: method, contentType: request.headers[.contentType],
                                          authorization: request.headers[.authorization], body: body)
            return RoomServiceAPI.response(answer)
        }
    }
}
