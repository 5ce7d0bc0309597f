import CSocket
import Foundation
import Glibc
import LiveKitProtocol
import MediaTransport
import Recorder
import Recording
import SFU
import Synchronization

/// What recording `tracks` fixture streams cost.
struct RecordResult {
    var tracks: Int
    var seconds: Double
    var packetsPerSecond: Double
    var inBytesPerSecond: Double
    var writtenBytesPerSecond: Double
    /// Shares of one core over the window.
    var processCPU: Double
    var feederCPU: Double
    var writersCPU: Double { max(0, processCPU - feederCPU) }
    /// Time spent inside the taps (what the media thread would spend), per packet and as a share.
    var tapNanosecondsPerPacket: Double
    var tapCPU: Double
    var residentMiB: Double
    var complete: Int
    var meanFileSeconds: Double
}

/// Counters the feeder thread publishes.
final class FeedCounters: Sendable {
    let packets = Atomic<Int>(0)
    let bytes = Atomic<Int>(0)
    let tapNanoseconds = Atomic<Int>(0)
}

/// The thread standing in for the media thread: every millisecond it hands each stream's due
/// packets (and a sender report a second, as browsers send them) to the stream's tap.
/// Its state is its own thread's; `counters` and `done` are what others read.
final class Feeder: @unchecked Sendable {
    var streams: [LoopedStream]
    let taps: [any RecordingTap]
    let runStart: Int64
    let end: Int64
    let unixStart = Date().timeIntervalSince1970
    let counters = FeedCounters()
    let done = DispatchSemaphore(value: 0)

    init(streams: [LoopedStream], taps: [any RecordingTap], runStart: Int64, end: Int64) {
        self.streams = streams
        self.taps = taps
        self.runStart = runStart
        self.end = end
    }

    func run() {
        _ = sb_pthread_setname_np(pthread_self(), "sb-rec-feed")
        var nextReport = [Int64](repeating: 0, count: streams.count)
        while true {
            let now = monotonicNanoseconds()
            if now >= end { break }
            let t = now - runStart
            for k in streams.indices {
                let tap = taps[k]
                if t >= streams[k].start + nextReport[k] {
                    tap.senderReport(ssrc: streams[k].ssrc, ntp: ntpTime(unixStart + Double(t) / 1e9),
                                     rtp: streams[k].rtpTimestamp(at: t - streams[k].start), arrival: now)
                    nextReport[k] += 1_000_000_000
                }
                while streams[k].nextDue <= t {
                    let length = streams[k].next { packet in
                        let before = monotonicNanoseconds()
                        tap.rtp(packet, arrival: now, muted: false)
                        counters.tapNanoseconds.wrappingAdd(Int(monotonicNanoseconds() - before), ordering: .relaxed)
                        return packet.count
                    }
                    counters.packets.wrappingAdd(1, ordering: .relaxed)
                    counters.bytes.wrappingAdd(length, ordering: .relaxed)
                }
            }
            usleep(1_000)
        }
        done.signal()
    }
}

/// Phase 1: `tracks` track recordings (half Opus → .ogg, half VP8 → .webm) through the server's
/// recording path — a `RingTap` per recording, its `PacketRing`, its `RecordingWriter` queue,
/// `TrackRecording`, `FileSink` — fed from the fixtures in real time by one thread that stands in
/// for the media thread: it calls the taps exactly as a `Producer` does. Measured over `seconds`
/// after `warmup`: process CPU, the feeder's CPU (the rest is the writers), time inside the taps,
/// and the bytes that reached the files.
func recordTracks(_ tracks: Int, seconds: Double, warmup: Double, egress: EgressManager, fixtures: [Fixture]) throws -> RecordResult {
    var recordings: [Recording] = []
    var streams: [LoopedStream] = []
    var taps: [any RecordingTap] = []
    for i in 0..<tracks {
        let fixture = fixtures[i % fixtures.count]
        let sid = "TR_bench\(i)"
        let recording = try egress.startUnattachedTrackRecording(roomName: "bench", trackSid: sid, codec: fixture.codec)
        let video = fixture.codec == .vp8
        let track = RecordedTrack(trackSid: sid, kind: video ? .video : .audio, mimeType: video ? "video/VP8" : "audio/opus",
                                  source: video ? .camera : .microphone, participantIdentity: "p\(i)", participantSid: "PA_\(i)",
                                  muted: false, requestKeyframe: {})
        guard let tap = recording.tap(for: track) else { fatalError("recording \(i) refused its track") }
        recordings.append(recording)
        taps.append(tap)
        // Starts spread over the first second, so the streams' packets interleave as in a room.
        streams.append(LoopedStream(fixture, ssrc: 0x1000 + UInt32(i), start: Int64(i) * 1_000_000_000 / Int64(tracks)))
    }

    let runStart = monotonicNanoseconds()
    let end = runStart + Int64((warmup + seconds) * 1e9)
    let feeder = Feeder(streams: streams, taps: taps, runStart: runStart, end: end)
    let counters = feeder.counters
    Thread { feeder.run() }.start()

    sleepUntil(runStart + Int64(warmup * 1e9))
    let cpu0 = Proc.processCPUSeconds(), feed0 = Proc.threadCPUSeconds(named: "sb-rec-feed") ?? 0
    let written0 = directoryBytes(egress.paths.root), t0 = monotonicNanoseconds()
    let packets0 = counters.packets.load(ordering: .relaxed), bytes0 = counters.bytes.load(ordering: .relaxed)
    let tap0 = counters.tapNanoseconds.load(ordering: .relaxed)
    sleepUntil(end - 50_000_000)
    let cpu1 = Proc.processCPUSeconds(), feed1 = Proc.threadCPUSeconds(named: "sb-rec-feed") ?? feed0
    let written1 = directoryBytes(egress.paths.root), t1 = monotonicNanoseconds()
    let packets = counters.packets.load(ordering: .relaxed) - packets0, bytes = counters.bytes.load(ordering: .relaxed) - bytes0
    let tapNanoseconds = counters.tapNanoseconds.load(ordering: .relaxed) - tap0
    let resident = Proc.residentMiB()
    feeder.done.wait()

    for recording in recordings { _ = recording.stop() }
    let complete = waitForEnd(recordings)
    let infos = (try? egress.list(roomName: "bench", egressID: "", activeOnly: false)) ?? []
    let mine = Set(recordings.map(\.egressID))
    let durations = infos.filter { mine.contains($0.egressID) }.map { Double($0.fileResults.first?.duration ?? 0) / 1e9 }
    let elapsed = Double(t1 - t0) / 1e9
    return RecordResult(
        tracks: tracks, seconds: elapsed, packetsPerSecond: Double(packets) / elapsed, inBytesPerSecond: Double(bytes) / elapsed,
        writtenBytesPerSecond: Double(written1 - written0) / elapsed, processCPU: (cpu1 - cpu0) / elapsed,
        feederCPU: (feed1 - feed0) / elapsed, tapNanosecondsPerPacket: Double(tapNanoseconds) / Double(max(1, packets)),
        tapCPU: Double(tapNanoseconds) / 1e9 / elapsed, residentMiB: resident, complete: complete,
        meanFileSeconds: durations.isEmpty ? 0 : durations.reduce(0, +) / Double(durations.count))
}

/// Waits (at most 20 s) until the recordings have ended; returns how many are complete.
func waitForEnd(_ recordings: [Recording]) -> Int {
    let deadline = monotonicNanoseconds() + 20_000_000_000
    while recordings.contains(where: { $0.status.isUnfinished }), monotonicNanoseconds() < deadline { usleep(20_000) }
    return recordings.filter { $0.status == .complete }.count
}

func sleepUntil(_ deadline: Int64) {
    let now = monotonicNanoseconds()
    if deadline > now { usleep(UInt32((deadline - now) / 1_000)) }
}

/// Bytes in the files under `path` (the recordings written so far).
func directoryBytes(_ path: String) -> Int {
    guard let names = FileManager.default.subpaths(atPath: path) else { return 0 }
    var total = 0
    for name in names {
        var info = stat()
        if stat(path + "/" + name, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { total += Int(info.st_size) }
    }
    return total
}

/// A 64-bit NTP timestamp (RFC 5905) for Unix time `seconds`.
func ntpTime(_ seconds: Double) -> UInt64 {
    let whole = UInt64(seconds)
    let fraction = UInt64((seconds - Double(whole)) * 4_294_967_296)
    return (whole + UInt64(NTPTime.unixEpochOffset)) << 32 | fraction
}
