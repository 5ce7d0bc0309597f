import Foundation
import Logging
import Recorder
@testable import Recording
import Store
import XCTest

/// Start-up repair: recordings a killed process left `starting`/`active`/`ending` are
/// finalized in place and marked `recovered`, or `failed` when their file is gone or
/// unreadable; finished rows are left alone.
final class RecordingRecoveryTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory("recording-recovery")
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    /// What a killed writer leaves: headers and the pages/clusters flushed so far, no trailer.
    private func writeUnfinishedOgg(_ path: String, packets: Int) throws {
        let recording = try TrackRecording(configuration: .init(codec: .opus), sink: FileSink(path: path))
        for i in 0..<packets { try recording.ingestRTP(opusRTP(i), arrival: Int64(i) * 20_000_000) }
        recording.abort()
    }

    private func writeUnfinishedWebM(_ path: String, packets: Int) throws {
        let recording = try ParticipantRecording(configuration: .init(audio: true, video: false), sink: FileSink(path: path))
        for i in 0..<packets { try recording.ingestRTP(opusRTP(i), kind: .opus, arrival: Int64(i) * 20_000_000) }
        try recording.tick(now: Int64(packets) * 20_000_000 + 10_000_000_000)
        recording.abort()
    }

    func testUnfinishedRecordingsAreRepairedAndMarkedRecovered() throws {
        let store = try SwitchboardStore(dataDirectory: directory)
        let paths = try RecordingPaths(root: directory.appendingPathComponent("recordings").path)

        func insert(_ file: String, kind: RecordingRecord.Kind, status: RecordingRecord.Status) throws -> String {
            let id = SwitchboardStore.newRecordingID()
            try store.insertRecording(RecordingRecord(id: id, roomName: "r1", kind: kind, codec: "opus", filePath: file))
            if status != .starting { try store.updateRecording(id: id, status: status) }
            return id
        }
        try writeUnfinishedOgg(paths.absolute("a.ogg"), packets: 160)
        try writeUnfinishedWebM(paths.absolute("b.webm"), packets: 300)
        try Data("not a recording".utf8).write(to: URL(fileURLWithPath: paths.absolute("c.webm")))
        let ogg = try insert("a.ogg", kind: .track, status: .active)
        let webm = try insert("b.webm", kind: .participant, status: .ending)
        let garbage = try insert("c.webm", kind: .participant, status: .active)
        let missing = try insert("gone.ogg", kind: .track, status: .starting)
        let finished = try insert("done.ogg", kind: .track, status: .active)
        try store.finishRecording(id: finished, outcome: RecordingOutcome(status: .complete, durationMilliseconds: 5))

        let report = RecordingRecovery.run(store: store, paths: paths, logger: Logger(label: "test"))
        XCTAssertEqual(Set(report.recovered), [ogg, webm])
        XCTAssertEqual(Set(report.failed), [garbage, missing])

        let oggRow = try XCTUnwrap(try store.recording(id: ogg))
        XCTAssertEqual(oggRow.status, .recovered)
        // 150 of 160 packets were on complete pages (50 per page) when the writer died.
        XCTAssertEqual(oggRow.durationMilliseconds, 3000)
        XCTAssertNotNil(oggRow.endedAt)
        let oggBytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: paths.absolute("a.ogg"))))
        XCTAssertEqual(oggRow.bytes, Int64(oggBytes.count))
        XCTAssertTrue(OggReader(oggBytes).pages().pages.last?.flags.contains(.endOfStream) == true)

        let webmRow = try XCTUnwrap(try store.recording(id: webm))
        XCTAssertEqual(webmRow.status, .recovered)
        XCTAssertGreaterThan(webmRow.durationMilliseconds ?? 0, 1000)
        // Repaired in place: a second repair finds a complete file.
        XCTAssertTrue(try WebMRepair.repair(path: paths.absolute("b.webm")).wasComplete)

        XCTAssertEqual(try store.recording(id: garbage)?.status, .failed)
        XCTAssertTrue(try store.recording(id: garbage)?.error?.contains("could not be repaired") == true)
        XCTAssertEqual(try store.recording(id: missing)?.status, .failed)
        XCTAssertTrue(try store.recording(id: missing)?.error?.contains("missing") == true)
        XCTAssertEqual(try store.recording(id: finished)?.status, .complete)
        XCTAssertEqual(try store.unfinishedRecordings(), [])

        // A second start finds nothing left to do.
        XCTAssertEqual(RecordingRecovery.run(store: store, paths: paths, logger: Logger(label: "test")), .init())
        try store.close()
    }
}
