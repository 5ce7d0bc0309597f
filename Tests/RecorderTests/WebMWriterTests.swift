import XCTest
@testable import Recorder

final class WebMWriterTests: XCTestCase {
    /// A fake VP8 frame: keyframe tag + start code + dimensions, or an interframe tag.
    static func vp8Frame(keyframe: Bool, width: Int = 320, height: Int = 180, size: Int = 50) -> [UInt8] {
        var frame: [UInt8] = keyframe ? [0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A,
                                         UInt8(width & 0xFF), UInt8(width >> 8), UInt8(height & 0xFF), UInt8(height >> 8)]
                                       : [0x11, 0x02, 0x00]
        frame += [UInt8](repeating: 0x55, count: size)
        return frame
    }

    private let opusPacket: [UInt8] = [0xFC, 1, 2, 3]

    private func makeTracks() throws -> [WebMTrack] {
        [try WebMTrack(number: 1, codec: .vp8(width: 640, height: 480)),
         try WebMTrack(number: 2, codec: .opus(try OpusHead(channels: 2, preSkip: 312)))]
    }

    func testHeaderTracksAndUnknownSizesWhileRecording() throws {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: try makeTracks())
        try writer.write(track: 1, frame: Self.vp8Frame(keyframe: true), timestamp: 0, keyframe: true)
        try writer.write(track: 2, frame: opusPacket, timestamp: 5_000_000, keyframe: true, duration: 20_000_000)
        try writer.flush()
        let file = try WebMFile(sink.bytes)
        XCTAssertEqual(file.docType, "webm")
        XCTAssertNil(file.segmentSize, "unknown while recording")
        XCTAssertEqual(file.clusterSizes, [nil])
        XCTAssertNil(file.durationMilliseconds)
        XCTAssertEqual(file.trackCodecs, [1: "V_VP8", 2: "A_OPUS"])
        XCTAssertEqual(file.codecPrivate, try OpusHead(channels: 2, preSkip: 312).serialized())
        XCTAssertEqual(file.codecDelay, 6_500_000)
        XCTAssertEqual(file.pixelSize?.0, 640)
        XCTAssertEqual(file.blocks.map(\.time), [0, 5])
        XCTAssertEqual(file.seekEntries.count, 2)
        XCTAssertEqual(file.level1, [MatroskaID.seekHead, MatroskaID.void, MatroskaID.info, MatroskaID.tracks, MatroskaID.cluster])
    }

    func testClustersAtKeyframesCuesDurationAndSizes() throws {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: try makeTracks())
        try writer.setVideoDimensions(track: 1, width: 320, height: 180)
        var audioTime: Int64 = 0
        for frame in 0..<90 {
            let time = Int64(frame) * 1_000_000_000 / 30
            while audioTime <= time {
                try writer.write(track: 2, frame: opusPacket, timestamp: audioTime, keyframe: true, duration: 20_000_000)
                audioTime += 20_000_000
            }
            let key = frame % 30 == 0
            try writer.write(track: 1, frame: Self.vp8Frame(keyframe: key), timestamp: time, keyframe: key)
        }
        XCTAssertEqual(try writer.finalize(), 2_966 + 33)
        let file = try WebMFile(sink.bytes)
        XCTAssertEqual(file.segmentSize, sink.bytes.count - file.segmentDataStart)
        XCTAssertEqual(file.clusterTimestamps, [0, 1_000, 2_000])
        XCTAssertEqual(file.cues.map(\.time), [0, 1_000, 2_000])
        XCTAssertEqual(file.cues.map(\.track), [1, 1, 1])
        XCTAssertEqual(file.cues.map { $0.position + file.segmentDataStart }, file.clusterOffsets)
        XCTAssertEqual(file.seekEntries[MatroskaID.cues].map { $0 + file.segmentDataStart }, cuesOffset(file))
        XCTAssertEqual(file.seekEntries.count, 3)
        XCTAssertEqual(file.durationMilliseconds, 2_999)
        XCTAssertEqual(file.pixelSize?.0, 320)
        XCTAssertEqual(file.pixelSize?.1, 180)
        // Known sizes: each cluster runs exactly to the next.
        for index in file.clusterOffsets.indices.dropLast() {
            let header = EBMLReader.header(in: sink.bytes, at: file.clusterOffsets[index])!
            XCTAssertEqual(header.dataOffset + header.size!, file.clusterOffsets[index + 1])
        }
        XCTAssertEqual(file.blocks.filter { $0.track == 1 }.count, 90)
        XCTAssertEqual(file.blocks.filter { $0.track == 1 && $0.keyframe }.count, 3)
        XCTAssertEqual(file.blocks.filter { $0.track == 2 }.count, writer.statistics.blocks[2])
        XCTAssertTrue(file.blocks.filter { $0.track == 2 }.allSatisfy(\.keyframe))
    }

    private func cuesOffset(_ file: WebMFile) -> Int {
        var offset = file.clusterOffsets.last!
        while let header = EBMLReader.header(in: file.bytes, at: offset), header.id != MatroskaID.cues {
            offset = header.dataOffset + header.size!
        }
        return offset
    }

    func testAudioOnlyClustersEveryFiveSecondsAndRelativeOverflow() throws {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: [try WebMTrack(number: 1, codec: .opus(try OpusHead()))])
        for index in 0..<600 {  // 12 s of 20 ms packets
            try writer.write(track: 1, frame: opusPacket, timestamp: Int64(index) * 20_000_000, keyframe: false, duration: 20_000_000)
        }
        // A 40 s gap (muted): relative timestamps would overflow int16 anyway.
        try writer.write(track: 1, frame: opusPacket, timestamp: 52_000_000_000, keyframe: false, duration: 20_000_000)
        try writer.finalize()
        let file = try WebMFile(sink.bytes)
        XCTAssertEqual(file.clusterTimestamps, [0, 5_000, 10_000, 52_000])
        XCTAssertEqual(file.cues.map(\.time), [0, 5_000, 10_000, 52_000])
        XCTAssertEqual(file.durationMilliseconds, 52_020)
        XCTAssertEqual(file.blocks.count, 601)
    }

    func testVideoClusterWithoutKeyframesIsCappedByInt16() throws {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: [try WebMTrack(number: 1, codec: .vp8(width: 2, height: 2))],
                                    configuration: .init(maxClusterDuration: 32_000))
        try writer.write(track: 1, frame: Self.vp8Frame(keyframe: true), timestamp: 0, keyframe: true)
        try writer.write(track: 1, frame: Self.vp8Frame(keyframe: false), timestamp: 31_000_000_000, keyframe: false)
        try writer.write(track: 1, frame: Self.vp8Frame(keyframe: false), timestamp: 32_768_000_000, keyframe: false)
        try writer.finalize()
        let file = try WebMFile(sink.bytes)
        XCTAssertEqual(file.clusterTimestamps, [0, 32_768])
        XCTAssertEqual(file.blocks.map(\.time), [0, 31_000, 32_768])
        XCTAssertEqual(file.cues.count, 1, "only keyframe clusters are cue points")
    }

    func testTruncatedAtAnyClusterBoundaryStillParses() throws {
        let sink = MemorySink()
        let writer = try WebMWriter(sink: sink, tracks: try makeTracks())
        var boundaries: [Int] = []
        for frame in 0..<60 {
            if frame % 15 == 0 { boundaries.append(writer.length) }
            try writer.write(track: 1, frame: Self.vp8Frame(keyframe: frame % 15 == 0), timestamp: Int64(frame) * 33_000_000,
                             keyframe: frame % 15 == 0)
        }
        try writer.flush()
        for boundary in boundaries.dropFirst() {
            let prefix = Array(sink.bytes.prefix(boundary))
            let file = try WebMFile(prefix)
            XCTAssertEqual(file.blocks.count, (boundaries.firstIndex(of: boundary)!) * 15)
        }
    }

    func testRejectsBadInput() throws {
        XCTAssertThrowsError(try WebMTrack(number: 0, codec: .vp8(width: 1, height: 1)))
        XCTAssertThrowsError(try WebMTrack(number: 1, codec: .vp8(width: 0, height: 1)))
        XCTAssertThrowsError(try WebMWriter(sink: MemorySink(), tracks: []))
        let writer = try WebMWriter(sink: MemorySink(), tracks: try makeTracks())
        XCTAssertThrowsError(try writer.write(track: 9, frame: [1], timestamp: 0, keyframe: true)) {
            guard case .invalidArgument = $0 as? RecorderError else { return XCTFail("\($0)") }
        }
        try writer.finalize()
        XCTAssertThrowsError(try writer.finalize()) { XCTAssertEqual($0 as? RecorderError, .finished) }
    }
}
