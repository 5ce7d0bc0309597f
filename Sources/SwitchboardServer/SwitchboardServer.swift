import AccessTokens
import DTLS
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
import HummingbirdWebSocket
import Logging
import MediaTransport
import NIOCore
import NIOSSL
import Recording
import ServiceLifecycle
import UnixSignals
import SFU
import Signalling
import Store
import Webhooks

/// The running server: media transport on UDP plus HTTP (health, and later signalling and APIs).
public final class SwitchboardServer: Sendable {
    public let configuration: ServerConfiguration
    public let transports: TransportServer
    public let store: SwitchboardStore
    public let rooms: RoomManager
    let rtc: RTCService
    let httpSessions: HTTPSessionEndpoint
    let roomService: RoomServiceAPI
    let chatService: ChatServiceAPI
    let qualityService: QualityServiceAPI
    let chatAttachments: ChatAttachmentEndpoint
    public let egress: EgressManager
    let egressService: EgressServiceAPI
    /// Webhook delivery and the SFU's event queue feeding it; nil without `webhook.urls`.
    public let webhooks: WebhookNotifier?
    let roomEvents: RoomEvents?
    /// The demo page, when its directory was found.
    let webAssets: WebAssets?
    private let logger: Logger

    /// Prepares everything that can fail before any port is announced: config, data directory,
    /// DTLS certificate, UDP sockets.
    public init(configuration: ServerConfiguration, logger: Logger) throws {
        try configuration.validate()
        self.configuration = configuration
        self.logger = logger
        try FileManager.default.createDirectory(atPath: configuration.dataDirectory, withIntermediateDirectories: true)
        var certificate: DTLSCertificate?
        if let certFile = configuration.dtlsCertificateFile, let keyFile = configuration.dtlsKeyFile {
            certificate = try DTLSCertificate.load(certificatePEM: String(contentsOfFile: certFile, encoding: .utf8),
                                                   privateKeyPEM: String(contentsOfFile: keyFile, encoding: .utf8))
        }
        transports = try TransportServer(configuration: TransportConfiguration(
            bindAddresses: configuration.bindAddresses, udpPort: configuration.udpPort, nodeIPs: configuration.nodeIPs,
            srtpProfiles: configuration.srtpProfiles, consentTimeout: .milliseconds(Int(configuration.consentTimeoutSeconds * 1000)),
            certificate: certificate, realtimePriority: configuration.realtimePriority))
        store = try SwitchboardStore(dataDirectory: URL(fileURLWithPath: configuration.dataDirectory))
        var roomDefaults = RoomDefaults()
        roomDefaults.emptyTimeout = configuration.emptyTimeoutSeconds
        roomDefaults.departureTimeout = configuration.departureTimeoutSeconds
        roomDefaults.maxParticipants = configuration.maxParticipants
        roomDefaults.autoRecord = configuration.autoRecord
        roomDefaults.chatHistory = configuration.chatHistory
        if let hooks = configuration.webhookConfiguration {
            let notifier = try WebhookNotifier(configuration: hooks, store: store, logger: logger)
            webhooks = notifier
            roomEvents = RoomEvents(sink: WebhookEventSink(notifier: notifier))
        } else {
            webhooks = nil
            roomEvents = nil
        }
        egress = try EgressManager(configuration: .init(recordingsDirectory: configuration.effectiveRecordingsDirectory,
                                                        ringCapacity: configuration.recordingBufferPackets),
                                   store: store, logger: logger, events: roomEvents)
        var context = SFUContext(transports: transports, store: store, logger: logger,
                                 roomDefaults: roomDefaults, serverVersion: liveKitCompatibleVersion)
        context.serverDebugInfo = "switchboard \(switchboardVersion)"
        context.chatAttachmentsDirectory = URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("chat").path
        context.speakerUpdateInterval = .milliseconds(configuration.speakerUpdateIntervalMilliseconds)
        context.maxSubscriberBitrate = configuration.maxSubscriberBitrate
        context.iceServers = configuration.iceServers
        context.autoRecorderFactory = egress
        context.events = roomEvents
        rooms = RoomManager(context: context)
        let verifier = TokenVerifier(keys: configuration.keys)
        let joinLimiter = JoinRateLimiter(burst: configuration.joinBurst, perSecond: configuration.joinsPerSecond)
        rtc = RTCService(rooms: rooms, admission: JoinAdmission(verifier: verifier), limiter: joinLimiter,
                         refresher: TokenRefresher(keys: configuration.keys), logger: logger)
        httpSessions = HTTPSessionEndpoint(rooms: rooms, admission: JoinAdmission(verifier: verifier), limiter: joinLimiter,
                                           logger: logger, iceServers: configuration.iceServers)
        roomService = RoomServiceAPI(rooms: rooms, verifier: verifier, logger: logger)
        chatService = ChatServiceAPI(rooms: rooms, verifier: verifier, logger: logger)
        qualityService = QualityServiceAPI(rooms: rooms, verifier: verifier, logger: logger)
        chatAttachments = ChatAttachmentEndpoint(store: store, directory: context.chatAttachmentsDirectory, verifier: verifier)
        if configuration.webDirectory != "", let directory = WebAssets.locate(explicit: configuration.webDirectory) {
            webAssets = try WebAssets(directory: directory, rereadOnRequest: configuration.development)
            logger.info("demo page from \(directory)")
        } else {
            webAssets = nil
            logger.notice("demo page not found (no web/index.html); set --web-dir")
        }
        egressService = EgressServiceAPI(rooms: rooms, egress: egress, verifier: verifier, logger: logger)
    }

    /// Runs until SIGINT/SIGTERM, then closes every transport.
    public func run() async throws {
        // Before anything can record: what a previous process left unfinished is repaired.
        egress.recoverUnfinished()
        // Before rooms open: what a previous run left undelivered goes first.
        webhooks?.start()
        if let problem = transports.start() {
            logger.warning("rtc.realtime_priority not applied, the media thread runs with normal scheduling: \(problem)")
        } else if let priority = configuration.realtimePriority {
            logger.notice("media thread: SCHED_FIFO priority \(priority)")
        }
        await rooms.start()
        for address in transports.localAddresses {
            logger.notice("media: listening on UDP \(address)")
        }
        logger.notice("media: candidates \(transports.candidates.map { "\($0.host):\($0.port)" }.joined(separator: ", "))")
        logger.notice("DTLS certificate fingerprint: \(transports.dtlsContext.certificate.fingerprint)")
        logger.notice("SRTP profiles: \(configuration.srtpProfiles.map(\.openSSLName).joined(separator: ", "))")
        logger.notice("recordings: \(egress.paths.root)\(configuration.autoRecord ? " (auto_record on)" : "")")

        let host = configuration.bindAddresses[0]
        let rtc = self.rtc
        var server: HTTPServerBuilder = .signalling(maxFrameSize: SignalCodec.maximumFrameSize) { request, channel in
            await rtc.shouldUpgrade(request, channel: channel)
        }
        if let tls = try tlsConfiguration() { server = try .tls(server, tlsConfiguration: tls) }
        let scheme = configuration.tlsCertificateFile == nil ? "http" : "https"
        let app = Application(
            router: makeRouter(),
            server: server,
            configuration: .init(address: .hostname(host, port: Int(configuration.port)), serverName: "switchboard"),
            onServerRunning: { [logger, configuration] channel in
                let port = channel.localAddress?.port ?? Int(configuration.port)
                let shown = host.contains(":") ? "[\(host)]" : (host == "0.0.0.0" ? "127.0.0.1" : host)
                logger.notice("http: listening on \(host):\(port)")
                if configuration.development {
                    for (key, secret) in configuration.keys.sorted(by: { $0.key < $1.key }) {
                        logger.notice("development mode: API key \(key), secret \(secret) (never use these in production)")
                    }
                }
                logger.notice("switchboard ready: open \(scheme)://\(shown):\(port)/")
            },
            logger: logger)
        // SIGTERM/SIGINT shut down in this order (a ServiceGroup stops its services last first):
        // the drain tells every participant (`leave`, SERVER_SHUTDOWN) and finishes recordings
        // while HTTP still runs (so the leaves reach the WebSockets); then HTTP stops.
        var groupConfiguration = ServiceGroupConfiguration(
            services: [.init(service: app),
                       .init(service: DrainService(server: self), successTerminationBehavior: .gracefullyShutdownGroup)],
            logger: logger)
        // A drain stuck on a disk or a client is cut short (the services are cancelled).
        groupConfiguration.maximumGracefulShutdownDuration = .seconds(30)
        let group = ServiceGroup(configuration: groupConfiguration)
        // One watcher for both signals: the first starts the graceful shutdown, a second one
        // while it runs exits at once.
        let signals = Task { [logger] in
            var caught = 0
            for await signal in await UnixSignalsSequence(trapping: .sigterm, .sigint) {
                caught += 1
                if caught == 1 {
                    logger.notice("\(signal): shutting down gracefully (send it again to exit at once)")
                    await group.triggerGracefulShutdown()
                } else {
                    logger.warning("second \(signal) during shutdown: exiting now")
                    LogWriter.standardOutput.flush()
                    exit(1)
                }
            }
        }
        defer { signals.cancel() }
        try await group.run()
        // room_finished and the last egress events into the outbox, then a short chance to send them.
        roomEvents?.drain()
        await webhooks?.stop(grace: .seconds(2))
        transports.stop()
        try? store.close()
    }

    /// The first half of a graceful shutdown: no more joins (503, `/readyz` 503), every room
    /// closed with SERVER_SHUTDOWN, recordings finalized.
    func drain() async {
        logger.notice("shutting down: closing rooms and \(transports.activeTransports) transport(s)")
        await rooms.stop(reason: .serverShutdown)
        await egress.shutdown()
    }

    /// The HTTPS configuration from `--tls-cert`/`--tls-key`; nil serves plain HTTP.
    func tlsConfiguration() throws -> TLSConfiguration? {
        guard let certFile = configuration.tlsCertificateFile, let keyFile = configuration.tlsKeyFile else { return nil }
        let chain: [NIOSSLCertificate], key: NIOSSLPrivateKey
        do {
            chain = try NIOSSLCertificate.fromPEMFile(certFile)
            key = try NIOSSLPrivateKey(file: keyFile, format: .pem)
        } catch {
            throw ConfigurationError.invalid(key: "tls", reason: "cannot load \(certFile) / \(keyFile): \(error)")
        }
        guard !chain.isEmpty else { throw ConfigurationError.invalid(key: "tls.cert_file", reason: "no certificate in \(certFile)") }
        var tls = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) },
                                                           privateKey: .privateKey(key))
        tls.minimumTLSVersion = .tlsv12
        return tls
    }

    func makeRouter() -> Router<SwitchboardRequestContext> {
        let router = Router(context: SwitchboardRequestContext.self)
        router.add(middleware: HTTPHeadersMiddleware(allowedOrigins: Set(configuration.corsAllowedOrigins),
                                                     tls: configuration.tlsCertificateFile != nil))
        rtc.register(on: router)
        httpSessions.register(on: router)
        roomService.register(on: router)
        chatService.register(on: router)
        qualityService.register(on: router)
        chatAttachments.register(on: router)
        egressService.register(on: router)
        if configuration.development, let (key, secret) = configuration.keys.sorted(by: { $0.key < $1.key }).first {
            DevelopmentTokens(apiKey: key, secret: secret).register(on: router)
        }
        let transports = self.transports
        let logger = self.logger
        if let webAssets {
            webAssets.register(on: router)
        } else {
            router.get("/") { _, _ in
                Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: "Switchboard media server \(switchboardVersion) (demo page not installed)\n")))
            }
        }
        router.get("/healthz") { _, _ in "ok\n" }
        MetricsEndpoint(transports: transports, stats: rooms.context.stats, quality: rooms.context.qualityCounts,
                        data: rooms.context.dataStats,
                        webhooks: webhooks?.metrics, rooms: rooms,
                        recordingsActive: { [egress] in egress.activeCount }).register(on: router)
        let rooms = self.rooms, store = self.store
        router.get("/readyz") { _, _ -> Response in
            // Ready: media socket bound, store answering, not shutting down.
            func answer(_ status: HTTPResponse.Status, _ body: String) -> Response {
                Response(status: status, headers: [.contentType: "text/plain; charset=utf-8"],
                         body: .init(byteBuffer: ByteBuffer(string: body + "\n")))
            }
            guard !transports.localAddresses.isEmpty else { return answer(.serviceUnavailable, "media socket not bound") }
            guard store.isOpen else { return answer(.serviceUnavailable, "store not open") }
            guard await !rooms.draining else { return answer(.serviceUnavailable, "draining") }
            return answer(.ok, "ready")
        }
        if configuration.loopback {
            router.post("/debug/loopback") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 256 * 1024)
                do {
                    let answer = try LoopbackSession.start(offerText: String(buffer: body), server: transports, logger: logger)
                    return Response(status: .created, headers: [.contentType: "application/sdp"],
                                    body: .init(byteBuffer: ByteBuffer(string: answer)))
                } catch {
                    logger.warning("loopback: \(error)")
                    return Response(status: .badRequest, headers: [.contentType: "text/plain; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: "\(error)\n")))
                }
            }
        }
        return router
    }
}

public let switchboardVersion = "0.1.0"

/// The server version clients are told (JoinResponse.server_version, ServerInfo.version): the
/// livekit-server release whose protocol we speak. SDKs gate features on it (the Rust and JS
/// SDKs refuse RPC below 1.8.0, and parse it as semver); our own version goes in debug_info.
public let liveKitCompatibleVersion = "1.8.0"

/// Waits for the graceful shutdown, then drains the server (see `SwitchboardServer.drain`).
struct DrainService: Service {
    let server: SwitchboardServer

    func run() async throws {
        try? await gracefulShutdown()
        await server.drain()
    }
}
