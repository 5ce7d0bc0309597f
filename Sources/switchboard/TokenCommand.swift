import AccessTokens
import ArgumentParser
import Foundation
import SwitchboardServer

/// `switchboard token`: prints a room token, as an app backend would issue one.
struct Token: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Print a room join token (JWT) for a participant.")

    @Option(help: "Room to join.") var room: String
    @Option(help: "Participant identity.") var identity: String
    @Option(help: "Display name.") var name: String?
    @Option(help: "Participant metadata.") var metadata: String?
    @Option(name: .customLong("valid-for"), help: "Lifetime, e.g. 6h, 30m.") var validFor: String = "6h"
    @Option(name: .customLong("api-key"), help: "API key (default: the only key configured, or devkey).") var apiKey: String?
    @Option(name: .customLong("api-secret"), help: "API secret (default: from --keys/SWITCHBOARD_KEYS, or the dev secret).")
    var apiSecret: String?
    @Option(help: "API keys as \"key: secret\".") var keys: String?
    @Option(name: .customLong("can-publish"), help: "Allow publishing (true/false).") var canPublish: Bool = true
    @Option(name: .customLong("can-subscribe"), help: "Allow subscribing (true/false).") var canSubscribe: Bool = true
    @Option(name: .customLong("can-publish-data"), help: "Allow data messages (true/false).") var canPublishData: Bool = true
    @Option(name: .customLong("can-publish-sources"), help: "Comma list: camera,microphone,screen_share,screen_share_audio.")
    var canPublishSources: String?
    @Flag(name: .customLong("can-update-metadata"), help: "Allow updating own metadata/name/attributes.")
    var canUpdateMetadata = false
    @Flag(help: "Hidden participant.") var hidden = false
    @Flag(help: "Room admin grant (server API).") var admin = false

    func run() async throws {
        guard let seconds = parseDuration(validFor), seconds > 0 else { throw ValidationError("bad --valid-for \(validFor)") }
        var known = ServerConfiguration.developmentKeys
        let environment = ProcessInfo.processInfo.environment
        do {
            if let env = environment["SWITCHBOARD_KEYS"] ?? environment["LIVEKIT_KEYS"] { known = try parseKeyList(env) }
            if let keys { known = try parseKeyList(keys) }
        } catch {
            throw ValidationError("\(error)")
        }
        let key = apiKey ?? (known.count == 1 ? known.keys.first! : "devkey")
        guard let secret = apiSecret ?? known[key] else { throw ValidationError("no secret for API key \(key)") }
        var grant = VideoGrant()
        grant.roomJoin = true
        grant.room = room
        grant.canPublish = canPublish
        grant.canSubscribe = canSubscribe
        grant.canPublishData = canPublishData
        grant.canUpdateOwnMetadata = canUpdateMetadata
        grant.hidden = hidden ? true : nil
        if admin { grant.roomAdmin = true }
        if let sources = canPublishSources { grant.canPublishSources = sources.split(separator: ",").map(String.init) }
        let token = try await TokenIssuer().token(identity: identity, name: name, room: room, grant: grant, metadata: metadata,
                                                  validFor: seconds, apiKey: key, secret: secret)
        print(token)
    }
}
