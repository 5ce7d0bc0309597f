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

    /// The file's bytes, at most `maxFileSize` of them: read through a handle, not by size, so a
    /// FIFO or a device cannot make us read without end.
    static func read(_ path: String) throws(MediaFileError) -> [UInt8] {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw .unreadable("\(path): cannot read") }
        defer { try? handle.close() }
        let data: Data?
        do { data = try handle.read(upToCount: maxFileSize + 1) } catch { throw .unreadable("\(path): \(error.localizedDescription)") }
        let bytes = [UInt8](data ?? Data())
        guard bytes.count <= maxFileSize else { throw .invalid("\(path): more than \(maxFileSize) bytes (a loop is a few seconds)") }
        return bytes
    }

    // MARK: IVF

    /// The frames of a VP8 IVF file (32-byte header "DKIF", then per frame a 12-byte header:
    /// 32-bit size, 64-bit timestamp, all little-endian). The loop must start with a keyframe.
    /// The frame interval is the median timestamp step in the header's time base (bytes 16-23:
    /// denominator, numerator; FFmpeg writes its stream time base there, e.g. 1/30 or 1/1000);
    /// the size is the first keyframe's.
    static func vp8Layer(ivf bytes: [UInt8], name: String, rid: String?) throws(MediaFileError) -> EncodedMedia.VideoLayer {
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        guard bytes.count >= 32, bytes[0..<4].elementsEqual("DKIF".utf8) else { throw .invalid("\(name): not an IVF file (no DKIF signature)") }
        guard bytes[8..<12].elementsEqual("VP80".utf8) else {
            throw .invalid("\(name): codec \(String(decoding: bytes[8..<12], as: UTF8.self)), only VP80 is forwarded")
        }
        let headerLength = u16(6), denominator = u32(16), numerator = u32(20)
        guard headerLength >= 32, headerLength <= bytes.count else { throw .invalid("\(name): bad IVF header length \(headerLength)") }
        guard denominator > 0, numerator > 0 else { throw .invalid("\(name): time base \(numerator)/\(denominator)") }
        var frames: [EncodedMedia.Frame] = []
        var timestamps: [Int64] = []
        var size: VP8KeyframeDimensions?
        var offset = headerLength
        while offset < bytes.count {
            guard offset + 12 <= bytes.count else { throw .invalid("\(name): truncated frame header at byte \(offset)") }
            let length = u32(offset)
            guard length > 0, length <= maxFrameSize else { throw .invalid("\(name): frame of \(length) bytes at byte \(offset)") }
            guard offset + 12 + length <= bytes.count else { throw .invalid("\(name): truncated frame at byte \(offset)") }
            timestamps.append(Int64(u32(offset + 4)) | Int64(u32(offset + 8)) << 32)
            let frame = Array(bytes[(offset + 12)..<(offset + 12 + length)])
            let isKeyframe = frame.withUnsafeBytes { (try? VP8PayloadHeader(parsing: $0))?.isKeyframe } ?? false
            if isKeyframe && size == nil { size = frame.withUnsafeBytes { try? VP8KeyframeDimensions(parsingFrame: $0) } }
            frames.append(EncodedMedia.Frame(payloads: EncodedMedia.packetizeVP8(frame), isKeyframe: isKeyframe))
            offset += 12 + length
        }
        guard let first = frames.first else { throw .invalid("\(name): no frames") }
        guard first.isKeyframe, let size else { throw .invalid("\(name): the first frame is not a keyframe (the loop restarts there)") }
        let steps = zip(timestamps, timestamps.dropFirst()).map { $1 - $0 }.filter { $0 > 0 }.sorted()
        let step = steps.isEmpty ? 1 : steps[steps.count / 2]
        let interval = Double(step) * Double(numerator) / Double(denominator)
        guard interval >= 1.0 / 120, interval <= 1 else {
            throw .invalid("\(name): frames \(step) x \(numerator)/\(denominator) s apart, not between 1 and 120 fps")
        }
        return EncodedMedia.VideoLayer(rid: rid, width: size.width, height: size.height, frames: frames,
                                       frameInterval: Int64((interval * 1e9).rounded()))
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
            guard packet.count <= EncodedMedia.maxPayload else {
                throw .invalid("\(name): audio packet \(index) has \(packet.count) bytes, more than one RTP packet carries (\(EncodedMedia.maxPayload))")
            }
            guard let duration = OpusTOC.packetDuration(of: packet) else { throw .invalid("\(name): audio packet \(index) is not valid Opus") }
            guard duration == 960 else {
                throw .invalid("\(name): audio packet \(index) is \(Double(duration) / 48) ms; the load generator sends 20 ms packets")
            }
        }
        return audio
    }
}
