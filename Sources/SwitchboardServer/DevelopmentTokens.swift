import AccessTokens
import Foundation
import Hummingbird
import Signalling

/// `GET /dev/token?room=R&identity=I[&name=N][&record=1]`: a join token signed with the development key,
/// so the demo page works without an app backend. Registered only with `--dev`; a production
/// server has no way to mint tokens for strangers.
struct DevelopmentTokens: Sendable {
    let apiKey: String
    let secret: String

    func register(on router: Router<SwitchboardRequestContext>) {
        router.get("/dev/token") { request, _ -> Response in
            let query = parseQuery(request.uri.query.map { Substring($0) })
            guard let room = query["room"], !room.isEmpty, room.count <= 128,
                  let identity = query["identity"], !identity.isEmpty, identity.count <= 128 else {
                return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                                body: .init(byteBuffer: ByteBuffer(string: "room and identity are required\n")))
            }
            var grant = VideoGrant()
            grant.roomJoin = true
            grant.room = room
            grant.canUpdateOwnMetadata = true
            // The demo page's recording button: `record=1` adds the recording grant.
            if query["record"] == "1" { grant.roomRecord = true }
            let token = try await TokenIssuer().token(identity: identity, name: query["name"] ?? identity, room: room,
                                                      grant: grant, validFor: 6 * 3600, apiKey: apiKey, secret: secret)
            return Response(status: .ok, headers: [.contentType: "application/json", .cacheControl: "no-store"],
                            body: .init(byteBuffer: ByteBuffer(string: #"{"token":"\#(token)"}"#)))
        }
    }
}
