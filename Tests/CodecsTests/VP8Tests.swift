import XCTest
import Codecs

final class VP8Tests: XCTestCase {
    func testEncodeDecode30FramesWithForcedKeyframe() throws {
        let encoder = try VP8Encoder(width: 320, height: 240, fps: 30, targetBitrateKbps: 800, keyframeInterval: 3_000)
        let decoder = try VP8Decoder()
        var encoded: [VP8EncodedFrame] = []
        var sources: [I420Frame] = []
        for index in 0..<30 {
            let picture = try I420Frame.testPattern(width: 320, height: 240, frameIndex: index)
            sources.append(picture)
            let frames = try encoder.encode(i420: picture, forceKeyframe: index == 20)
            XCTAssertEqual(frames.count, 1, "frame \(index)")
            encoded += frames
        }
        XCTAssertEqual(encoded.count, 30)
        XCTAssertTrue(encoded[0].isKeyframe, "first frame must be a keyframe")
        XCTAssertTrue(encoded[20].isKeyframe, "forced keyframe not honoured")
        XCTAssertEqual(encoded.filter(\.isKeyframe).count, 2, "unexpected extra keyframes")
        XCTAssertEqual(encoded.map(\.pts), (0..<30).map(Int64.init))
        // VP8 keyframes start with the 0x9d 0x01 0x2a start code after the 3-byte tag.
        XCTAssertEqual(Array(encoded[0].data[3..<6]), [0x9d, 0x01, 0x2a])
        XCTAssertEqual(encoded[0].data[0] & 1, 0)
        XCTAssertEqual(encoded[1].data[0] & 1, 1)
        XCTAssertGreaterThan(encoded[0].data.count, encoded[1].data.count)

        var worst = Double.infinity
        for (index, frame) in encoded.enumerated() {
            let picture = try XCTUnwrap(try decoder.decode(frame: frame.data), "frame \(index)")
            XCTAssertEqual(picture.width, 320)
            XCTAssertEqual(picture.height, 240)
            XCTAssertEqual(picture.y.count, 320 * 240)
            XCTAssertEqual(picture.u.count, 160 * 120)
            let psnr = try XCTUnwrap(picture.psnr(against: sources[index]))
            worst = min(worst, psnr)
        }
        XCTAssertGreaterThan(worst, 25, "worst PSNR \(worst) dB")

        // Decoding can restart from the forced keyframe alone.
        let late = try VP8Decoder()
        let resumed = try XCTUnwrap(try late.decode(frame: encoded[20].data))
        XCTAssertGreaterThan(try XCTUnwrap(resumed.psnr(against: sources[20])), 25)
        XCTAssertNotNil(try late.decode(frame: encoded[21].data))
    }

    func testKeyframeIntervalAndBitrateChange() throws {
        let encoder = try VP8Encoder(width: 160, height: 120, keyframeInterval: 10)
        var keyframes: [Int] = []
        for index in 0..<25 {
            if index == 12 { try encoder.setTargetBitrate(kbps: 200) }
            let frames = try encoder.encode(i420: try I420Frame.testPattern(width: 160, height: 120, frameIndex: index))
            for frame in frames where frame.isKeyframe { keyframes.append(Int(frame.pts)) }
        }
        XCTAssertEqual(keyframes.first, 0)
        XCTAssertGreaterThanOrEqual(keyframes.count, 3, "keyframes at \(keyframes)")
        for (a, b) in zip(keyframes, keyframes.dropFirst()) { XCTAssertLessThanOrEqual(b - a, 10) }
        XCTAssertEqual(encoder.targetBitrateKbps, 200)
        XCTAssertThrowsError(try encoder.setTargetBitrate(kbps: 0))
        XCTAssertNoThrow(try encoder.flush())
    }

    func testOddDimensions() throws {
        for (width, height) in [(175, 97), (1, 1), (33, 2), (3, 65)] {
            let encoder = try VP8Encoder(width: width, height: height, targetBitrateKbps: 500, errorResilient: false)
            let decoder = try VP8Decoder()
            for index in 0..<5 {
                let source = try I420Frame.testPattern(width: width, height: height, frameIndex: index)
                XCTAssertEqual(source.u.count, ((width + 1) / 2) * ((height + 1) / 2))
                for frame in try encoder.encode(i420: source) {
                    let picture = try XCTUnwrap(try decoder.decode(frame: frame.data))
                    XCTAssertEqual(picture.width, width)
                    XCTAssertEqual(picture.height, height)
                    XCTAssertEqual(picture.u.count, source.u.count)
                    if width * height > 1_000 {
                        XCTAssertGreaterThan(try XCTUnwrap(picture.psnr(against: source)), 25, "\(width)x\(height)")
                    }
                }
            }
        }
    }

    func testGarbageDecodesToErrorNotCrash() throws {
        let decoder = try VP8Decoder()
        // Keyframe tag with a wrong start code, an inter frame with no keyframe yet, truncation.
        for junk: [UInt8] in [[0x10, 0x02, 0x00, 0xde, 0xad, 0xbe, 0xef, 0x00, 0x01, 0x02], [0x01, 0x02, 0x03], [0x00]] {
            XCTAssertThrowsError(try decoder.decode(frame: junk), "\(junk)") { error in
                guard let error = error as? VPXError else { return XCTFail("not a VPXError: \(error)") }
                XCTAssertNotEqual(error.code, 0)
                XCTAssertFalse(error.message.isEmpty)
            }
        }
        XCTAssertThrowsError(try decoder.decode(frame: [])) { error in
            XCTAssertEqual((error as? VPXError)?.code, VPXError.invalidParameter)
        }

        // Valid stream, then random bytes and a corrupted (truncated / bit-flipped) frame:
        // errors or pictures, but no crash, and a keyframe brings it back.
        let encoder = try VP8Encoder(width: 64, height: 48)
        var frames: [VP8EncodedFrame] = []
        for index in 0..<4 {
            frames += try encoder.encode(i420: try I420Frame.testPattern(width: 64, height: 48, frameIndex: index),
                                         forceKeyframe: index == 3)
        }
        XCTAssertNotNil(try decoder.decode(frame: frames[0].data))
        var rng = SystemRandomNumberGenerator()
        for length in [1, 2, 5, 10, 100, 1_000] {
            let junk = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            _ = try? decoder.decode(frame: junk)
        }
        _ = try? decoder.decode(frame: Array(frames[1].data.prefix(frames[1].data.count / 2)))
        var flipped = frames[2].data
        for i in stride(from: 10, to: flipped.count, by: 7) { flipped[i] ^= 0x5a }
        _ = try? decoder.decode(frame: flipped)
        let picture = try XCTUnwrap(try decoder.decode(frame: frames[3].data))
        XCTAssertEqual(picture.width, 64)
    }

    func testEncoderArgumentErrors() throws {
        XCTAssertThrowsError(try VP8Encoder(width: 0, height: 240))
        XCTAssertThrowsError(try VP8Encoder(width: 320, height: 20_000))
        XCTAssertThrowsError(try VP8Encoder(width: 320, height: 240, fps: 0))
        XCTAssertThrowsError(try VP8Encoder(width: 320, height: 240, targetBitrateKbps: 0))
        let encoder = try VP8Encoder(width: 320, height: 240)
        XCTAssertThrowsError(try encoder.encode(i420: try I420Frame(width: 160, height: 120))) { error in
            guard let error = error as? VPXError else { return XCTFail("not a VPXError") }
            XCTAssertEqual(error.code, VPXError.invalidParameter)
            XCTAssertTrue(error.description.contains("160x120"), error.description)
        }
    }
}
