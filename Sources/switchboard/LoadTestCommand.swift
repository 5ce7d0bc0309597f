import ArgumentParser
import Foundation
import LoadTest
import SwitchboardServer

/// `switchboard loadtest`: like `lk load-test`, against any WHIP/WHEP server.
struct LoadTestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Simulate publishers and viewers in one process (WHIP/WHEP or LiveKit signalling) and report loss and latency.",
        discussion: "Exit status 0 when every participant connected, every viewer received every track and loss stayed under --max-loss.")

    @Option(help: "Server URL (http://host:port).") var url = "http://127.0.0.1:7880"
    @Option(name: .customLong("api-key"), help: "API key the room tokens are signed for.") var apiKey = "devkey"
    @Option(name: .customLong("api-secret"), help: "API secret.") var apiSecret = "secret"
    @Option(help: "Room name (with --rooms N: <room>-1 ... <room>-N).") var room = "loadtest"
    @Option(help: "Repeat the scenario in this many rooms.") var rooms = 1
    @Option(help: "Publishers of audio and video, per room.") var publishers = 0
    @Option(name: .customLong("video-publishers"), help: "Publishers of video only, per room.") var videoPublishers = 0
    @Option(name: .customLong("audio-publishers"), help: "Publishers of audio only, per room.") var audioPublishers = 0
    @Option(help: "Viewers per room; each receives every track of its room.") var subscribers = 0
    @Option(help: "Measured duration, e.g. 60s, 2m.") var duration = "60s"
    @Option(help: "Media flows this long before measuring, e.g. 3s.") var warmup = "3s"
    @Option(name: .customLong("video-bitrate"), help: "VP8 target in kbit/s.") var videoBitrate = 1500
    @Option(name: .customLong("keyframe-interval"), help: "Time between keyframes of the synthetic video (its loop), e.g. 10s; keyframes asked for with PLI/FIR come on top.")
    var keyframeInterval = "10s"
    @Option(help: "Publishers pace video at this multiple of its bitrate with a 40 ms burst, as libwebrtc does (2.5; at least 1.5); 0 sends each frame's packets back to back.")
    var pacing = 2.5
    @Flag(help: "Video publishers send three simulcast layers (q 160x90, h 320x180, f 640x360 at --video-bitrate).")
    var simulcast = false
    @Option(help: "LiveKit viewers render video as: speaker (the first track 1280x720, the rest 320x180) or NxN (a grid in 1280x720); each track is asked for at that size, so the server picks its simulcast layer.")
    var layout: String?
    @Option(name: .customLong("video-file"),
            help: "Publish this VP8 IVF file in a loop instead of the synthetic picture (with --simulcast: three, lowest layer first).")
    var videoFiles: [String] = []
    @Option(name: .customLong("audio-file"), help: "Publish this Ogg Opus file (20 ms packets) in a loop instead of the synthetic tone.")
    var audioFile: String?
    @Option(name: .customLong("max-loss"), help: "Fail above this loss, in percent.") var maxLoss = 1.0
    @Option(name: .customLong("protocol"), help: "Signalling: whip (WHIP to publish, WHEP to view) or livekit (/rtc, as the SDKs).")
    var signalling = "whip"
    @Option(help: "Write the report as JSON to this file.") var json: String?

    func run() async throws {
        guard let protocolChoice = LoadTestOptions.Signalling(rawValue: signalling) else {
            throw ValidationError("--protocol \(signalling): expected whip or livekit")
        }
        guard let seconds = parseDuration(duration), seconds > 0 else { throw ValidationError("bad --duration \(duration)") }
        guard let warm = parseDuration(warmup), warm >= 0 else { throw ValidationError("bad --warmup \(warmup)") }
        guard publishers + videoPublishers + audioPublishers > 0 else { throw ValidationError("nothing to publish: give --publishers") }
        guard rooms > 0 else { throw ValidationError("--rooms must be positive") }
        guard let keyframeSeconds = parseDuration(keyframeInterval), keyframeSeconds >= 0.1, keyframeSeconds <= 60 else {
            throw ValidationError("--keyframe-interval \(keyframeInterval): expected 0.1s to 60s")
        }
        // The rate is a multiple of the payload bitrate while the pacer is charged whole packets
        // (headers, SRTP tag: a few percent more); under 1.5x its queue could grow without end.
        guard pacing == 0 || (pacing >= 1.5 && pacing <= 100) else { throw ValidationError("--pacing \(pacing): expected 0 (off) or 1.5 to 100") }
        var options = LoadTestOptions()
        options.url = url
        options.apiKey = apiKey
        options.apiSecret = apiSecret
        options.room = room
        options.rooms = rooms
        options.publishers = publishers
        options.videoPublishers = videoPublishers
        options.audioPublishers = audioPublishers
        options.subscribers = subscribers
        options.duration = seconds
        options.warmup = warm
        options.videoBitrateKbps = videoBitrate
        options.keyframeInterval = keyframeSeconds
        options.pacingFactor = pacing
        options.simulcast = simulcast
        if let layout {
            guard let parsed = ViewerLayout(layout) else { throw ValidationError("--layout \(layout): expected speaker, 3x3, 4x4, 5x5 (any NxN up to 10x10)") }
            guard protocolChoice == .livekit else { throw ValidationError("--layout needs --protocol livekit (WHEP has no way to ask for a size)") }
            options.layout = parsed
        }
        options.videoFiles = videoFiles
        options.audioFile = audioFile
        options.maxLoss = maxLoss / 100
        options.jsonPath = json
        options.signalling = protocolChoice
        signal(SIGPIPE, SIG_IGN)
        let report = try await LoadTest.run(options) { line in
            // Unbuffered, so progress shows while it runs even through a pipe.
            let bytes = Array((line + "\n").utf8)
            _ = bytes.withUnsafeBytes { write(STDOUT_FILENO, $0.baseAddress, $0.count) }
        }
        if !LoadTest.passed(report, options: options) { throw ExitCode(1) }
    }
}
