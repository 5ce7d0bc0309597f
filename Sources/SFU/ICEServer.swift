import LiveKitProtocol

/// A STUN or TURN server clients may use to reach us (ours is ICE-lite and needs none, but a
/// client behind a UDP-blocking firewall needs a TURN relay). Sent in JoinResponse and
/// ReconnectResponse `ice_servers`, and as WHIP/WHEP `Link` headers (RFC 9725 §4.6).
public struct ICEServer: Sendable, Equatable {
    /// RFC 7064 / RFC 7065 URIs: `stun:host:port`, `turn:host:port?transport=udp`, `turns:...`.
    public var urls: [String]
    public var username: String
    public var credential: String

    public init(urls: [String], username: String = "", credential: String = "") {
        self.urls = urls
        self.username = username
        self.credential = credential
    }

    public enum TURNTransport: String, Sendable, CaseIterable {
        case udp, tcp, tls
    }

    /// A TURN server as livekit-server's `rtc.turn_servers` entries name it.
    public static func turn(host: String, port: UInt16, transport: TURNTransport, username: String, credential: String) -> ICEServer {
        let url = switch transport {
        case .udp: "turn:\(host):\(port)?transport=udp"
        case .tcp: "turn:\(host):\(port)?transport=tcp"
        case .tls: "turns:\(host):\(port)?transport=tcp"
        }
        return ICEServer(urls: [url], username: username, credential: credential)
    }

    var protobuf: Livekit_ICEServer {
        var server = Livekit_ICEServer()
        server.urls = urls
        server.username = username
        server.credential = credential
        return server
    }

    /// One `Link` header value per URL (RFC 9725 §4.6, RFC 8288): the TURN credentials as
    /// quoted-string parameters. Configuration refuses values that would need escaping.
    public var linkHeaderValues: [String] {
        urls.map { url in
            var value = "<\(url)>; rel=\"ice-server\""
            if !username.isEmpty || !credential.isEmpty {
                value += "; username=\"\(username)\"; credential=\"\(credential)\"; credential-type=\"password\""
            }
            return value
        }
    }

    /// Whether `text` can go into a Link header's quoted-string (and a URI) as it is: visible
    /// ASCII without quotes, backslashes, angle brackets or spaces.
    public static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != 0x22 && $0 != 0x5C && $0 != 0x3C && $0 != 0x3E }
    }
}
