import Foundation
import SFU
import SRTP

/// Everything `switchboard serve` runs with. Built from defaults, then the config file, then
/// environment variables, then command-line flags (later wins), and validated once.
public struct ServerConfiguration: Sendable, Equatable {
    /// HTTP/WebSocket port (signalling, APIs, demo page).
    public var port: UInt16 = 7880
    /// Addresses to bind HTTP and media to (one per family for media).
    public var bindAddresses: [String] = ["0.0.0.0"]
    /// Media UDP port.
    public var udpPort: UInt16 = 7882
    /// Addresses announced in ICE candidates; empty derives them from the bound addresses.
    public var nodeIPs: [String] = []
    public var dataDirectory: String = "./data"
    /// API key -> secret.
    public var keys: [String: String] = [:]
    public var development = false
    public var logLevel: String = "info"
    public var srtpProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]
    public var consentTimeoutSeconds: Double = 30
    /// `rtc.realtime_priority`: SCHED_FIFO priority (1-99) for the media thread; nil: normal.
    public var realtimePriority: Int32?
    /// PEM files for the DTLS certificate; both nil generates one at start-up.
    public var dtlsCertificateFile: String?
    public var dtlsKeyFile: String?
    /// LiveKit `room.empty_timeout`, `room.departure_timeout`, `room.max_participants`.
    public var emptyTimeoutSeconds: UInt32 = 300
    public var departureTimeoutSeconds: UInt32 = 20
    /// LiveKit `audio.update_interval`: milliseconds between active speaker evaluations.
    public var speakerUpdateIntervalMilliseconds = 200
    /// `rtc.max_subscriber_bitrate`: the cap of each subscriber's bandwidth estimate and probes.
    public var maxSubscriberBitrate: Int64 = 8_000_000
    /// `rtc.stun_servers` as `stun:` URLs, and `rtc.turn_servers`.
    public var stunURLs: [String] = []
    public var turnServers: [ICEServer] = []
    /// What clients are told: one entry with every STUN URL, then each TURN server.
    public var iceServers: [ICEServer] { (stunURLs.isEmpty ? [] : [ICEServer(urls: stunURLs)]) + turnServers }
    public var maxParticipants: UInt32 = 0
    /// `room.auto_record`: record every publishing participant (one WebM per participant).
    public var autoRecord = false
    /// `room.chat_history`: chat messages kept for, and sent to, late joiners (0: chat is not kept).
    public var chatHistory = 50
    /// `recording.directory`: where recordings go; nil is `<data_dir>/recordings`.
    public var recordingsDirectory: String?
    /// `recording.buffer_packets`: packets a recording's writer may fall behind by (a slow
    /// disk) before that recording fails; forwarding never waits for it.
    public var recordingBufferPackets = 1024
    /// Per client address: joins allowed at once, and refill rate (429 beyond).
    public var joinBurst: Int = 20
    public var joinsPerSecond: Double = 2
    /// `web.directory`: the demo page's files; nil finds `web/` (working directory, then beside
    /// the executable's checkout); "" serves no page.
    public var webDirectory: String?
    /// `webhook.urls` / `--webhook-url`: endpoints every webhook event is POSTed to; none: no webhooks.
    public var webhookURLs: [String] = []
    /// `webhook.api_key`: the key whose secret signs webhook requests; nil takes the only key.
    public var webhookAPIKey: String?
    /// `webhook.max_age`: seconds an undelivered event is retried before it is given up on.
    public var webhookMaxAgeSeconds: Double = 24 * 3600
    /// `tls.cert_file` / `tls.key_file` (`--tls-cert`, `--tls-key`): PEM files; HTTP and the
    /// signalling WebSocket are then served over TLS only.
    public var tlsCertificateFile: String?
    public var tlsKeyFile: String?
    /// `cors.allowed_origins` (`--cors-origin`): browser origins (`https://app.example.com`, or
    /// `*`) allowed to call the HTTP APIs and WHIP/WHEP from their pages; none: no CORS headers.
    public var corsAllowedOrigins: [String] = []
    /// Test-only: echo every received RTP packet back to its sender (`POST /debug/loopback`).
    public var loopback = false

    public init() {}

    /// Where recordings are written.
    public var effectiveRecordingsDirectory: String {
        recordingsDirectory ?? (dataDirectory as NSString).appendingPathComponent("recordings")
    }

    /// The key pair `--dev` uses, as livekit-server's dev mode does.
    public static let developmentKeys = ["devkey": "secret"]

    /// Applies `--dev`: development keys (unless keys were given) and loopback-only binding.
    public mutating func applyDevelopmentDefaults(bindExplicit: Bool) {
        development = true
        if keys.isEmpty { keys = Self.developmentKeys }
        if !bindExplicit { bindAddresses = ["127.0.0.1"] }
    }

    /// Checks everything that would otherwise fail later, naming the offending setting.
    public func validate() throws(ConfigurationError) {
        if bindAddresses.isEmpty { throw .invalid(key: "bind_addresses", reason: "at least one address is needed") }
        for address in bindAddresses where !isNumericIP(address) {
            throw .invalid(key: "bind_addresses", reason: "\(address) is not a numeric IP address")
        }
        for ip in nodeIPs where !isNumericIP(ip) {
            throw .invalid(key: "rtc.node_ip", reason: "\(ip) is not a numeric IP address")
        }
        if srtpProfiles.isEmpty { throw .invalid(key: "rtc.srtp_profiles", reason: "at least one profile is needed") }
        if consentTimeoutSeconds < 1 { throw .invalid(key: "rtc.consent_timeout", reason: "must be at least 1 s") }
        if (tlsCertificateFile == nil) != (tlsKeyFile == nil) {
            throw .invalid(key: "tls", reason: "--tls-cert and --tls-key (tls.cert_file, tls.key_file) go together")
        }
        for origin in corsAllowedOrigins where origin != "*" {
            // An origin is scheme://host[:port] exactly as browsers send it: no path, no slash.
            let rest = origin.hasPrefix("https://") ? origin.dropFirst(8) : origin.hasPrefix("http://") ? origin.dropFirst(7) : nil
            guard let rest, !rest.isEmpty, !rest.contains("/") else {
                throw .invalid(key: "cors.allowed_origins", reason: "\(origin) is not an origin (scheme://host[:port], no path) or *")
            }
        }
        if (dtlsCertificateFile == nil) != (dtlsKeyFile == nil) {
            throw .invalid(key: "rtc.dtls_certificate", reason: "certificate and key files go together")
        }
        if !["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(logLevel) {
            throw .invalid(key: "logging.level", reason: "unknown level \(logLevel)")
        }
        for (key, secret) in keys {
            if key.isEmpty || secret.isEmpty { throw .invalid(key: "keys", reason: "empty key or secret") }
            // HS256 with a short secret is brute-forceable; livekit-server refuses them too.
            if !development && secret.utf8.count < 32 {
                throw .invalid(key: "keys", reason: "secret for \(key) is shorter than 32 bytes (allowed only with --dev)")
            }
        }
        if !(16...65_536).contains(recordingBufferPackets) {
            throw .invalid(key: "recording.buffer_packets", reason: "expected 16...65536")
        }
        if recordingsDirectory?.isEmpty == true { throw .invalid(key: "recording.directory", reason: "must not be empty") }
        if !development && keys.isEmpty {
            throw .invalid(key: "keys", reason: "no API keys: pass --keys \"key: secret\", set SWITCHBOARD_KEYS, or use --dev")
        }
        try validateWebhooks()
    }

    private func isNumericIP(_ s: String) -> Bool {
        var v4 = in_addr(), v6 = in6_addr()
        return inet_pton(AF_INET, s, &v4) == 1 || inet_pton(AF_INET6, s, &v6) == 1
    }
}

public enum ConfigurationError: Error, Equatable, CustomStringConvertible {
    case invalid(key: String, reason: String)
    case unknownKey(String)
    case unreadable(path: String, reason: String)

    public var description: String {
        switch self {
        case .invalid(let key, let reason): return "config: \(key): \(reason)"
        case .unknownKey(let key): return "config: unknown key \(key)"
        case .unreadable(let path, let reason): return "config: cannot read \(path): \(reason)"
        }
    }
}

/// Parses `"key: secret"` pairs, one per line or comma separated, as livekit-server's `--keys`
/// and `LIVEKIT_KEYS` take them.
public func parseKeyList(_ text: String) throws(ConfigurationError) -> [String: String] {
    var keys: [String: String] = [:]
    for entry in text.split(whereSeparator: { $0 == "\n" || $0 == "," }) {
        let trimmed = entry.trimmingCharacters(in: .whitespaces)
        if trimmed.isEmpty { continue }
        guard let colon = trimmed.firstIndex(of: ":") else {
            throw .invalid(key: "keys", reason: "expected \"key: secret\"")
        }
        let key = trimmed[..<colon].trimmingCharacters(in: .whitespaces)
        let secret = trimmed[trimmed.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        guard !key.isEmpty, !secret.isEmpty else { throw .invalid(key: "keys", reason: "expected \"key: secret\"") }
        keys[key] = secret
    }
    return keys
}
