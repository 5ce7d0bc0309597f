// Recording benchmark: what server-side recording costs, through the server's own recording
// path (EgressManager → Recording: RingTap → PacketRing → RecordingWriter queue → TrackRecording →
// FileSink, files in a temporary directory, metadata in SQLite).
//
// 1. record: `--tracks` concurrent track recordings (half Opus → .ogg, half VP8 → .webm) fed
//    from fixtures/recorder in real time (each fixture looped with continuous sequence numbers
//    and timestamps, a sender report a second). Reports the process's CPU share, the part spent
//    in the taps (what the media thread pays) and in the writers, and bytes/s into the files.
// 2. forward: the forwarding benchmark's DirectRoute path (SRTP in, route, SRTP out to
//    `--subscribers` over loopback) carrying the VP8 fixture, without recordings and with
//    `--taps` recordings tapped on its producer, alternating `--repeat` times: forward latency
//    p50/p99/p99.9 (per forwarded copy) and the media thread's CPU.
//
//   swift build -c release --product RecordingBenchmark
//   .build/release/RecordingBenchmark [--tracks 100] [--seconds 20] [--subscribers 50] [--taps 100]
//                                     [--forward-seconds 10] [--speed 1] [--repeat 2] [--skip-record] [--skip-forward]
import Foundation
import Glibc
import Logging
import MediaTransport
import Recording
import Store

struct Options {
    var tracks = 100
    var seconds = 20.0
    var warmup = 2.0
    var subscribers = 50
    var taps = 100
    var forwardSeconds = 10.0
    var speed = 1.0
    var repeats = 2
    var record = true
    var forward = true

    init(_ arguments: [String]) {
        var i = 1
        func next() -> String { i += 1; return i < arguments.count ? arguments[i] : "" }
        while i < arguments.count {
            switch arguments[i] {
            case "--tracks": tracks = Int(next()) ?? tracks
            case "--seconds": seconds = Double(next()) ?? seconds
            case "--warmup": warmup = Double(next()) ?? warmup
            case "--subscribers": subscribers = Int(next()) ?? subscribers
            case "--taps": taps = Int(next()) ?? taps
            case "--forward-seconds": forwardSeconds = Double(next()) ?? forwardSeconds
            case "--speed": speed = Double(next()) ?? speed
            case "--repeat": repeats = Int(next()) ?? repeats
            case "--skip-record": record = false
            case "--skip-forward": forward = false
            default: fatalError("unknown option \(arguments[i])")
            }
            i += 1
        }
    }
}

func percent(_ x: Double) -> String { String(format: "%.2f%%", x * 100) }
func micros(_ ns: Int64?) -> String { ns.map { $0 == .max ? ">1s" : String(format: "%.1f", Double($0) / 1000) } ?? "-" }

let options = Options(CommandLine.arguments)
signal(SIGPIPE, SIG_IGN)
let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sb-recording-bench-\(getpid())")
try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(at: directory) }
let logger = Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() })
let store = try SwitchboardStore(databasePath: directory.appendingPathComponent("bench.sqlite").path)
let egress = try EgressManager(configuration: .init(recordingsDirectory: directory.appendingPathComponent("recordings").path),
                               store: store, logger: logger)
let opus = try Fixture.load("opus-48k-stereo.jsonl")
let vp8 = try Fixture.load("vp8-320x180.jsonl")

print("recording benchmark: nproc \(ProcessInfo.processInfo.activeProcessorCount), load average \(Proc.loadAverage()) at start")
if options.record {
    print("-- record: \(options.tracks) tracks (\(options.tracks - options.tracks / 2) Opus 48 kHz stereo .ogg + \(options.tracks / 2) "
        + "VP8 320x180 .webm) from fixtures in real time, \(options.seconds) s measured after \(options.warmup) s")
    let r = try recordTracks(options.tracks, seconds: options.seconds, warmup: options.warmup, egress: egress, fixtures: [opus, vp8])
    print("packets in      \(Int(r.packetsPerSecond))/s, \(Int(r.inBytesPerSecond)) RTP bytes/s")
    print("written         \(Int(r.writtenBytesPerSecond)) bytes/s into \(r.tracks) files (\(String(format: "%.1f", r.writtenBytesPerSecond * 8 / 1e6)) Mbit/s)")
    print("cpu (one core)  process \(percent(r.processCPU)) = feeder thread \(percent(r.feederCPU)) + writers and the rest \(percent(r.writersCPU))")
    print("taps            \(String(format: "%.0f", r.tapNanosecondsPerPacket)) ns per packet, \(percent(r.tapCPU)) of a core (the media thread's share)")
    print("memory          \(String(format: "%.0f", r.residentMiB)) MiB resident")
    print("files           \(r.complete)/\(r.tracks) complete, mean duration \(String(format: "%.2f", r.meanFileSeconds)) s "
        + "(recorded \(String(format: "%.2f", options.warmup + options.seconds)) s)")
    print("load average    \(Proc.loadAverage()) after the record phase")
}
if options.forward {
    print("-- forward: VP8 fixture at \(options.speed)x real time to \(options.subscribers) subscribers, \(options.forwardSeconds) s per run")
    print("taps  in_pps  out_pps  loss    media_cpu  mean_us  p50_us  p99_us  p999_us  samples  files")
    func row(_ columns: [String]) {
        let widths = [6, 8, 9, 8, 11, 9, 8, 8, 9, 9, 6]
        print(zip(columns, widths).map { $0.padding(toLength: max($1, $0.count), withPad: " ", startingAt: 0) }.joined())
    }
    func latencyColumns(_ h: LatencyHistogram) -> [String] {
        [String(format: "%.1f", h.count > 0 ? Double(h.sum) / Double(h.count) / 1000 : 0), micros(h.percentile(0.5)),
         micros(h.percentile(0.99)), micros(h.percentile(0.999)), String(h.count)]
    }
    // Runs alternate between the two configurations, so drift in the machine's load hits both.
    var pooled: [Int: (histogram: LatencyHistogram, cpu: Double)] = [:]
    for _ in 0..<options.repeats {
        for taps in [0, options.taps] {
            let r = try forward(taps: taps, subscribers: options.subscribers, seconds: options.forwardSeconds, speed: options.speed,
                                egress: egress, vp8: vp8)
            row([String(r.taps), String(Int(r.inRate)), String(Int(r.outRate)), percent(r.loss), percent(r.mediaCPU)]
                + latencyColumns(r.latency) + ["\(r.complete)/\(r.taps)"])
            // a - (0 - b) = a + b: the histogram's counters subtract with wrap-around.
            let previous = pooled[taps] ?? (LatencyHistogram(), 0)
            pooled[taps] = (previous.histogram - (LatencyHistogram() - r.latency), previous.cpu + r.mediaCPU)
        }
    }
    print("pooled over the \(options.repeats) runs of each:")
    for taps in [0, options.taps] {
        guard let p = pooled[taps] else { continue }
        row([String(taps), "", "", "", percent(p.cpu / Double(options.repeats))] + latencyColumns(p.histogram) + [""])
    }
    print("load average    \(Proc.loadAverage()) at the end")
}
