import Foundation
import PayloadFormats
import Recorder

/// Pre-encoded media the load generator can publish instead of what it encodes itself: VP8 in
/// IVF (what vpxenc and `ffmpeg -f ivf` write) and Opus in Ogg (RFC 7845, what opusenc and
/// `ffmpeg -f ogg` write). Files are read whole (at most `maxFileSize`) and checked before the
/// run starts, so a bad file is one clear error, never a broken stream mid-run.
enum MediaFileError: Error, CustomStringConvertible, Equatable {
    case unreadable(String)
    case invalid(String)

    var description: String {
        switch self {
        case .unreadable(let m): return m
        case .invalid(let m): return m
        }
    }
}

enum MediaFiles {
    /// A loop is a few seconds of media: anything above this is refused, not read into memory.
    static let maxFileSize = 64 << 20
    /// Above any VP8 frame a camera makes (a 4K keyframe is well under 1 MB).
    static let maxFrameSize = 4 << 20

    static func read(_ path: String) throws(MediaFileError) -> [UInt8] {
        let attributes = try? FileManager.default.attributesOfItem(atPath: path)
        guard let size = attributes?[.size] as? Int else { throw .unreadable("\(path): cannot read") }
        guard size <= maxFileSize else { throw .invalid("\(path): \(size) bytes, more than \(maxFileSize) (a loop is a few seconds)") }
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable("\(path): cannot read") }
        return [UInt8](data)
    }

    // MARK: IVF

    /// The frames of a VP8 IVF file (32-byte header "DKIF", then per frame a 12-byte header:
    /// 32-bit size, 64-bit timestamp, all little-endian). The loop must start with a keyframe.
    static func vp8Layer(ivf bytes: [UInt8], name: String, rid: String?) throws(MediaFileError) -> EncodedMedia.VideoLayer {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 32, bytes[0..<4].elementsEqual("DKIF".utf8) else { throw .invalid("\(name): not an IVF file (no DKIF signature)") }
        guard bytes[8..<12].elementsEqual("VP80".utf8) else {
            throw .invalid("\(name): codec \(String(decoding: bytes[8..<12], as: UTF8.self)), only VP80 is forwarded")
        }
        let headerLength = u16(6), width = u16(12), height = u16(14), rate = u32(16), scale = u32(20)
        guard headerLength >= 32, headerLength <= bytes.count else { throw .invalid("\(name): bad IVF header length \(headerLength)") }
        guard rate > 0, scale > 0, rate / scale <= 120, Double(rate) / Double(scale) >= 1 else {
            throw .invalid("\(name): frame rate \(rate)/\(scale) is not between 1 and 120 fps")
        }
        var frames: [EncodedMedia.Frame] = []
        var offset = headerLength
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw .invalid("\(name): truncated frame header at byte \(offset)") }
            let size = u32(offset)
            guard size > 0, size <= maxFrameSize else { throw .invalid("\(name): frame of \(size) bytes at byte \(offset)") }
            guard offset + 12 + size <= bytes.count else { throw .invalid("\(name): truncated frame at byte \(offset)") }
            let frame = Array(bytes[(offset + 12)..<(offset + 12 + size)])
            let isKeyframe = frame.withUnsafeBytes { (try? VP8PayloadHeader(parsing: $0))?.isKeyframe } ?? false
            frames.append(EncodedMedia.Frame(payloads: EncodedMedia.packetizeVP8(frame), isKeyframe: isKeyframe))
            offset += 12 + size
        }
        guard let first = frames.first else { throw .invalid("\(name): no frames") }
        guard first.isKeyframe else { throw .invalid("\(name): the first frame is not a keyframe (the loop restarts there)") }
        return EncodedMedia.VideoLayer(rid: rid, width: width, height: height, frames: frames,
                                       frameInterval: Int64(1_000_000_000) * Int64(scale) / Int64(rate))
    }

    // MARK: Ogg Opus

    /// The audio packets of an Ogg Opus file (RFC 3533 pages, each CRC checked by the recorder's
    /// `OggReader`; RFC 7845 §3: an OpusHead packet, then OpusTags, then audio). Every packet must
    /// be 20 ms: the load generator sends one every 20 ms.
    static func opusPackets(ogg bytes: [UInt8], name: String) throws(MediaFileError) -> [[UInt8]] {
        let reader = OggReader(bytes)
        let (pages, validLength) = reader.pages()
        if validLength < bytes.count {
            do { _ = try reader.page(at: validLength) } catch {
                if case .malformedContainer(let reason) = error { throw .invalid("\(name): \(reason)") }
                throw .invalid("\(name): \(error)")
            }
        }
        guard Set(pages.map(\.serial)).count <= 1 else { throw .invalid("\(name): more than one logical stream") }
        let packets = reader.packets().map(\.packet)
        guard packets.count >= 2, packets[0].starts(with: Array("OpusHead".utf8)), packets[1].starts(with: Array("OpusTags".utf8)) else {
            throw .invalid("\(name): not Ogg Opus (no OpusHead and OpusTags packets)")
        }
        let audio = Array(packets.dropFirst(2))
        guard !audio.isEmpty else { throw .invalid("\(name): no audio packets") }
        for (index, packet) in audio.enumerated() {
            guard let duration = OpusTOC.packetDuration(of: packet) else { throw .invalid("\(name): audio packet \(index) is not valid Opus") }
            guard duration == 960 else {
                throw .invalid("\(name): audio packet \(index) is \(Double(duration) / 48) ms; the load generator sends 20 ms packets")
            }
        }
        return audio
    }
}
