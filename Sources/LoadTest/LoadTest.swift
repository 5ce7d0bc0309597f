import AccessTokens
import DTLS
import Foundation
import MediaTransport

/// `switchboard loadtest`: many publishers and viewers simulated in one process with our own
/// transport stack in the client role, publishing real VP8/Opus at real rates and receiving it,
/// negotiated through WHIP/WHEP (so the same load can be pointed at any WHIP/WHEP server) or
/// through LiveKit's signalling protocol, as the SDKs do.
public struct LoadTestOptions: Sendable {
    public var url = "http://127.0.0.1:7880"
    public var apiKey = "devkey"
    public var apiSecret = "secret"
    public var room = "loadtest"
    /// The scenario is repeated in this many rooms, named `<room>-1` ... when more than one.
    public var rooms = 1
    /// Publishers of audio and video; of video only; of audio only.
    public var publishers = 0
    public var videoPublishers = 0
    public var audioPublishers = 0
    /// Viewers per room, each receiving every track of the room.
    public var subscribers = 0
    public var duration: Double = 60
    /// Media flows this long before measuring starts (viewers wait for a keyframe meanwhile).
    public var warmup: Double = 3
    public var videoBitrateKbps = 1500
    /// Seconds between keyframes of the synthetic video (the length of its loop). libwebrtc sends
    /// VP8 keyframes only when asked (PLI/FIR), so a long loop is closer to a real camera.
    public var keyframeInterval: Double = 10
    /// Publishers pace video at this multiple of their bitrate, with a 40 ms burst, as libwebrtc
    /// does (its pace multiplier is 2.5); 0 sends each frame's packets back to back.
    public var pacingFactor: Double = 2.5
    /// Video publishers send three simulcast layers (q/h/f, RFC 8853) instead of one stream.
    public var simulcast = false
    /// Pre-encoded media to publish instead of the synthetic picture: VP8 IVF files (one, or three
    /// with `simulcast`, lowest first) and an Ogg Opus file of 20 ms packets.
    public var videoFiles: [String] = []
    /// LiveKit viewers ask for each video track at the size this layout shows it (nil: full size).
    public var layout: ViewerLayout?
    public var audioFile: String?
    /// The run fails (exit status 1) above this loss fraction.
    public var maxLoss = 0.01
    public var jsonPath: String?
    public var signalling: Signalling = .whip

    /// How sessions are negotiated: WHIP/WHEP (any server that speaks them) or LiveKit's `/rtc`.
    public enum Signalling: String, Sendable {
        case whip
        case livekit
    }

    public init() {}

    var audioTracksPerRoom: Int { publishers + audioPublishers }
    var videoTracksPerRoom: Int { publishers + videoPublishers }
}

public struct LoadTestReport: Codable, Sendable {
    public struct Kind: Codable, Sendable {
        public var streams = 0
        public var packets = 0
        public var lost = 0
        public var bytes = 0
        public var loss: Double { packets + lost == 0 ? 0 : Double(lost) / Double(packets + lost) }
    }

    public struct Viewer: Codable, Sendable {
        public var room: String
        public var identity: String
        public var streamsExpected: Int
        public var streamsWithMedia: Int
        public var packets: Int
        public var lost: Int
        public var kbps: Double
        public var latencyP50: Double?
        public var latencyP99: Double?
        /// Each video stream's size at its last keyframe ("640x360"): the simulcast layer it got.
        public var videoSizes: [String] = []
    }

    public var rooms = 0
    public var publishers = 0
    public var viewers = 0
    public var seconds = 0.0
    public var videoLoopKbps = 0.0
    public var packetsSent = 0
    public var keyframeRequests = 0
    /// Most video packets one publisher's pacer held back at once (0 without pacing).
    public var pacerQueuePeak = 0
    public var audio = Kind()
    public var video = Kind()
    public var latencyP50: Double?
    public var latencyP99: Double?
    public var latencyMax: Double?
    public var viewersWithAllMedia = 0
    /// Video streams received, by size at their last keyframe ("640x360": 10).
    public var videoSizes: [String: Int] = [:]
    public var failures: [String] = []
    public var perViewer: [Viewer] = []

    public var loss: Double {
        let lost = audio.lost + video.lost, total = audio.packets + video.packets + lost
        return total == 0 ? 0 : Double(lost) / Double(total)
    }
}

public enum LoadTest {
    /// Runs the scenario; `say` gets progress and the summary, line by line.
    public static func run(_ options: LoadTestOptions, say: @escaping @Sendable (String) -> Void) async throws -> LoadTestReport {
        // WHIP/WHEP go through our plain-http client; LiveKit signalling through a WebSocket (ws or wss).
        let http = options.signalling == .whip ? try HTTPRequest(url: options.url) : nil
        let media = try EncodedMedia.load(videoFiles: options.videoFiles, audioFile: options.audioFile, simulcast: options.simulcast,
                                          videoBitrateKbps: options.videoBitrateKbps, loopSeconds: options.keyframeInterval)
        let layers = media.videoLayers.map {
            String(format: "%@%dx%d %.0f fps %.0f kbit/s (keyframe %d packets)", $0.rid.map { "\($0) " } ?? "", $0.width, $0.height,
                   $0.framesPerSecond, $0.measuredKbps, $0.frames.first?.payloads.count ?? 0)
        }
        say("media: VP8 \(layers.joined(separator: ", ")) over a \(media.videoLayers[0].frames.count)-frame loop; "
            + "Opus \(media.audio.count) packets of 20 ms")
        let certificate = try DTLSCertificate.generateSelfSigned()
        var report = LoadTestReport()
        report.videoLoopKbps = media.measuredVideoKbps
        report.rooms = options.rooms

        let roomNames = options.rooms == 1 ? [options.room] : (1...options.rooms).map { "\(options.room)-\($0)" }
        var publishers: [any MediaSession] = []
        let kinds = Array(repeating: (1, 1), count: options.publishers) + Array(repeating: (0, 1), count: options.videoPublishers)
            + Array(repeating: (1, 0), count: options.audioPublishers)
        for room in roomNames {
            for (index, (audio, video)) in kinds.enumerated() {
                let token = try await token(identity: "publisher-\(index)", room: room, publish: true, options)
                do {
                    switch options.signalling {
                    case .whip:
                        publishers.append(try HTTPMediaSession(role: .publisher, http: http!, path: "/whip/\(escape(room))", token: token,
                                                               certificate: certificate, audioSections: audio, videoSections: video,
                                                               videoRIDs: media.videoLayers.compactMap(\.rid)))
                    case .livekit:
                        publishers.append(try await LiveKitMediaSession(url: webSocketURL(options.url), token: token,
                                                                        publish: (audio > 0, video > 0), expectedTracks: 0,
                                                                        certificate: certificate, videoLayers: media.videoLayers))
                    }
                } catch {
                    report.failures.append("\(room)/publisher-\(index): \(error)")
                }
            }
        }
        report.publishers = publishers.count
        say("publishers connected: \(publishers.count)/\(kinds.count * roomNames.count)")
        let pump = PublisherPump(sessions: publishers, media: media, pacingFactor: options.pacingFactor)
        pump.start()

        var viewers: [(room: String, identity: String, session: any MediaSession)] = []
        for room in roomNames {
            for index in 0..<options.subscribers {
                let identity = "viewer-\(index)"
                let token = try await token(identity: identity, room: room, publish: false, options)
                do {
                    let session: any MediaSession
                    switch options.signalling {
                    case .whip:
                        session = try HTTPMediaSession(role: .viewer, http: http!, path: "/whep/\(escape(room))", token: token,
                                                       certificate: certificate, audioSections: options.audioTracksPerRoom,
                                                       videoSections: options.videoTracksPerRoom)
                    case .livekit:
                        session = try await LiveKitMediaSession(url: webSocketURL(options.url), token: token, publish: nil,
                                                                expectedTracks: options.audioTracksPerRoom + options.videoTracksPerRoom,
                                                                certificate: certificate, layout: options.layout)
                    }
                    viewers.append((room, identity, session))
                } catch {
                    report.failures.append("\(room)/\(identity): \(error)")
                }
            }
        }
        report.viewers = viewers.count
        say("viewers connected: \(viewers.count)/\(options.subscribers * roomNames.count)")
        let sink = ViewerSink(sessions: viewers.map(\.session))
        sink.start()

        try await Task.sleep(for: .seconds(options.warmup))
        sink.measuring.store(true, ordering: .relaxed)
        let start = Date()
        var lastSent = pump.packetsSent.load(ordering: .relaxed), lastReceived = 0, lastBytes = 0
        var elapsed = 0
        while Double(elapsed) < options.duration {
            let step = min(1.0, options.duration - Double(elapsed))
            try await Task.sleep(for: .seconds(step))
            elapsed += 1
            let sent = pump.packetsSent.load(ordering: .relaxed)
            let received = sink.packetsReceived.load(ordering: .relaxed), bytes = sink.bytesReceived.load(ordering: .relaxed)
            say(String(format: "%4ds  sent %6d pkt/s  received %7d pkt/s  %8.1f Mbit/s", elapsed, Int(Double(sent - lastSent) / step),
                       Int(Double(received - lastReceived) / step), Double(bytes - lastBytes) * 8 / step / 1e6))
            (lastSent, lastReceived, lastBytes) = (sent, received, bytes)
        }
        let seconds = Date().timeIntervalSince(start)
        let windowEnd = monotonicNanoseconds()
        pump.stop()
        try await Task.sleep(for: .milliseconds(500)) // what is in flight arrives
        sink.stop()
        report.seconds = seconds
        report.packetsSent = pump.packetsSent.load(ordering: .relaxed)
        report.keyframeRequests = pump.keyframeRequests.load(ordering: .relaxed)
        report.pacerQueuePeak = pump.pacerQueuePeak.load(ordering: .relaxed)

        var latency = LatencyHistogram()
        for (index, viewer) in viewers.enumerated() {
            let stats = sink.viewers[index]
            latency.add(stats.latency)
            var summary = LoadTestReport.Viewer(room: viewer.room, identity: viewer.identity,
                                                streamsExpected: options.audioTracksPerRoom + options.videoTracksPerRoom,
                                                streamsWithMedia: 0, packets: 0, lost: 0, kbps: 0,
                                                latencyP50: stats.latency.percentile(0.5), latencyP99: stats.latency.percentile(0.99))
            var bytes = 0
            for stream in stats.streams.values {
                // Media on a track means packets until the end: a stream silent for the last 2 s
                // of the window stopped (its loss alone would not show it).
                if stream.received > 0 && windowEnd - stream.lastArrival < 2_000_000_000 {
                    summary.streamsWithMedia += 1
                } else if stream.received > 0 {
                    report.failures.append("\(viewer.room)/\(viewer.identity): a \(stream.isVideo ? "video" : "audio") stream stopped "
                                           + String(format: "%.1f s before the end", Double(windowEnd - stream.lastArrival) / 1e9))
                }
                summary.packets += stream.received
                summary.lost += stream.lost
                bytes += stream.bytes
                if stream.isVideo && stream.width > 0 {
                    let size = "\(stream.width)x\(stream.height)"
                    summary.videoSizes.append(size)
                    report.videoSizes[size, default: 0] += 1
                }
                if stream.isVideo {
                    report.video.streams += 1; report.video.packets += stream.received; report.video.lost += stream.lost
                    report.video.bytes += stream.bytes
                } else {
                    report.audio.streams += 1; report.audio.packets += stream.received; report.audio.lost += stream.lost
                    report.audio.bytes += stream.bytes
                }
            }
            summary.kbps = Double(bytes * 8) / seconds / 1000
            if summary.streamsWithMedia == summary.streamsExpected && summary.streamsExpected > 0 { report.viewersWithAllMedia += 1 }
            report.perViewer.append(summary)
        }
        report.latencyP50 = latency.percentile(0.5)
        report.latencyP99 = latency.percentile(0.99)
        report.latencyMax = latency.count > 0 ? Double(latency.maximum) / 1e6 : nil
        for viewer in viewers {
            for problem in (viewer.session as? LiveKitMediaSession)?.problems ?? [] {
                report.failures.append("\(viewer.room)/\(viewer.identity): \(problem)")
            }
        }
        for session in publishers { await session.end() }
        for viewer in viewers { await viewer.session.end() }

        for line in summaryLines(report, options: options) { say(line) }
        if let path = options.jsonPath {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(report).write(to: URL(fileURLWithPath: path))
        }
        return report
    }

    /// Whether the run met its bar: everyone connected, every viewer got every track, loss below the limit.
    public static func passed(_ report: LoadTestReport, options: LoadTestOptions) -> Bool {
        report.failures.isEmpty && report.viewersWithAllMedia == report.viewers && report.loss <= options.maxLoss
    }

    static func summaryLines(_ r: LoadTestReport, options: LoadTestOptions) -> [String] {
        func ms(_ v: Double?) -> String { v.map { String(format: "%.2f", $0) } ?? "-" }
        var lines = ["",
                     "summary (\(options.signalling.rawValue)\(options.layout.map { ", layout \($0)" } ?? "")): \(r.rooms) room(s), \(r.publishers) publisher(s), \(r.viewers) viewer(s), \(String(format: "%.1f", r.seconds)) s measured",
                     "kind    streams   packets      lost    loss %   Mbit/s (all viewers)"]
        for (name, kind) in [("audio", r.audio), ("video", r.video)] where kind.streams > 0 {
            lines.append(name.padded(7) + String(format: " %7d %9d %9d %8.3f   %8.2f", kind.streams, kind.packets, kind.lost,
                                                 kind.loss * 100, Double(kind.bytes * 8) / max(r.seconds, 0.001) / 1e6))
        }
        if !r.videoSizes.isEmpty {
            lines.append("video received at: " + r.videoSizes.sorted { $0.key < $1.key }.map { "\($0.key) x\($0.value)" }.joined(separator: ", "))
        }
        lines.append("latency (publisher send -> viewer receive): p50 \(ms(r.latencyP50)) ms, p99 \(ms(r.latencyP99)) ms, max \(ms(r.latencyMax)) ms")
        if r.perViewer.count <= 20 {
            lines.append("viewer                 streams   packets    lost    kbit/s   p50 ms   p99 ms")
            for v in r.perViewer {
                lines.append("\(v.room)/\(v.identity)".padded(22) + String(format: " %3d/%-3d %9d %7d %9.0f ", v.streamsWithMedia,
                                                                                  v.streamsExpected, v.packets, v.lost, v.kbps)
                             + ms(v.latencyP50).padded(8, left: true) + " " + ms(v.latencyP99).padded(8, left: true))
            }
        }
        lines.append("viewers with media on every track: \(r.viewersWithAllMedia)/\(r.viewers); keyframe requests answered: \(r.keyframeRequests)")
        lines.append(options.pacingFactor > 0
            ? "publishers paced video at \(String(format: "%.1f", options.pacingFactor))x its bitrate (\(Pacer.defaultBurstInterval / 1_000_000) ms burst); most packets one pacer held: \(r.pacerQueuePeak)"
            : "publishers did not pace: each frame's packets went back to back")
        for failure in r.failures { lines.append("failed: \(failure)") }
        lines.append(passed(r, options: options) ? "PASS: loss \(String(format: "%.3f", r.loss * 100)) % <= \(options.maxLoss * 100) %"
                                                 : "FAIL: loss \(String(format: "%.3f", r.loss * 100)) % (limit \(options.maxLoss * 100) %), \(r.viewersWithAllMedia)/\(r.viewers) viewers complete, \(r.failures.count) failure(s)")
        return lines
    }

    private static func token(identity: String, room: String, publish: Bool, _ options: LoadTestOptions) async throws -> String {
        var grant = VideoGrant()
        grant.roomJoin = true
        grant.room = room
        grant.canPublish = publish
        grant.canSubscribe = !publish
        return try await TokenIssuer().token(identity: identity, room: room, grant: grant, validFor: 6 * 3600,
                                             apiKey: options.apiKey, secret: options.apiSecret)
    }

    /// `http(s)://host:port` -> `ws(s)://host:port` (the path is the server's `/rtc`).
    private static func webSocketURL(_ url: String) -> String {
        let trimmed = url.hasSuffix("/") ? String(url.dropLast()) : url
        if trimmed.hasPrefix("https://") { return "wss://" + trimmed.dropFirst("https://".count) }
        return trimmed.hasPrefix("http://") ? "ws://" + trimmed.dropFirst("http://".count) : trimmed
    }

    private static func escape(_ room: String) -> String {
        room.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed.subtracting(CharacterSet(charactersIn: "/"))) ?? room
    }
}

extension String {
    func padded(_ width: Int, left: Bool = false) -> String {
        let fill = String(repeating: " ", count: max(0, width - count))
        return left ? fill + self : self + fill
    }
}
