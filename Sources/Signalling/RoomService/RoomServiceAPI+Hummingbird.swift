import Hummingbird

extension RoomServiceAPI {
    /// Mounts the API at `POST /twirp/livekit.RoomService/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        router.post("/twirp/livekit.RoomService/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let contentType = request.headers[.contentType]
            let authorization = request.headers[.authorization]
            let body: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: Self.maximumBodySize)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                return Self.response(TwirpError(.malformed, "request body exceeds \(Self.maximumBodySize) bytes").response)
            }
            let answer = await api.handle(method: method, contentType: contentType, authorization: authorization, body: body)
            return Self.response(answer)
        }
    }

    static func response(_ answer: TwirpResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        return Response(status: HTTPResponse.Status(code: answer.status),
                        headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
