import AccessTokens
import Foundation
import Hummingbird
import SFU
import Store

/// `GET /chat/attachments/<room>/<id>`: a file kept from a room's chat, for anyone holding a
/// token for that room (`roomJoin` or `roomAdmin`, `video.room` equal to it), in the
/// `Authorization: Bearer` header or the `access_token` query parameter (for `<img src>`).
/// Served with the type it was checked against, as a download, never sniffed.
public struct ChatAttachmentEndpoint: Sendable {
    let store: SwitchboardStore
    let directory: String?
    let verifier: TokenVerifier

    public init(store: SwitchboardStore, directory: String?, verifier: TokenVerifier) {
        self.store = store
        self.directory = directory
        self.verifier = verifier
    }

    static func path(room: String, id: String) -> String {
        let allowed = CharacterSet.urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))
        let r = room.addingPercentEncoding(withAllowedCharacters: allowed) ?? room
        let i = id.addingPercentEncoding(withAllowedCharacters: allowed) ?? id
        return "/chat/attachments/\(r)/\(i)"
    }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let endpoint = self
        router.get("/chat/attachments/:room/:id") { request, context -> Response in
            let room = context.parameters.get("room") ?? "", id = context.parameters.get("id") ?? ""
            var token = request.uri.queryParameters.get("access_token")
            if let header = request.headers[.authorization], header.lowercased().hasPrefix("bearer ") {
                token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            }
            return await endpoint.serve(room: room.removingPercentEncoding ?? room, id: id.removingPercentEncoding ?? id,
                                        token: token)
        }
    }

    func serve(room: String, id: String, token: String?) async -> Response {
        guard let token, !token.isEmpty else { return Self.text(.unauthorized, "a token for the room is required") }
        let grant: VideoGrant
        do { grant = try await verifier.verify(token).videoGrant } catch { return Self.text(.unauthorized, "\(error)") }
        guard grant.room == room, grant.roomJoin == true || grant.roomAdmin == true else {
            return Self.text(.forbidden, "the token is not for this room")
        }
        guard let directory, let record = try? store.chatAttachment(room: room, id: id),
              let url = ChatAttachmentFiles.url(path: record.path, under: directory),
              let data = try? Data(contentsOf: url) else {
            return Self.text(.notFound, "no such attachment")
        }
        var headers = HTTPFields()
        headers[.contentType] = record.mimeType
        headers[.contentDisposition] = "attachment; filename=\"\(record.name.filter { $0 != "\"" && $0 != "\\" && !$0.isNewline })\""
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        headers[.cacheControl] = "private, max-age=3600"
        return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(bytes: Array(data))))
    }

    private static func text(_ status: HTTPResponse.Status, _ message: String) -> Response {
        Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: ResponseBody(byteBuffer: ByteBuffer(string: message + "\n")))
    }
}
