import ArgumentParser
import Foundation
import Logging
import SwitchboardServer

@main
struct Switchboard: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchboard",
        abstract: "Switchboard: an SFU media server that speaks LiveKit's protocol.",
        version: switchboardVersion,
        subcommands: [Serve.self, Token.self, LoadTestCommand.self],
        defaultSubcommand: Serve.self)
}

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the server.")

    @Flag(help: "Development mode: dev keys (devkey: secret), bind 127.0.0.1.")
    var dev = false

    @Option(help: "API keys as \"key: secret\" (comma or newline separated).")
    var keys: String?

    @Option(help: "Address to bind HTTP and media to (repeatable, one per family for media).")
    var bind: [String] = []

    @Option(help: "HTTP/WebSocket port (default 7880).")
    var port: UInt16?

    @Option(name: .customLong("udp-port"), help: "Media UDP port (default 7882; 0 picks a free port).")
    var udpPort: UInt16?

    @Option(name: .customLong("node-ip"), help: "IP address put into ICE candidates (repeatable).")
    var nodeIP: [String] = []

    @Option(name: .customLong("data-dir"), help: "Data directory (default ./data).")
    var dataDir: String?

    @Option(name: .customLong("recordings-dir"), help: "Where recordings are written (default <data-dir>/recordings).")
    var recordingsDir: String?

    @Option(name: .customLong("web-dir"), help: "Directory of the demo page (default: web/ of the checkout; \"\" for none).")
    var webDir: String?

    @Option(name: .customLong("webhook-url"), help: "POST LiveKit webhook events to this http:// URL (repeatable).")
    var webhookURL: [String] = []

    @Option(help: "YAML config file (livekit-server key names where they mean the same).")
    var config: String?

    @Option(name: .customLong("srtp-profiles"), help: "SRTP profiles in preference order: gcm,cm.")
    var srtpProfiles: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error.")
    var logLevel: String?

    @Option(name: .customLong("tls-cert"), help: "PEM certificate (chain) for HTTPS/WSS.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("cors-origin"), help: "Browser origin allowed to call the HTTP APIs (repeatable; * for any).")
    var corsOrigin: [String] = []

    @Flag(help: .hidden)
    var loopback = false

    /// Defaults, then the config file, then SWITCHBOARD_KEYS/LIVEKIT_KEYS, then flags.
    func buildConfiguration() throws(ConfigurationError) -> ServerConfiguration {
        var settings = ServerConfiguration()
        if let config { try ConfigurationFile.apply(path: config, to: &settings) }
        let environment = ProcessInfo.processInfo.environment
        if let env = environment["SWITCHBOARD_KEYS"] ?? environment["LIVEKIT_KEYS"] {
            settings.keys = try parseKeyList(env)
        }
        if let keys { settings.keys = try parseKeyList(keys) }
        if !bind.isEmpty { settings.bindAddresses = bind }
        if let port { settings.port = port }
        if let udpPort { settings.udpPort = udpPort }
        if !nodeIP.isEmpty { settings.nodeIPs = nodeIP }
        if let dataDir { settings.dataDirectory = dataDir }
        if let recordingsDir { settings.recordingsDirectory = recordingsDir }
        if let webDir { settings.webDirectory = webDir }
        if !webhookURL.isEmpty { settings.webhookURLs = webhookURL }
        if let logLevel { settings.logLevel = logLevel }
        if let srtpProfiles { try settings.setSRTPProfiles(commaSeparated: srtpProfiles) }
        if let tlsCert { settings.tlsCertificateFile = tlsCert }
        if let tlsKey { settings.tlsKeyFile = tlsKey }
        if !corsOrigin.isEmpty { settings.corsAllowedOrigins = corsOrigin }
        if dev || settings.development { settings.applyDevelopmentDefaults(bindExplicit: !bind.isEmpty || config != nil) }
        settings.loopback = loopback
        try settings.validate()
        return settings
    }

    func run() async throws {
        let settings: ServerConfiguration
        do { settings = try buildConfiguration() } catch { throw ValidationError(error.description) }

        let level = Logger.Level(rawValue: settings.logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = AsyncLogHandler(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "switchboard")
        defer { LogWriter.standardOutput.flush() }
        let server = try SwitchboardServer(configuration: settings, logger: logger)
        try await server.run()
    }
}
