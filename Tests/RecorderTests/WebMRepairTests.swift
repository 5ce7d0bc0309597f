import Foundation
import XCTest
@testable import Recorder

final class WebMRepairTests: XCTestCase {
    private let opusPacket: [UInt8] = [0xFC, 1, 2, 3]

    /// Writes 3 s of interleaved audio/video, returning the sink (not finalized), the
    /// offsets of cluster starts, and a finalized copy for comparison.
    private func record(finalize: Bool) throws -> (MemorySink, WebMWriter) {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: [
            try WebMTrack(number: 1, codec: .vp8(width: 320, height: 180)),
            try WebMTrack(number: 2, codec: .opus(try OpusHead())),
        ])
        var audioTime: Int64 = 0
        for frame in 0..<90 {
            let time = Int64(frame) * 1_000_000_000 / 30
            while audioTime <= time {
                try writer.write(track: 2, frame: opusPacket, timestamp: audioTime, keyframe: true, duration: 20_000_000)
                audioTime += 20_000_000
            }
            let key = frame % 30 == 0
            try writer.write(track: 1, frame: WebMWriterTests.vp8Frame(keyframe: key), timestamp: time, keyframe: key)
        }
        if finalize { try writer.finalize() } else { try writer.flush() }
        return (sink, writer)
    }

    func testRepairOfUnfinishedFileMatchesFinalize() throws {
        let (finished, _) = try record(finalize: true)
        let (crashed, _) = try record(finalize: false)
        let result = try WebMRepair.repair(sink: crashed)
        XCTAssertFalse(result.wasComplete)
        XCTAssertEqual(result.clusters, 3)
        XCTAssertEqual(result.cuePoints, 3)
        XCTAssertEqual(result.truncatedBytes, 0)
        XCTAssertEqual(result.durationMilliseconds, 2_999)
        // Byte for byte what the writer's own finalize produced.
        XCTAssertEqual(crashed.bytes, finished.bytes)
        XCTAssertTrue(try WebMRepair.repair(sink: crashed).wasComplete)
    }

    func testRepairCutsTornBlock() throws {
        let (crashed, _) = try record(finalize: false)
        let full = try WebMFile(crashed.bytes)
        // kill -9 in the middle of the last block.
        try crashed.truncate(to: crashed.length - 7)
        let result = try WebMRepair.repair(sink: crashed)
        XCTAssertGreaterThan(result.truncatedBytes, 0)
        let file = try WebMFile(crashed.bytes)
        XCTAssertEqual(file.blocks.count, full.blocks.count - 1)
        XCTAssertEqual(file.segmentSize, crashed.length - file.segmentDataStart)
        XCTAssertNotNil(file.durationMilliseconds)
        XCTAssertEqual(file.cues.count, 3)
        XCTAssertTrue(file.clusterSizes.allSatisfy { $0 != nil })
    }

    func testRepairAtClusterBoundaryAndEmptyCluster() throws {
        let (crashed, _) = try record(finalize: false)
        let file = try WebMFile(crashed.bytes)
        // Cut right after the third cluster's header: the empty cluster is removed.
        let third = file.clusterOffsets[2]
        try crashed.truncate(to: third + 12)
        let result = try WebMRepair.repair(sink: crashed)
        XCTAssertEqual(result.clusters, 2)
        XCTAssertEqual(result.truncatedBytes, 12)
        let repaired = try WebMFile(crashed.bytes)
        XCTAssertEqual(repaired.clusterOffsets, Array(file.clusterOffsets.prefix(2)))
        XCTAssertEqual(repaired.durationMilliseconds, Double(result.durationMilliseconds))
        // Audio at 2000 ms precedes the keyframe that opened the third cluster: 2000 + 20 ms.
        XCTAssertEqual(result.durationMilliseconds, 2_020)
    }

    func testRepairOfHeaderOnlyFileAndGarbage() throws {
        let sink = MemorySink()
        _ = try WebMWriter(sink: sink, tracks: [try WebMTrack(number: 1, codec: .opus(try OpusHead()))])
        let result = try WebMRepair.repair(sink: sink)
        XCTAssertEqual(result.clusters, 0)
        XCTAssertNoThrow(try WebMFile(sink.bytes))
        XCTAssertThrowsError(try WebMRepair.repair(sink: MemorySink([1, 2, 3]))) {
            guard case .malformedContainer = $0 as? RecorderError else { return XCTFail("\($0)") }
        }
    }

    func testRepairFileOnDisk() throws {
        let (crashed, _) = try record(finalize: false)
        let path = NSTemporaryDirectory() + "recorder-repair-\(UUID().uuidString).webm"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let file = try FileSink(path: path)
        try file.append(crashed.bytes)
        try file.close()
        let result = try WebMRepair.repair(path: path)
        XCTAssertEqual(result.clusters, 3)
        let repaired = try WebMFile(Array(try Data(contentsOf: URL(fileURLWithPath: path))))
        XCTAssertEqual(repaired.cues.count, 3)
        XCTAssertEqual(repaired.durationMilliseconds, 2_999)
    }
}

final class FileSinkTests: XCTestCase {
    func testAppendOverwriteReadTruncate() throws {
        let path = NSTemporaryDirectory() + "recorder-sink-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: path) }
        let sink = try FileSink(path: path)
        try sink.append([1, 2, 3, 4, 5])
        try sink.overwrite([9, 9], at: 1)
        XCTAssertEqual(try sink.read(at: 0, count: 10), [1, 9, 9, 4, 5])
        try sink.truncate(to: 3)
        try sink.sync()
        XCTAssertEqual(sink.length, 3)
        XCTAssertThrowsError(try sink.overwrite([1, 2], at: 2))
        try sink.close()
        XCTAssertThrowsError(try sink.append([1])) { XCTAssertEqual($0 as? RecorderError, .finished) }
        let reopened = try FileSink(path: path, mode: .update)
        XCTAssertEqual(reopened.length, 3)
        XCTAssertThrowsError(try FileSink(path: "/nonexistent-dir/x", mode: .create)) {
            guard case .io(_, 2) = $0 as? RecorderError else { return XCTFail("\($0)") }
        }
    }
}
