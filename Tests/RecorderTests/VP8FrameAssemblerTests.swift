import PayloadFormats
import XCTest
@testable import Recorder

final class VP8FrameAssemblerTests: XCTestCase {
    /// Packets of one frame: `parts` payloads with a descriptor (picture ID), S on the first.
    private func packets(picture: UInt16, keyframe: Bool, parts: Int, nonReference: Bool = false) throws -> [[UInt8]] {
        let frame = WebMWriterTests.vp8Frame(keyframe: keyframe, size: 30 * parts)
        let chunk = (frame.count + parts - 1) / parts
        return try (0..<parts).map { index in
            let descriptor = VP8PayloadDescriptor(nonReference: nonReference, startOfPartition: index == 0,
                                                  pictureID: picture, pictureIDIs15Bit: true)
            return try descriptor.serialized() + Array(frame[(index * chunk)..<min(frame.count, (index + 1) * chunk)])
        }
    }

    private struct Feed {
        var assembler = VP8FrameAssembler()
        var sequence: Int64 = 1_000
        var frames: [VP8FrameAssembler.Frame] = []
        var keyframeRequests = 0

        mutating func send(_ payloads: [[UInt8]], timestamp: UInt32, skip: Set<Int> = []) throws {
            for (index, payload) in payloads.enumerated() {
                defer { sequence += 1 }
                if skip.contains(index) { continue }
                let output = try assembler.push(payload: payload, sequence: sequence, timestamp: timestamp,
                                                marker: index == payloads.count - 1)
                if let frame = output.frame { frames.append(frame) }
                if output.keyframeNeeded { keyframeRequests += 1 }
            }
        }
    }

    func testAssemblesFramesAndWaitsForFirstKeyframe() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: false, parts: 2), timestamp: 0)
        XCTAssertEqual(feed.frames.count, 0)
        XCTAssertEqual(feed.keyframeRequests, 1, "PLI at start")
        try feed.send(try packets(picture: 2, keyframe: true, parts: 3), timestamp: 3_000)
        try feed.send(try packets(picture: 3, keyframe: false, parts: 1), timestamp: 6_000)
        XCTAssertEqual(feed.frames.count, 2)
        let key = feed.frames[0]
        XCTAssertTrue(key.isKeyframe)
        XCTAssertEqual(key.data, WebMWriterTests.vp8Frame(keyframe: true, size: 90))
        XCTAssertEqual(key.dimensions?.width, 320)
        XCTAssertEqual(key.dimensions?.height, 180)
        XCTAssertEqual(key.timestamp, 3_000)
        XCTAssertFalse(feed.frames[1].isKeyframe)
        XCTAssertFalse(feed.assembler.isWaitingForKeyframe)
        XCTAssertEqual(feed.assembler.framesDropped, 1)
    }

    func testLossInsideReferenceFrameWaitsForKeyframe() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: true, parts: 2), timestamp: 0)
        try feed.send(try packets(picture: 2, keyframe: false, parts: 3), timestamp: 3_000, skip: [1])
        try feed.send(try packets(picture: 3, keyframe: false, parts: 2), timestamp: 6_000)
        XCTAssertEqual(feed.frames.count, 1)
        XCTAssertEqual(feed.keyframeRequests, 1)
        XCTAssertTrue(feed.assembler.isWaitingForKeyframe)
        try feed.send(try packets(picture: 4, keyframe: true, parts: 2), timestamp: 9_000)
        XCTAssertEqual(feed.frames.map(\.timestamp), [0, 9_000])
        XCTAssertEqual(feed.assembler.framesDropped, 2)
    }

    func testLossOfFrameStartOrTail() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: true, parts: 2), timestamp: 0)
        try feed.send(try packets(picture: 2, keyframe: false, parts: 3), timestamp: 3_000, skip: [0])
        XCTAssertTrue(feed.assembler.isWaitingForKeyframe)
        try feed.send(try packets(picture: 3, keyframe: true, parts: 3), timestamp: 6_000)
        // The tail (marker packet) of a reference frame lost.
        try feed.send(try packets(picture: 4, keyframe: false, parts: 2), timestamp: 9_000, skip: [1])
        try feed.send(try packets(picture: 5, keyframe: false, parts: 1), timestamp: 12_000)
        XCTAssertEqual(feed.frames.map(\.timestamp), [0, 6_000])
        XCTAssertEqual(feed.keyframeRequests, 2)
    }

    func testLossConfinedToNonReferenceFrameNeedsNoKeyframe() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: true, parts: 1), timestamp: 0)
        try feed.send(try packets(picture: 2, keyframe: false, parts: 3, nonReference: true), timestamp: 3_000, skip: [1])
        try feed.send(try packets(picture: 3, keyframe: false, parts: 2), timestamp: 6_000)
        // Start of a non-reference frame lost.
        try feed.send(try packets(picture: 4, keyframe: false, parts: 2, nonReference: true), timestamp: 9_000, skip: [0])
        try feed.send(try packets(picture: 5, keyframe: false, parts: 1), timestamp: 12_000)
        XCTAssertEqual(feed.frames.map(\.timestamp), [0, 6_000, 12_000])
        XCTAssertEqual(feed.keyframeRequests, 0)
        XCTAssertFalse(feed.assembler.isWaitingForKeyframe)
    }

    func testWholeFrameLostBetweenFramesIsDetectedByPictureID() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: true, parts: 1), timestamp: 0)
        let lost = try packets(picture: 2, keyframe: false, parts: 2)
        feed.sequence += Int64(lost.count)  // the whole frame is missing
        try feed.send(try packets(picture: 3, keyframe: false, parts: 1), timestamp: 6_000)
        XCTAssertEqual(feed.frames.count, 1)
        XCTAssertEqual(feed.keyframeRequests, 1)
    }

    func testPictureIDWrapAndPaddingLossNeedNoKeyframe() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 0x7FFF, keyframe: true, parts: 1), timestamp: 0)
        feed.sequence += 1  // a lost padding-only packet between frames
        try feed.send(try packets(picture: 0, keyframe: false, parts: 1), timestamp: 3_000)
        XCTAssertEqual(feed.frames.count, 2)
        XCTAssertEqual(feed.keyframeRequests, 0)
    }

    func testPaddingPacketsKeepContinuity() throws {
        var feed = Feed()
        try feed.send(try packets(picture: 1, keyframe: true, parts: 1), timestamp: 0)
        feed.assembler.notePadding(sequence: feed.sequence)
        feed.sequence += 1
        try feed.send(try packets(picture: 2, keyframe: false, parts: 2, nonReference: true), timestamp: 3_000, skip: [0])
        // Without the padding note, the hole before picture 2 would be seen as the loss of
        // an unknown frame; with it, only the non-reference frame's start is gone.
        XCTAssertEqual(feed.keyframeRequests, 0)
    }

    func testMalformedDescriptorThrows() throws {
        var assembler = VP8FrameAssembler()
        XCTAssertThrowsError(try assembler.push(payload: [0x80], sequence: 1, timestamp: 0, marker: true)) {
            XCTAssertEqual($0 as? RecorderError, .malformedVP8(.truncated))
        }
        XCTAssertThrowsError(try assembler.push(payload: [0x10, 0x00], sequence: 2, timestamp: 3_000, marker: true)) {
            XCTAssertEqual($0 as? RecorderError, .malformedVP8(.truncated))
        }
    }

    func testOversizedFrameIsDropped() throws {
        var assembler = VP8FrameAssembler(maxFrameSize: 100)
        let payloads = try packets(picture: 1, keyframe: true, parts: 6)
        var frames = 0
        for (index, payload) in payloads.enumerated() {
            let output = try assembler.push(payload: payload, sequence: Int64(index), timestamp: 0, marker: index == 5)
            if output.frame != nil { frames += 1 }
        }
        XCTAssertEqual(frames, 0)
        XCTAssertEqual(assembler.framesDropped, 1)
    }
}
