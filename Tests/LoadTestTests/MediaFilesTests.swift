import Codecs
import PayloadFormats
@testable import LoadTest
import Recorder
import XCTest

/// Pre-encoded media files for the load generator: IVF (VP8) and Ogg Opus, read and checked
/// before a run. Files are made here with libvpx/libopus and the recorder's Ogg writer; the
/// interop tests use files FFmpeg wrote.
final class MediaFilesTests: XCTestCase {
    /// An IVF file (32-byte header, 12-byte frame headers, little-endian) of `frames` VP8 frames.
    private func ivf(width: Int = 320, height: Int = 180, rate: UInt32 = 25, frames: Int = 10, fourcc: String = "VP80") throws -> [UInt8] {
        let encoder = try VP8Encoder(width: width, height: height, fps: Int(rate), targetBitrateKbps: 300, keyframeInterval: 100,
                                     errorResilient: true, cpuUsed: -8)
        var seed: UInt32 = 1
        var encoded: [[UInt8]] = []
        for index in 0..<frames {
            let picture = try EncodedMedia.syntheticPicture(width: width, height: height, index: index, seed: &seed, noisyBlocks: 2)
            encoded += try encoder.encode(i420: picture, forceKeyframe: index == 0).map(\.data)
        }
        func le(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        var out = Array("DKIF".utf8) + le(0, 2) + le(32, 2) + Array(fourcc.utf8) + le(width, 2) + le(height, 2)
        out += le(Int(rate), 4) + le(1, 4) + le(encoded.count, 4) + le(0, 4)
        for (index, frame) in encoded.enumerated() { out += le(frame.count, 4) + le(index, 8) + frame }
        return out
    }

    func testIVFFramesAndTiming() throws {
        let layer = try MediaFiles.vp8Layer(ivf: try ivf(), name: "a.ivf", rid: "h")
        XCTAssertEqual(layer.frames.count, 10)
        XCTAssertEqual([layer.width, layer.height], [320, 180])
        XCTAssertEqual(layer.rid, "h")
        XCTAssertTrue(layer.frames[0].isKeyframe)
        XCTAssertFalse(layer.frames[1].isKeyframe)
        XCTAssertEqual(layer.frameInterval, 40_000_000, "25 fps from the IVF time base")
        XCTAssertEqual(layer.timestampStep, 3600)
        XCTAssertTrue(layer.frames.allSatisfy { $0.payloads.allSatisfy { $0.count <= EncodedMedia.maxPayload } })
    }

    func testBadIVFIsRefusedWithTheReason() throws {
        let good = try ivf()
        func reason(_ bytes: [UInt8]) -> String {
            do {
                _ = try MediaFiles.vp8Layer(ivf: bytes, name: "x.ivf", rid: nil)
                return "accepted"
            } catch { return error.description }
        }
        XCTAssertTrue(reason(Array(good.prefix(20))).contains("not an IVF file"))
        XCTAssertTrue(reason(try ivf(fourcc: "VP90")).contains("only VP80"))
        XCTAssertTrue(reason(Array(good.dropLast(5))).contains("truncated frame"))
        XCTAssertTrue(reason(Array(good.prefix(32 + 6))).contains("truncated frame header"))
        XCTAssertTrue(reason(Array(good.prefix(32))).contains("no frames"))
        var zeroRate = good
        zeroRate[16] = 0
        XCTAssertTrue(reason(zeroRate).contains("frame rate"))
        var huge = good
        huge[32 + 3] = 0x7F // a 2 GB frame
        XCTAssertTrue(reason(huge).contains("frame of"))
        // Dropping the keyframe leaves an interframe first: the loop could not restart there.
        let firstSize = Int(good[32]) | Int(good[33]) << 8 | Int(good[34]) << 16
        let noKeyframe = Array(good.prefix(32)) + Array(good.dropFirst(32 + 12 + firstSize))
        XCTAssertTrue(reason(noKeyframe).contains("not a keyframe"))
    }

    /// An Ogg Opus file written by the recorder's writer, of `packets` packets of `milliseconds`.
    private func ogg(packets: Int = 25, milliseconds: Int = 20) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = try OggOpusWriter(sink: sink, configuration: .init(head: try OpusHead(channels: 2)))
        let encoder = try OpusEncoder(channels: 2, application: .audio, bitrate: 32_000)
        let samples = 48 * milliseconds
        for _ in 0..<packets {
            let packet = try encoder.encode(pcm: [Int16](repeating: 100, count: samples * 2))
            _ = try packet.withUnsafeBytes { try writer.write(packet: $0) }
        }
        _ = try writer.finish()
        return sink.bytes
    }

    func testOggOpusPackets() throws {
        let packets = try MediaFiles.opusPackets(ogg: try ogg(), name: "a.ogg")
        XCTAssertEqual(packets.count, 25)
        XCTAssertTrue(packets.allSatisfy { OpusTOC.packetDuration(of: $0) == 960 })
    }

    func testBadOggIsRefusedWithTheReason() throws {
        let good = try ogg()
        func reason(_ bytes: [UInt8]) -> String {
            do {
                _ = try MediaFiles.opusPackets(ogg: bytes, name: "x.ogg")
                return "accepted"
            } catch { return error.description }
        }
        XCTAssertTrue(reason(Array(good.dropLast(3))).contains("truncated"), reason(Array(good.dropLast(3))))
        var flipped = good
        flipped[good.count - 1] ^= 0xFF
        XCTAssertTrue(reason(flipped).contains("CRC"), reason(flipped))
        let text = Array(String(repeating: "not an ogg file ", count: 4).utf8)
        XCTAssertTrue(reason(text).contains("OggS"), reason(text))
        XCTAssertTrue(reason(try ogg(milliseconds: 10)).contains("10.0 ms"), "the pump sends one packet per 20 ms")
        XCTAssertTrue(reason(Array(good.prefix(0))).contains("not Ogg Opus"))
    }

    func testSimulcastFilesMustBeThreeGrowingLayers() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mediafiles-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func write(_ bytes: [UInt8], _ name: String) throws -> String {
            let url = directory.appendingPathComponent(name)
            try Data(bytes).write(to: url)
            return url.path
        }
        let q = try write(try ivf(width: 160, height: 90), "q.ivf")
        let h = try write(try ivf(width: 320, height: 180), "h.ivf")
        let f = try write(try ivf(width: 640, height: 360), "f.ivf")
        let audio = try write(try ogg(), "a.ogg")
        let media = try EncodedMedia.load(videoFiles: [q, h, f], audioFile: audio, simulcast: true, videoBitrateKbps: 1500)
        XCTAssertEqual(media.videoLayers.map(\.rid), ["q", "h", "f"])
        XCTAssertEqual(media.videoLayers.map(\.width), [160, 320, 640])
        XCTAssertEqual(media.audio.count, 25)
        XCTAssertThrowsError(try EncodedMedia.load(videoFiles: [f, h, q], audioFile: nil, simulcast: true, videoBitrateKbps: 1500))
        XCTAssertThrowsError(try EncodedMedia.load(videoFiles: [q, h], audioFile: nil, simulcast: true, videoBitrateKbps: 1500))
        XCTAssertThrowsError(try EncodedMedia.load(videoFiles: [q, h], audioFile: nil, simulcast: false, videoBitrateKbps: 1500))
        XCTAssertThrowsError(try EncodedMedia.load(videoFiles: [directory.appendingPathComponent("missing.ivf").path], audioFile: nil,
                                                   simulcast: false, videoBitrateKbps: 1500))
        let withAudioOnly = try EncodedMedia.load(videoFiles: [], audioFile: audio, simulcast: false, videoBitrateKbps: 300)
        XCTAssertEqual(withAudioOnly.videoLayers.count, 1, "the synthetic picture, with the file's audio")
        XCTAssertEqual(withAudioOnly.audio.count, 25)
    }
}
