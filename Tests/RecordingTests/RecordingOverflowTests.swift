import Foundation
import Logging
import MediaTransport
import Recorder
@testable import Recording
import SFU
import Store
import XCTest

/// A recording whose disk stalls: the media thread's tap keeps returning at once, the ring
/// overflows, and the recording fails with an error, asks to be detached from its room (taps
/// off) and leaves a repaired, playable file. A recording that keeps up completes.
final class RecordingOverflowTests: XCTestCase {
    private var directory: URL!
    private var store: SwitchboardStore!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("recording-overflow")
        store = try SwitchboardStore.inMemory()
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// A track recording of an Opus track with `sink`, and a stand-in for the room that
    /// records detach requests and answers them the way a room does.
    private func makeRecording(ringCapacity: Int, sink: @escaping @Sendable (String) throws(RecorderError) -> any SeekableRecordingSink)
        throws -> (Recording, DetachLog)
    {
        let id = SwitchboardStore.newRecordingID()
        let record = RecordingRecord(id: id, roomName: "r1", kind: .track, codec: "opus", filePath: "\(id).ogg")
        try store.insertRecording(record)
        let recording = try Recording(record: record, absolutePath: directory.appendingPathComponent("\(id).ogg").path,
                                      source: .track(sid: "TR_a"), codec: .opus, ringCapacity: ringCapacity,
                                      writerInterval: .milliseconds(5), store: store, logger: Logger(label: "test"),
                                      sinkFactory: sink)
        let log = DetachLog()
        recording.detachFromRoom = { [weak recording] reason in
            log.append(reason)
            recording?.detached(reason)  // what the room does once the taps are off
        }
        return (recording, log)
    }

    private func audioTrack() -> RecordedTrack {
        RecordedTrack(trackSid: "TR_a", kind: .audio, mimeType: "audio/opus", source: .microphone,
                      participantIdentity: "alice", participantSid: "PA_x", muted: false, requestKeyframe: {})
    }

    func testStalledDiskFailsTheRecordingWithoutBlockingTheTap() throws {
        let sinkBox = SinkBox()
        let (recording, detaches) = try makeRecording(ringCapacity: 64) { path throws(RecorderError) in
            let sink = try StallingSink(path: path)
            sinkBox.sink = sink
            return sink
        }
        let tap = try XCTUnwrap(recording.tap(for: audioTrack()))
        // Arrivals on the media loop's clock, as the producer gives them.
        let base = monotonicNanoseconds()
        let sink = try XCTUnwrap(sinkBox.sink)
        sink.stall()

        // 60 packets: the Ogg writer completes a page at 50 and blocks writing it.
        for i in 0..<60 { opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) } }
        waitUntil("the writer blocked on the stalled disk") { sink.isBlocked }

        // The media thread goes on: every push returns at once even though nothing drains.
        var slowest: UInt64 = 0
        for i in 60..<2_000 {
            let start = DispatchTime.now().uptimeNanoseconds
            opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) }
            slowest = max(slowest, DispatchTime.now().uptimeNanoseconds - start)
        }
        let ring = (tap as! RingTap).ring
        XCTAssertTrue(ring.overflowed)
        XCTAssertLessThan(slowest, 500_000_000, "a push never waits for the writer (stalled until resume)")
        // Not failed yet: the writer is stuck in the disk. (Whether it reported the recording
        // active before it blocked is a race between the writer and this thread.)
        XCTAssertTrue([.starting, .active].contains(recording.status), "still waiting: \(recording.status)")

        sink.resume()
        waitUntil("the recording failed") { recording.status == .failed }
        waitUntil("the detach request") { detaches.reasons == [.failed] }
        let row = try XCTUnwrap(try store.recording(id: recording.egressID))
        XCTAssertEqual(row.status, .failed)
        XCTAssertTrue(row.error?.contains("buffer full") == true, row.error ?? "")
        XCTAssertNotNil(row.endedAt)
        // What reached the disk was repaired: an Ogg file ending with an end-of-stream page.
        let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: directory.appendingPathComponent(row.filePath).path)))
        let pages = OggReader(bytes).pages()
        XCTAssertEqual(pages.validLength, bytes.count)
        XCTAssertTrue(pages.pages.last?.flags.contains(.endOfStream) == true)
        XCTAssertGreaterThan(row.durationMilliseconds ?? 0, 900, "the 50 packets written before the stall")
        // Once failed, the recording takes no new tracks.
        XCTAssertNil(recording.tap(for: audioTrack()))
    }

    func testRecordingThatKeepsUpCompletesWithAllPackets() throws {
        let (recording, detaches) = try makeRecording(ringCapacity: 64) { path throws(RecorderError) in try FileSink(path: path) }
        let tap = try XCTUnwrap(recording.tap(for: audioTrack()))
        // Arrivals on the media loop's clock, as the producer gives them.
        let base = monotonicNanoseconds()
        // 250 packets (5 s of audio) at a pace the writer keeps up with (64 slots, drained every 5 ms).
        for i in 0..<250 {
            opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) }
            if i % 20 == 19 { usleep(10_000) }
        }
        waitUntil("active") { recording.status == .active }
        XCTAssertTrue(recording.stop())
        XCTAssertFalse(recording.stop(), "a second stop is refused")
        waitUntil("complete") { recording.status == .complete }
        XCTAssertEqual(detaches.reasons, [.stopped])
        let row = try XCTUnwrap(try store.recording(id: recording.egressID))
        XCTAssertEqual(row.status, .complete)
        XCTAssertNil(row.error)
        XCTAssertEqual(row.tracks, ["TR_a"])
        XCTAssertEqual(Double(row.durationMilliseconds ?? 0), 5000, accuracy: 40)
        let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(row.filePath)))
        XCTAssertEqual(Int64(bytes.count), row.bytes)
        XCTAssertEqual(OggReader(bytes).packets().count, 2 + 250, "OpusHead, OpusTags and every packet")
    }

    func testStalledWritersDoNotHoldUpOtherRecordings() throws {
        // Writers share libdispatch's utility pool, about one thread per core: recordings blocked
        // in the disk hold every thread, and libdispatch adds one after about a second (it
        // watches for blocked workers) — well within what a ring holds (4 s of video at the
        // default 1024 packets).
        var stalled: [(Recording, StallingSink)] = []
        for _ in 0..<max(2, ProcessInfo.processInfo.activeProcessorCount) {
            let box = SinkBox()
            let (recording, _) = try makeRecording(ringCapacity: 64) { path throws(RecorderError) in
                let sink = try StallingSink(path: path)
                box.sink = sink
                return sink
            }
            let sink = try XCTUnwrap(box.sink)
            sink.stall()
            let tap = try XCTUnwrap(recording.tap(for: audioTrack()))
            let base = monotonicNanoseconds()
            for i in 0..<60 { opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) } }
            waitUntil("a writer blocked in the disk") { sink.isBlocked }
            stalled.append((recording, sink))
        }
        defer {
            for (recording, sink) in stalled {
                sink.resume()
                _ = recording.stop()
            }
        }

        let (recording, _) = try makeRecording(ringCapacity: 1024) { path throws(RecorderError) in try FileSink(path: path) }
        let tap = try XCTUnwrap(recording.tap(for: audioTrack()))
        let base = monotonicNanoseconds()
        for i in 0..<100 {
            opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: false) }
        }
        waitUntil("the other recording's ring drained", timeout: 3) { (tap as! RingTap).ring.count == 0 }
        XCTAssertTrue(recording.stop())
        waitUntil("complete", timeout: 10) { recording.status == .complete }
        XCTAssertEqual(recording.status, .complete)
    }

    func testMutedPacketsAreNotRecordedButTheTimelineContinues() throws {
        let (recording, _) = try makeRecording(ringCapacity: 512) { path throws(RecorderError) in try FileSink(path: path) }
        let tap = try XCTUnwrap(recording.tap(for: audioTrack()))
        // Arrivals on the media loop's clock, as the producer gives them.
        let base = monotonicNanoseconds()
        // 2 s sent, the middle second muted: the file is still 2 s long, the muted span silence.
        for i in 0..<100 {
            opusRTP(i).withUnsafeBytes { tap.rtp($0, arrival: base + Int64(i) * 20_000_000, muted: (25..<75).contains(i)) }
        }
        usleep(100_000)
        XCTAssertTrue(recording.stop())
        waitUntil("complete") { recording.status == .complete }
        let row = try XCTUnwrap(try store.recording(id: recording.egressID))
        XCTAssertEqual(Double(row.durationMilliseconds ?? 0), 2000, accuracy: 40)
        let packets = OggReader(try [UInt8](Data(contentsOf: directory.appendingPathComponent(row.filePath)))).packets()
        // Our 50 packets, plus silence filling the muted second; none of the muted packets.
        XCTAssertEqual(packets.dropFirst(2).filter { $0.packet == opusPacket }.count, 50)
        XCTAssertGreaterThan(packets.count - 2, 50)
    }
}

final class DetachLog: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [RecordingEndReason] = []
    func append(_ reason: RecordingEndReason) { lock.withLock { values.append(reason) } }
    var reasons: [RecordingEndReason] { lock.withLock { values } }
}

final class SinkBox: @unchecked Sendable {
    var sink: StallingSink?
}
