import XCTest
@testable import PayloadFormats

final class VP8KeyframeTests: XCTestCase {
    /// Frame tag (RFC 6386 section 9.1): P bit, 3-bit version, show_frame, 19-bit size, little-endian.
    static func frameTag(keyframe: Bool, version: UInt32 = 0, show: Bool = true, size: UInt32) -> [UInt8] {
        let tag = (keyframe ? 0 : 1) | version << 1 | (show ? 1 : 0) << 4 | size << 5
        return [UInt8(tag & 0xFF), UInt8((tag >> 8) & 0xFF), UInt8((tag >> 16) & 0xFF)]
    }

    /// Descriptor 90 80 81 23 (S=1, PID=0, 15-bit picture ID 0x123), a keyframe tag, the
    /// start code, 640 (scale 0) and 480 with vertical scale 1 (480 | 1 << 14 = 0x41E0).
    static let keyframePayload: [UInt8] =
        [0x90, 0x80, 0x81, 0x23] + frameTag(keyframe: true, size: 1234) +
        [0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x41] + [0x00, 0x11, 0x22]

    func testKeyframeDetectionAndDimensions() throws {
        let payload = Self.keyframePayload
        XCTAssertTrue(VP8PayloadDescriptor.isKeyframeStart(payload))
        let dimensions = try XCTUnwrap(VP8PayloadDescriptor.keyframeDimensions(payload))
        XCTAssertEqual(dimensions, VP8KeyframeDimensions(width: 640, height: 480, horizontalScale: 0, verticalScale: 1))
        let header = try payload.withUnsafeBytes {
            try VP8PayloadHeader(parsing: UnsafeRawBufferPointer(rebasing: $0[4...]))
        }
        XCTAssertTrue(header.isKeyframe)
        XCTAssertTrue(header.showFrame)
        XCTAssertEqual(header.version, 0)
        XCTAssertEqual(header.firstPartitionSize, 1234)
    }

    func testDimensionsWriterMatchesParser() throws {
        var frame = Self.frameTag(keyframe: true, size: 10)
        VP8KeyframeDimensions(width: 1920, height: 1080, horizontalScale: 3, verticalScale: 2).write(into: &frame)
        let parsed = try frame.withUnsafeBytes { try VP8KeyframeDimensions(parsingFrame: $0) }
        XCTAssertEqual(parsed, VP8KeyframeDimensions(width: 1920, height: 1080, horizontalScale: 3, verticalScale: 2))
    }

    func testNonKeyframeCases() {
        // Interframe: P=1.
        let inter = [0x90, 0x80, 0x81, 0x23] + Self.frameTag(keyframe: false, size: 50) + [0, 0, 0]
        XCTAssertFalse(VP8PayloadDescriptor.isKeyframeStart(inter))
        XCTAssertNil(VP8PayloadDescriptor.keyframeDimensions(inter))
        // Not the start of partition 0.
        var notStart = Self.keyframePayload
        notStart[0] = 0x80
        XCTAssertFalse(VP8PayloadDescriptor.isKeyframeStart(notStart))
        var otherPartition = Self.keyframePayload
        otherPartition[0] = 0x91
        XCTAssertFalse(VP8PayloadDescriptor.isKeyframeStart(otherPartition))
        // Nothing after the descriptor.
        XCTAssertFalse(VP8PayloadDescriptor.isKeyframeStart([0x90, 0x80, 0x81, 0x23]))
        // Bad start code: still a keyframe start by the P bit, but no dimensions.
        var badStart = Self.keyframePayload
        badStart[7] = 0x00
        XCTAssertTrue(VP8PayloadDescriptor.isKeyframeStart(badStart))
        XCTAssertNil(VP8PayloadDescriptor.keyframeDimensions(badStart))
        XCTAssertThrowsError(try badStart.withUnsafeBytes {
            try VP8KeyframeDimensions(parsingFrame: UnsafeRawBufferPointer(rebasing: $0[4...]))
        }) { XCTAssertEqual($0 as? VP8Error, .notKeyframe) }
    }

    func testTruncatedKeyframeAtEveryLength() {
        let payload = Self.keyframePayload
        let full = 4 + 10  // descriptor + frame tag + start code + dimensions
        for length in 0..<payload.count {
            let prefix = Array(payload[..<length])
            XCTAssertEqual(VP8PayloadDescriptor.isKeyframeStart(prefix), length > 4, "length \(length)")
            XCTAssertEqual(VP8PayloadDescriptor.keyframeDimensions(prefix) != nil, length >= full, "length \(length)")
        }
    }
}
