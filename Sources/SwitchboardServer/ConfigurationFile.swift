import Foundation
import SFU
import SRTP
import Yams

/// Reads the YAML config file. Key names follow livekit-server's where they mean the same
/// (`port`, `bind_addresses`, `rtc.udp_port`, `rtc.node_ip`, `keys`, `logging.level`, `webhook`); an
/// unknown key is an error naming it, so a typo never silently falls back to a default.
public enum ConfigurationFile {
    public static func apply(path: String, to config: inout ServerConfiguration) throws(ConfigurationError) {
        let text: String
        do { text = try String(contentsOfFile: path, encoding: .utf8) } catch {
            throw .unreadable(path: path, reason: error.localizedDescription)
        }
        try apply(yaml: text, to: &config)
    }

    public static func apply(yaml text: String, to config: inout ServerConfiguration) throws(ConfigurationError) {
        let root: Node?
        do { root = try Yams.compose(yaml: text) } catch {
            throw .unreadable(path: "config", reason: "\(error)")
        }
        guard let root else { return }
        guard let mapping = root.mapping else { throw .invalid(key: "(root)", reason: "expected a mapping") }
        for (keyNode, value) in mapping {
            let key = keyNode.string ?? ""
            switch key {
            case "port": config.port = try port(value, key)
            case "bind_addresses": config.bindAddresses = try strings(value, key)
            case "data_dir": config.dataDirectory = try string(value, key)
            case "development": config.development = try bool(value, key)
            case "keys":
                guard let keys = value.mapping else { throw .invalid(key: key, reason: "expected key: secret pairs") }
                for (k, v) in keys { config.keys[k.string ?? ""] = try string(v, "keys.\(k.string ?? "")") }
            case "room":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "room.\(sub)"
                    switch sub {
                    case "empty_timeout": config.emptyTimeoutSeconds = UInt32(try seconds(v, name))
                    case "departure_timeout": config.departureTimeoutSeconds = UInt32(try seconds(v, name))
                    case "max_participants":
                        guard let s = v.string, let n = UInt32(s) else { throw .invalid(key: name, reason: "expected a number") }
                        config.maxParticipants = n
                    case "auto_record": config.autoRecord = try bool(v, name)
                    case "chat_history":
                        guard let s = v.string, let n = Int(s), (0...1000).contains(n) else {
                            throw .invalid(key: name, reason: "expected a number of messages, 0 to 1000")
                        }
                        config.chatHistory = n
                    default: throw .unknownKey(name)
                    }
                }
            case "recording":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "recording.\(sub)"
                    switch sub {
                    case "directory": config.recordingsDirectory = try string(v, name)
                    case "buffer_packets":
                        guard let s = v.string, let n = Int(s) else { throw .invalid(key: name, reason: "expected a number") }
                        config.recordingBufferPackets = n
                    default: throw .unknownKey(name)
                    }
                }
            case "webhook":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "webhook.\(sub)"
                    switch sub {
                    case "api_key": config.webhookAPIKey = try string(v, name)
                    case "urls": config.webhookURLs = try strings(v, name)
                    case "max_age": config.webhookMaxAgeSeconds = try seconds(v, name)
                    default: throw .unknownKey(name)
                    }
                }
            case "web":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "web.\(sub)"
                    switch sub {
                    case "directory": config.webDirectory = try string(v, name)
                    default: throw .unknownKey(name)
                    }
                }
            case "audio":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "audio.\(sub)"
                    switch sub {
                    case "update_interval":
                        // LiveKit: milliseconds between active speaker updates.
                        guard let s = v.string, let n = Int(s), (50...10_000).contains(n) else {
                            throw .invalid(key: name, reason: "expected milliseconds, 50...10000")
                        }
                        config.speakerUpdateIntervalMilliseconds = n
                    default: throw .unknownKey(name)
                    }
                }
            case "limits":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "limits.\(sub)"
                    switch sub {
                    case "join_burst":
                        guard let s = v.string, let n = Int(s), n > 0 else { throw .invalid(key: name, reason: "expected a positive number") }
                        config.joinBurst = n
                    case "joins_per_second":
                        guard let s = v.string, let n = Double(s), n > 0 else { throw .invalid(key: name, reason: "expected a positive number") }
                        config.joinsPerSecond = n
                    default: throw .unknownKey(name)
                    }
                }
            case "logging":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    switch sub {
                    case "level": config.logLevel = try string(v, "logging.level")
                    default: throw .unknownKey("logging.\(sub)")
                    }
                }
            case "tls":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    switch sub {
                    case "cert_file": config.tlsCertificateFile = try string(v, "tls.cert_file")
                    case "key_file": config.tlsKeyFile = try string(v, "tls.key_file")
                    default: throw .unknownKey("tls.\(sub)")
                    }
                }
            case "cors":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    switch sub {
                    case "allowed_origins": config.corsAllowedOrigins = try strings(v, "cors.allowed_origins")
                    default: throw .unknownKey("cors.\(sub)")
                    }
                }
            case "rtc":
                try section(value, key) { sub, v throws(ConfigurationError) in
                    let name = "rtc.\(sub)"
                    switch sub {
                    case "udp_port": config.udpPort = try port(v, name)
                    case "node_ip": config.nodeIPs = try strings(v, name)
                    case "stun_servers":
                        config.stunURLs = try strings(v, name).map { entry throws(ConfigurationError) -> String in
                            guard let (host, port) = hostPort(entry) else {
                                throw .invalid(key: name, reason: "expected host:port, got \(entry)")
                            }
                            return "stun:\(host):\(port)"
                        }
                    case "turn_servers": config.turnServers = try turnServers(v, name)
                    case "max_subscriber_bitrate":
                        // Bits per second: no estimate, probe or allocation toward one subscriber goes above it.
                        guard let s = v.string, let n = Int64(s), (100_000...1_000_000_000).contains(n) else {
                            throw .invalid(key: name, reason: "expected bits per second, 100000...1000000000")
                        }
                        config.maxSubscriberBitrate = n
                    case "consent_timeout": config.consentTimeoutSeconds = try seconds(v, name)
                    case "realtime_priority":
                        // 0 (or absent): normal scheduling.
                        guard let s = v.string, let n = Int32(s), (0...99).contains(n) else {
                            throw .invalid(key: name, reason: "expected a SCHED_FIFO priority 1...99, or 0 for normal scheduling")
                        }
                        config.realtimePriority = n == 0 ? nil : n
                    case "dtls_certificate": config.dtlsCertificateFile = try string(v, name)
                    case "dtls_key": config.dtlsKeyFile = try string(v, name)
                    case "srtp_profiles":
                        var profiles: [SRTPProfile] = []
                        for p in try strings(v, name) {
                            guard let profile = SRTPProfile(configName: p) else {
                                throw .invalid(key: name, reason: "unknown profile \(p) (aead_aes_128_gcm, aes128_cm_sha1_80)")
                            }
                            profiles.append(profile)
                        }
                        config.srtpProfiles = profiles
                    default: throw .unknownKey(name)
                    }
                }
            default:
                throw .unknownKey(key)
            }
        }
    }

    /// `rtc.turn_servers`: livekit-server's list of {host, port, protocol: udp|tcp|tls, username, credential}.
    private static func turnServers(_ node: Node, _ key: String) throws(ConfigurationError) -> [ICEServer] {
        guard let list = node.sequence else { throw .invalid(key: key, reason: "expected a list of {host, port, protocol, username, credential}") }
        var servers: [ICEServer] = []
        for (index, item) in list.enumerated() {
            let itemKey = "\(key)[\(index)]"
            var host = "", port: UInt16 = 3478, transport = ICEServer.TURNTransport.udp, username = "", credential = ""
            try section(item, itemKey) { field, value throws(ConfigurationError) in
                switch field {
                case "host": host = try string(value, "\(itemKey).host")
                case "port": port = try Self.port(value, "\(itemKey).port")
                case "protocol":
                    let text = try string(value, "\(itemKey).protocol")
                    guard let t = ICEServer.TURNTransport(rawValue: text.lowercased()) else {
                        throw .invalid(key: "\(itemKey).protocol", reason: "expected udp, tcp or tls")
                    }
                    transport = t
                case "username": username = try string(value, "\(itemKey).username")
                case "credential": credential = try string(value, "\(itemKey).credential")
                default: throw .unknownKey("\(itemKey).\(field)")
                }
            }
            guard !host.isEmpty, ICEServer.isPlain(host), port > 0 else { throw .invalid(key: "\(itemKey).host", reason: "expected a host name or address") }
            for (field, text) in [("username", username), ("credential", credential)] where !text.isEmpty && !ICEServer.isPlain(text) {
                throw .invalid(key: "\(itemKey).\(field)", reason: "visible ASCII without quotes, backslashes or angle brackets")
            }
            servers.append(.turn(host: host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host, port: port, transport: transport,
                                 username: username, credential: credential))
        }
        return servers
    }

    /// "host:port" or "[v6]:port".
    private static func hostPort(_ entry: String) -> (String, UInt16)? {
        guard let colon = entry.lastIndex(of: ":"), let port = UInt16(entry[entry.index(after: colon)...]), port > 0 else { return nil }
        let host = String(entry[..<colon])
        // An IPv6 address needs its brackets, or its last group would read as the port.
        guard !host.isEmpty, ICEServer.isPlain(host), !host.contains(":") || (host.hasPrefix("[") && host.hasSuffix("]")) else { return nil }
        return (host, port)
    }

    private static func section(_ node: Node, _ key: String,
                                _ body: (String, Node) throws(ConfigurationError) -> Void) throws(ConfigurationError) {
        guard let mapping = node.mapping else { throw .invalid(key: key, reason: "expected a mapping") }
        for (k, v) in mapping { try body(k.string ?? "", v) }
    }

    private static func string(_ node: Node, _ key: String) throws(ConfigurationError) -> String {
        guard let s = node.string else { throw .invalid(key: key, reason: "expected a string") }
        return s
    }

    private static func strings(_ node: Node, _ key: String) throws(ConfigurationError) -> [String] {
        if let s = node.string { return [s] }
        guard let seq = node.sequence else { throw .invalid(key: key, reason: "expected a list") }
        var out: [String] = []
        for item in seq { out.append(try string(item, key)) }
        return out
    }

    private static func port(_ node: Node, _ key: String) throws(ConfigurationError) -> UInt16 {
        guard let s = node.string, let p = UInt16(s) else { throw .invalid(key: key, reason: "expected a port number") }
        return p
    }

    private static func bool(_ node: Node, _ key: String) throws(ConfigurationError) -> Bool {
        guard let b = node.bool else { throw .invalid(key: key, reason: "expected true or false") }
        return b
    }

    /// "30", "30s", "500ms", "2m".
    static func seconds(_ node: Node, _ key: String) throws(ConfigurationError) -> Double {
        guard let s = node.string, let value = parseDuration(s) else {
            throw .invalid(key: key, reason: "expected a duration such as 30s")
        }
        return value
    }
}

/// Parses "30", "30s", "500ms", "2m", "6h" into seconds.
public func parseDuration(_ text: String) -> Double? {
    let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
    for (suffix, scale) in units where text.hasSuffix(suffix) {
        return Double(text.dropLast(suffix.count)).map { $0 * scale }
    }
    return Double(text)
}

extension SRTPProfile {
    /// Names used in config files and flags.
    public init?(configName: String) {
        switch configName.lowercased() {
        case "aead_aes_128_gcm", "gcm": self = .aeadAes128Gcm
        case "aes128_cm_sha1_80", "aes_cm", "cm": self = .aes128CmHmacSha1_80
        default: return nil
        }
    }
}

extension ServerConfiguration {
    /// `--srtp-profiles gcm,cm`: the SRTP profiles to offer, in preference order.
    public mutating func setSRTPProfiles(commaSeparated list: String) throws(ConfigurationError) {
        var profiles: [SRTPProfile] = []
        for name in list.split(separator: ",") {
            guard let profile = SRTPProfile(configName: String(name)) else {
                throw .invalid(key: "rtc.srtp_profiles", reason: "unknown profile \(name) (gcm, cm)")
            }
            profiles.append(profile)
        }
        srtpProfiles = profiles
    }
}
