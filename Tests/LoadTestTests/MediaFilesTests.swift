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
    /// `timeBase` is the header's (numerator, denominator); frame i gets timestamp i * `step`.
    private func ivf(width: Int = 320, height: Int = 180, rate: UInt32 = 25, frames: Int = 10, fourcc: String = "VP80",
                     timeBase: (Int, Int)? = nil, step: Int = 1, headerSize: (Int, Int)? = nil) throws -> [UInt8] {
        let encoder = try VP8Encoder(width: width, height: height, fps: Int(rate), targetBitrateKbps: 300, keyframeInterval: 100,
                                     errorResilient: true, cpuUsed: -8)
        var seed: UInt32 = 1
        var encoded: [[UInt8]] = []
        for index in 0..<frames {
            let picture = try EncodedMedia.syntheticPicture(width: width, height: height, index: index, seed: &seed, noisyBlocks: 2)
            encoded += try encoder.encode(i420: picture, forceKeyframe: index == 0).map(\.data)
        }
        func le(_ value: Int, _ count: Int) -> [UInt8] { (0..<count).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let (numerator, denominator) = timeBase ?? (1, Int(rate))
        var out = Array("DKIF".utf8) + le(0, 2) + le(32, 2) + Array(fourcc.utf8) + le(headerSize?.0 ?? width, 2) + le(headerSize?.1 ?? height, 2)
        out += le(denominator, 4) + le(numerator, 4) + le(encoded.count, 4) + le(0, 4)
        for (index, frame) in encoded.enumerated() { out += le(frame.count, 4) + le(index * step, 8) + frame }
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
        // FFmpeg remuxing from WebM writes a 1/1000 time base with millisecond timestamps.
        let milliseconds = try MediaFiles.vp8Layer(ivf: try ivf(rate: 30, timeBase: (1, 1000), step: 33), name: "ms.ivf", rid: nil)
        XCTAssertEqual(milliseconds.frameInterval, 33_000_000)
        XCTAssertEqual(milliseconds.timestampStep, 2970)
        let thirty = try MediaFiles.vp8Layer(ivf: try ivf(rate: 30), name: "30.ivf", rid: nil)
        XCTAssertEqual(thirty.timestampStep, 3000, "rounded, not truncated: 1/30 s is 3000 ticks of 90 kHz")
        // The size is the keyframe's, whatever the header says.
        let mislabelled = try MediaFiles.vp8Layer(ivf: try ivf(headerSize: (1920, 1080)), name: "m.ivf", rid: nil)
        XCTAssertEqual([mislabelled.width, mislabelled.height], [320, 180])
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
        XCTAssertTrue(reason(zeroRate).contains("time base"), reason(zeroRate))
        XCTAssertTrue(reason(try ivf(timeBase: (1, 1000), step: 1)).contains("not between 1 and 120 fps"), "1 ms apart")
        var huge = good
        huge[32 + 3] = 0x7F // a 2 GB frame
        XCTAssertTrue(reason(huge).contains("frame of"))
        // Dropping the keyframe leaves an interframe first: the loop could not restart there.
        let firstSize = Int(good[32]) | Int(good[33]) << 8 | Int(good[34]) << 16
        let noKeyframe = Array(good.prefix(32)) + Array(good.dropFirst(32 + 12 + firstSize))
        XCTAssertTrue(reason(noKeyframe).contains("not a keyframe"))
    }

    /// An Ogg Opus file written by the recorder's writer, of `packets` packets of `milliseconds`.
    private func ogg(packets: Int = 25, milliseconds: Int = 20, bitrate: Int = 32_000) throws -> [UInt8] {
        let sink = MemorySink()
        let writer = try OggOpusWriter(sink: sink, configuration: .init(head: try OpusHead(channels: 2)))
        let encoder = try OpusEncoder(channels: 2, application: .audio, bitrate: bitrate)
        let samples = 48 * milliseconds
        var seed: UInt32 = 7
        for _ in 0..<packets {
            // Noise, so that a high bitrate really makes large packets.
            let pcm = (0..<(samples * 2)).map { _ -> Int16 in
                seed = seed &* 1_664_525 &+ 1_013_904_223
                return Int16(truncatingIfNeeded: seed >> 16)
            }
            let packet = try encoder.encode(pcm: pcm)
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
        let large = reason(try ogg(packets: 3, bitrate: 510_000))
        XCTAssertTrue(large.contains("more than one RTP packet carries"), large)
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
        func refusal(_ files: [String], simulcast: Bool) -> String {
            do {
                _ = try EncodedMedia.load(videoFiles: files, audioFile: audio, simulcast: simulcast, videoBitrateKbps: 1500)
                return "accepted"
            } catch { return "\(error)" }
        }
        XCTAssertTrue(refusal([f, h, q], simulcast: true).contains("must grow in size"), refusal([f, h, q], simulcast: true))
        XCTAssertTrue(refusal([q, h], simulcast: true).contains("three --video-file"))
        XCTAssertTrue(refusal([q, h], simulcast: false).contains("give one --video-file"))
        XCTAssertTrue(refusal([directory.appendingPathComponent("missing.ivf").path], simulcast: false).contains("cannot read"))
        let oversized = directory.appendingPathComponent("big.ivf")
        FileManager.default.createFile(atPath: oversized.path, contents: nil)
        let handle = try FileHandle(forWritingTo: oversized)
        try handle.truncate(atOffset: UInt64(MediaFiles.maxFileSize + 1))
        try handle.close()
        XCTAssertTrue(refusal([oversized.path], simulcast: false).contains("more than"), refusal([oversized.path], simulcast: false))
        let withAudioOnly = try EncodedMedia.load(videoFiles: [], audioFile: audio, simulcast: false, videoBitrateKbps: 300)
        XCTAssertEqual(withAudioOnly.videoLayers.count, 1, "the synthetic picture, with the file's audio")
        XCTAssertEqual(withAudioOnly.audio.count, 25)
    }
}
