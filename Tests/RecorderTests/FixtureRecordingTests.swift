import Codecs
import Foundation
import PayloadFormats
import RTP
import XCTest
@testable import Recorder

/// End-to-end tests on real Opus and VP8 RTP streams (fixtures/recorder, made with libopus
/// and libvpx by scripts/make-recorder-fixtures.py): reorder buffer, depacketizers and
/// muxers, with wrap-around, loss and reordering, checked by decoding the files back.
///
/// Set RECORDER_TEST_OUTPUT to a directory to keep the produced files (for
/// Tests/RecorderTests/check-with-ffprobe.sh).
final class FixtureRecordingTests: XCTestCase {
    private var opus: FixtureStream!
    private var vp8: FixtureStream!
    /// Receiver clock: Unix time plus 5 s of clock offset from the sender.
    private let receiverBase: Int64 = (1_700_000_000 + 5) * 1_000_000_000

    override func setUpWithError() throws {
        opus = try FixtureStream.load("opus-48k-stereo.jsonl")
        vp8 = try FixtureStream.load("vp8-320x180.jsonl")
        XCTAssertEqual(opus.packets.count, 200)
        XCTAssertEqual(vp8.frames, 114)
    }

    private func keep(_ bytes: [UInt8], as name: String) {
        guard let directory = ProcessInfo.processInfo.environment["RECORDER_TEST_OUTPUT"] else { return }
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        _ = FileManager.default.createFile(atPath: directory + "/" + name, contents: Data(bytes))
    }

    // MARK: Drivers

    /// Feeds packets (in arrival order) to a track recording with 20 ms ticks, optionally
    /// answering NACKs with one retransmission after `rtt` (itself lost with `retransmitLoss`).
    private func drive(
        _ recording: TrackRecording, _ delivered: [(bytes: [UInt8], arrival: Int64)],
        all packets: [(bytes: [UInt8], sendNanos: Int64)]? = nil, rtt: Int64 = 30_000_000,
        retransmitLoss: Double = 0, seed: UInt64 = 7
    ) throws -> (keyframeRequests: Int, retransmitted: Int) {
        var queue = delivered.map { (bytes: $0.bytes, arrival: receiverBase + $0.arrival) }
        var bySequence: [UInt16: [UInt8]] = [:]
        for packet in packets ?? [] { bySequence[UInt16(packet.bytes[2]) << 8 | UInt16(packet.bytes[3])] = packet.bytes }
        var nacked: Set<UInt16> = []
        var rng = SeededGenerator(seed: seed)
        var keyframeRequests = 0
        var retransmitted = 0
        var now = receiverBase
        var index = 0
        while index < queue.count {
            let next = queue[index]
            while now + 20_000_000 < next.arrival {
                now += 20_000_000
                try recording.tick(now: now)
            }
            now = max(now, next.arrival)
            try recording.ingestRTP(next.bytes, arrival: next.arrival)
            index += 1
            let feedback = recording.takeFeedback()
            if feedback.keyframeRequested { keyframeRequests += 1 }
            for sequence in feedback.nacks.values.joined() where packets != nil && !nacked.contains(sequence) {
                nacked.insert(sequence)
                guard let bytes = bySequence[sequence], Double.random(in: 0..<1, using: &rng) >= retransmitLoss else { continue }
                retransmitted += 1
                let arrival = next.arrival + rtt
                let position = queue[index...].firstIndex { $0.arrival > arrival } ?? queue.count
                queue.insert((bytes, arrival), at: position)
            }
        }
        return (keyframeRequests, retransmitted)
    }

    // MARK: Opus -> Ogg

    private func decodeOgg(_ bytes: [UInt8]) throws -> (packets: Int, samples: Int, lastGranule: Int64) {
        let packets = OggReader(bytes).packets()
        XCTAssertEqual(try OpusHead(parsing: packets[0].packet).channels, 2)
        let decoder = try Codecs.OpusDecoder(channels: 2)
        var samples = 0
        for (packet, _) in packets.dropFirst(2) {
            samples += try decoder.decode(packet: packet, frameSize: 5_760).count / 2
        }
        return (packets.count - 2, samples, packets.last!.granule)
    }

    func testOpusTrackToOggWithWrapAround() throws {
        // Sequence numbers wrap after 36 packets, RTP timestamps after 0.5 s.
        let packets = opus.rtpPackets(firstSequence: 65_500, firstTimestamp: UInt32.max - 24_000 + 1)
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .opus), sink: sink)
        _ = try drive(recording, packets.map { ($0.bytes, $0.sendNanos + 20_000_000) })
        let summary = try recording.finish()
        keep(sink.bytes, as: "opus-clean.ogg")
        XCTAssertEqual(summary.duration, 4_000_000_000)
        XCTAssertEqual(summary.tracks[.opus]?.framesWritten, 200)
        XCTAssertEqual(summary.tracks[.opus]?.lostPackets, 0)
        let decoded = try decodeOgg(sink.bytes)
        XCTAssertEqual(decoded.packets, 200)
        XCTAssertEqual(decoded.samples, 192_000)
        XCTAssertEqual(decoded.lastGranule, 192_000 + 312)
        XCTAssertEqual(OggReader(sink.bytes).pages().pages.count, 2 + 4, "one page a second")
    }

    func testOpusWithLossAndReorderingKeepsTimeline() throws {
        let packets = opus.rtpPackets(firstSequence: 65_000)
        let network = simulateNetwork(packets, loss: 0.05, reorderFraction: 0.1, seed: 11)
        XCTAssertGreaterThan(network.dropped.count, 4)
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .opus), sink: sink)
        _ = try drive(recording, network.delivered)
        let summary = try recording.finish()
        keep(sink.bytes, as: "opus-loss.ogg")
        let written = try XCTUnwrap(summary.tracks[.opus])
        XCTAssertEqual(written.framesWritten, 200 - network.dropped.count)
        XCTAssertEqual(written.lostPackets, Int64(network.dropped.filter { $0 < 199 }.count))
        // Lost packets became silence: the file keeps its full length (the last packet, if
        // lost, is the only thing missing).
        let expected: Int64 = network.dropped.contains(199) ? 3_980_000_000 : 4_000_000_000
        XCTAssertEqual(summary.duration, expected)
        let decoded = try decodeOgg(sink.bytes)
        XCTAssertEqual(Int64(decoded.samples), expected * 48 / 1_000_000)
    }

    func testOpusSSRCChangeContinuesFile() throws {
        // Republish after 2 s: new SSRC, sequence and timestamp bases; 300 ms offline.
        let first = opus.rtpPackets(ssrc: 1)
        let second = opus.rtpPackets(firstSequence: 7, firstTimestamp: 123_456, ssrc: 2)
        var delivered = first.prefix(100).map { ($0.bytes, $0.sendNanos) }
        delivered += second.suffix(100).map { ($0.bytes, $0.sendNanos + 300_000_000) }
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .opus), sink: sink)
        _ = try drive(recording, delivered)
        let summary = try recording.finish()
        XCTAssertEqual(summary.tracks[.opus]?.ssrcChanges, 1)
        XCTAssertEqual(summary.tracks[.opus]?.framesWritten, 200)
        // 2 s + 300 ms gap (silence) + 2 s.
        XCTAssertEqual(summary.duration, 4_300_000_000)
        XCTAssertEqual(try decodeOgg(sink.bytes).samples, 4_300 * 48)
    }

    // MARK: VP8 -> WebM

    private func decodeVideo(_ file: WebMFile, track: UInt8) throws -> Int {
        let decoder = try VP8Decoder()
        var pictures = 0
        for block in file.blocks where block.track == track {
            if let picture = try decoder.decode(frame: block.data) {
                XCTAssertEqual(picture.width, 320)
                XCTAssertEqual(picture.height, 180)
                pictures += 1
            }
        }
        return pictures
    }

    func testVP8TrackToWebMWithWrapAround() throws {
        let packets = vp8.rtpPackets(firstSequence: 65_400, firstTimestamp: UInt32.max - 90_000)
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .vp8), sink: sink)
        let result = try drive(recording, packets.map { ($0.bytes, $0.sendNanos + 20_000_000) })
        let summary = try recording.finish()
        keep(sink.bytes, as: "vp8-clean.webm")
        XCTAssertEqual(result.keyframeRequests, 0, "the stream starts with a keyframe")
        let file = try WebMFile(sink.bytes)
        XCTAssertEqual(file.trackCodecs, [1: "V_VP8"])
        XCTAssertEqual(file.pixelSize?.0, 320)
        XCTAssertEqual(file.pixelSize?.1, 180)
        XCTAssertEqual(file.blocks.count, 114)
        XCTAssertEqual(file.blocks.filter(\.keyframe).count, 4)
        XCTAssertEqual(file.clusterTimestamps, [0, 1_000, 2_000, 3_000])
        XCTAssertEqual(file.cues.count, 4)
        XCTAssertEqual(file.durationMilliseconds, 3_799)
        XCTAssertEqual(summary.duration, 3_799_000_000)
        XCTAssertEqual(try decodeVideo(file, track: 1), 114)
    }

    func testPaddingOnlyPacketsAreNotLoss() throws {
        // A bandwidth probe (padding only, its own sequence number) after every 10th packet.
        var packets: [(bytes: [UInt8], sendNanos: Int64)] = []
        var sequence: UInt16 = 65_500
        for (index, packet) in vp8.packets.enumerated() {
            packets.append((RTPPacket(marker: packet.marker, payloadType: 96, sequenceNumber: sequence, timestamp: packet.timestamp,
                                      ssrc: 9, payload: packet.payload).serialized(), Int64(packet.sendMilliseconds) * 1_000_000))
            sequence &+= 1
            if index % 10 == 9 {
                packets.append((RTPPacket(payloadType: 96, sequenceNumber: sequence, timestamp: packet.timestamp, ssrc: 9,
                                          paddingLength: 200).serialized(), Int64(packet.sendMilliseconds) * 1_000_000))
                sequence &+= 1
            }
        }
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .vp8), sink: sink)
        let result = try drive(recording, packets.map { ($0.bytes, $0.sendNanos) })
        let summary = try recording.finish()
        XCTAssertEqual(result.keyframeRequests, 0)
        XCTAssertEqual(summary.tracks[.vp8]?.lostPackets, 0)
        XCTAssertEqual(summary.tracks[.vp8]?.framesWritten, 114)
    }

    func testVP8WithLossRecoveredByNack() throws {
        let packets = vp8.rtpPackets()
        let network = simulateNetwork(packets, loss: 0.05, reorderFraction: 0.05, seed: 3)
        XCTAssertGreaterThan(network.dropped.count, 8)
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .vp8), sink: sink)
        let result = try drive(recording, network.delivered, all: packets, retransmitLoss: 0.05)
        let summary = try recording.finish()
        keep(sink.bytes, as: "vp8-loss-nack.webm")
        // Reordered packets get NACKed too (they are late, not lost), so at least the lost ones.
        XCTAssertGreaterThanOrEqual(result.retransmitted, network.dropped.count)
        let file = try WebMFile(sink.bytes)
        // NACK got everything back: every frame is there (within 2%) and decodes.
        XCTAssertGreaterThanOrEqual(Double(file.blocks.count), 0.98 * 114)
        XCTAssertEqual(try decodeVideo(file, track: 1), file.blocks.count)
        XCTAssertEqual(summary.tracks[.vp8]?.lostPackets, 0)
        XCTAssertEqual(summary.duration, 3_799_000_000)
    }

    func testVP8WithUnrecoveredLossWaitsForKeyframes() throws {
        let packets = vp8.rtpPackets(firstSequence: 65_500)
        let network = simulateNetwork(packets, loss: 0.05, reorderFraction: 0.1, seed: 5)
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .vp8), sink: sink)
        let result = try drive(recording, network.delivered)
        let summary = try recording.finish()
        keep(sink.bytes, as: "vp8-loss.webm")
        let file = try WebMFile(sink.bytes)
        XCTAssertGreaterThan(result.keyframeRequests, 0, "PLI after unrecoverable loss")
        XCTAssertGreaterThan(file.blocks.count, 0)
        XCTAssertLessThan(file.blocks.count, 114)
        XCTAssertTrue(file.blocks[0].keyframe)
        // No frame after a loss is written before the next keyframe, so every one decodes.
        XCTAssertEqual(try decodeVideo(file, track: 1), file.blocks.count)
        let stats = try XCTUnwrap(summary.tracks[.vp8])
        XCTAssertEqual(stats.framesWritten + stats.framesDropped, 114)
        XCTAssertGreaterThan(stats.lostPackets, 0)
    }

    // MARK: Participant: audio + video in one WebM

    private struct Event {
        enum Kind { case rtp([UInt8], RecorderCodec), report(RecorderCodec, UInt64, UInt32) }
        var arrival: Int64
        var kind: Kind
    }

    private func participantEvents(audioDelay: Int64, videoDelay: Int64, reports: Bool, loss: Double = 0) -> [Event] {
        var events: [Event] = []
        let audioPackets = opus.rtpPackets(firstSequence: 65_530, firstTimestamp: UInt32.max - 1_000)
        let videoPackets = vp8.rtpPackets(firstSequence: 65_450)
        for (packets, delay, codec, seed) in [(audioPackets, audioDelay, RecorderCodec.opus, UInt64(1)),
                                              (videoPackets, videoDelay, RecorderCodec.vp8, UInt64(2))] {
            let network = simulateNetwork(packets, loss: loss, reorderFraction: loss, baseDelay: delay, seed: seed)
            events += network.delivered.map { Event(arrival: receiverBase + $0.arrival, kind: .rtp($0.bytes, codec)) }
        }
        if reports {
            for (stream, delay, codec, shift) in [(opus!, audioDelay, RecorderCodec.opus, UInt32.max - 1_000 &- opus.packets[0].timestamp),
                                                   (vp8!, videoDelay, RecorderCodec.vp8, UInt32(0))] {
                for (index, report) in stream.senderReports.enumerated() {
                    let sent = Int64(index) * 1_000_000_000 + 50_000_000
                    events.append(Event(arrival: receiverBase + sent + delay, kind: .report(codec, report.ntp, report.rtp &+ shift)))
                }
            }
        }
        return events.sorted { $0.arrival < $1.arrival }
    }

    private func record(_ events: [Event], sink: any SeekableRecordingSink, stopAfter: Int? = nil) throws -> (ParticipantRecording, RecordingSummary?) {
        let recording = try ParticipantRecording(configuration: .init(), sink: sink)
        var now = events[0].arrival
        for (index, event) in events.enumerated() {
            if let stopAfter, index == stopAfter { return (recording, nil) }
            while now + 20_000_000 < event.arrival {
                now += 20_000_000
                try recording.tick(now: now)
            }
            switch event.kind {
            case .rtp(let bytes, let codec):
                try recording.ingestRTP(bytes, kind: codec, arrival: event.arrival)
            case .report(let codec, let ntp, let rtp):
                let ssrc = codec == .opus ? opus.ssrc : vp8.ssrc
                recording.ingestSenderReport(kind: codec, ssrc: ssrc, ntp: ntp, rtp: rtp, arrival: event.arrival)
            }
            _ = recording.takeFeedback()
        }
        return (recording, try recording.finish())
    }

    private func checkParticipantFile(_ file: WebMFile, videoStart: Int64, audioBlocks: Int = 200) throws {
        XCTAssertEqual(file.trackCodecs, [1: "V_VP8", 2: "A_OPUS"])
        let audio = file.blocks.filter { $0.track == 2 }
        let video = file.blocks.filter { $0.track == 1 }
        XCTAssertEqual(audio.count, audioBlocks)
        XCTAssertEqual(audio.first?.time, 0)
        XCTAssertEqual(Double(video.first?.time ?? -1), Double(videoStart), accuracy: 2)
        XCTAssertTrue(video.first?.keyframe ?? false)
        XCTAssertEqual(file.durationMilliseconds ?? 0, 4_000, accuracy: 4_000 * 0.02)
        XCTAssertEqual(file.clusterTimestamps, file.clusterTimestamps.sorted())
        // Audio and video both decode.
        let decoder = try Codecs.OpusDecoder(channels: 2)
        var samples = 0
        for block in audio { samples += try decoder.decode(packet: block.data, frameSize: 5_760).count / 2 }
        XCTAssertEqual(samples, audio.count * 960)
        XCTAssertEqual(try decodeVideo(file, track: 1), video.count)
    }

    func testParticipantRecordingLinesUpTracksBySenderReports() throws {
        // Video arrives 50 ms later than audio; the SRs say it was captured 200 ms after the
        // first audio, which is where it must land.
        let sink = MemorySink()
        let (recording, summary) = try record(participantEvents(audioDelay: 10_000_000, videoDelay: 60_000_000, reports: true), sink: sink)
        keep(sink.bytes, as: "participant.webm")
        let file = try WebMFile(sink.bytes)
        try checkParticipantFile(file, videoStart: 200)
        XCTAssertEqual(file.blocks.filter { $0.track == 1 }.count, 114)
        XCTAssertEqual(file.cues.map(\.time), [200, 1_200, 2_200, 3_200])
        // Time zero is the first audio sample's capture time on the sender's clock.
        XCTAssertEqual(Double(summary?.startWallclock ?? 0), 1_700_000_000e9, accuracy: 1_000)
        // The time base a room manifest uses: the same instant on the receiver's clock, 5 s
        // ahead of the sender's, plus the delay of the sender report that measured it.
        let base = try XCTUnwrap(recording.timeBase)
        XCTAssertEqual(base.senderWallclock, summary?.startWallclock)
        XCTAssertEqual(base.synchronisedBy, .senderReport)
        let offset = base.arrivalClock - (base.senderWallclock ?? 0)
        XCTAssertTrue((5_050_000_000...5_120_000_000).contains(offset), "receiver - sender: \(offset)")
    }

    func testParticipantRecordingWithoutReportsFallsBackToArrival() throws {
        let sink = MemorySink()
        let (recording, _) = try record(participantEvents(audioDelay: 10_000_000, videoDelay: 60_000_000, reports: false), sink: sink)
        // Arrival times include the 50 ms of extra video delay.
        try checkParticipantFile(try WebMFile(sink.bytes), videoStart: 250)
        // No sender clock: time zero is the first audio packet's arrival.
        let base = try XCTUnwrap(recording.timeBase)
        XCTAssertNil(base.senderWallclock)
        XCTAssertEqual(base.synchronisedBy, .arrival)
        XCTAssertEqual(Double(base.arrivalClock), Double(receiverBase + 10_000_000), accuracy: 1_000_000)
    }

    func testParticipantRecordingWithLoss() throws {
        let sink = MemorySink()
        let events = participantEvents(audioDelay: 10_000_000, videoDelay: 30_000_000, reports: true, loss: 0.05)
        let (_, summary) = try record(events, sink: sink)
        keep(sink.bytes, as: "participant-loss.webm")
        let file = try WebMFile(sink.bytes)
        let audio = try XCTUnwrap(summary?.tracks[.opus])
        try checkParticipantFile(file, videoStart: 200, audioBlocks: audio.framesWritten)
        XCTAssertGreaterThan(audio.lostPackets, 0)
    }

    func testKilledParticipantRecordingIsRepaired() throws {
        let path = NSTemporaryDirectory() + "recorder-kill-\(UUID().uuidString).webm"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let events = participantEvents(audioDelay: 10_000_000, videoDelay: 30_000_000, reports: true)
        do {
            let sink = try FileSink(path: path)
            let (recording, _) = try record(events, sink: sink, stopAfter: events.count * 3 / 4)
            recording.abort()  // kill -9: no finalize; what was flushed stays
        }
        let crashed = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        keep(crashed, as: "participant-killed.webm")
        let partial = try WebMFile(crashed)
        XCTAssertNil(partial.segmentSize)
        XCTAssertGreaterThan(partial.blocks.count, 100, "playable up to the last flushed cluster")
        let result = try WebMRepair.repair(path: path)
        XCTAssertFalse(result.wasComplete)
        let repairedBytes = Array(try Data(contentsOf: URL(fileURLWithPath: path)))
        keep(repairedBytes, as: "participant-repaired.webm")
        let repaired = try WebMFile(repairedBytes)
        XCTAssertEqual(repaired.segmentSize, repairedBytes.count - repaired.segmentDataStart)
        XCTAssertEqual(repaired.durationMilliseconds, Double(result.durationMilliseconds))
        XCTAssertGreaterThan(result.durationMilliseconds, 2_000)
        XCTAssertEqual(repaired.cues.count, result.cuePoints)
        XCTAssertEqual(try decodeVideo(repaired, track: 1), repaired.blocks.filter { $0.track == 1 }.count)
    }

    func testOggKilledMidwayIsRepaired() throws {
        let sink = MemorySink()
        let recording = try TrackRecording(configuration: .init(codec: .opus), sink: sink)
        let packets = opus.rtpPackets()
        _ = try drive(recording, packets.prefix(130).map { ($0.bytes, $0.sendNanos) })
        recording.abort()
        keep(sink.bytes, as: "opus-killed.ogg")
        // Pages of 1 s: 2 s of audio reached the file, the rest was in the open page.
        let result = try OggRepair.repair(sink: sink)
        keep(sink.bytes, as: "opus-repaired.ogg")
        XCTAssertEqual(result.duration, 2 * 48_000)
        XCTAssertEqual(try decodeOgg(sink.bytes).samples, 2 * 48_000)
    }
}
