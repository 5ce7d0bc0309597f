import Hummingbird

/// Mounts one Twirp service: `POST /twirp/<service>/:method`, the body collected up to a limit
/// (413-sized bodies become a Twirp `malformed`), the answer written as the service made it.
/// Every service here (RoomService, Egress, ChatService, QualityService) is mounted this way.
enum TwirpRoute {
    typealias Handle = @Sendable (_ method: String, _ contentType: String?, _ authorization: String?,
                                  _ body: [UInt8]) async -> TwirpResponse

    static func register<Context: RequestContext>(on router: Router<Context>, service: String, maximumBodySize: Int,
                                                  handle: @escaping Handle) {
        router.post("/twirp/\(service)/:method") { request, context -> Response in
            let method = context.parameters.get("method") ?? ""
            let body: [UInt8]
            do {
                var buffer = try await request.body.collect(upTo: maximumBodySize)
                body = buffer.readBytes(length: buffer.readableBytes) ?? []
            } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
                return response(TwirpError(.malformed, "request body exceeds \(maximumBodySize) bytes").response)
            }
            return response(await handle(method, request.headers[.contentType], request.headers[.authorization], body))
        }
    }

    static func response(_ answer: TwirpResponse) -> Response {
        var headers = HTTPFields()
        headers[.contentType] = answer.contentType
        return Response(status: HTTPResponse.Status(code: answer.status), headers: headers,
                        body: ResponseBody(byteBuffer: ByteBuffer(bytes: answer.body)))
    }
}
