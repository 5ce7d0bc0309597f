/// A track of a WebM recording: VP8 video or Opus audio (the WebM codec mappings of
/// Matroska, RFC 9559 and the Matroska codec registry: `V_VP8`, `A_OPUS`).
public struct WebMTrack: Sendable, Equatable {
    /// Codec and its parameters.
    public enum Codec: Sendable, Equatable {
        /// VP8 with the display size written in the track header (the bitstream's own
        /// keyframe headers govern decoding, so resolution changes need no new track).
        case vp8(width: Int, height: Int)
        /// Opus: CodecPrivate is the OpusHead, CodecDelay its pre-skip.
        case opus(OpusHead)
    }

    /// TrackNumber, 1...126 (one-octet VINT in SimpleBlocks).
    public var number: UInt8
    /// TrackUID (non-zero).
    public var uid: UInt64
    /// The codec.
    public var codec: Codec

    /// Creates a track. Throws `.invalidArgument` for a number outside 1...126, a zero uid or
    /// video dimensions outside 1...16383.
    public init(number: UInt8, uid: UInt64? = nil, codec: Codec) throws(RecorderError) {
        guard (1...126).contains(number) else { throw .invalidArgument("track number \(number) outside 1...126") }
        if case .vp8(let width, let height) = codec {
            guard (1...16_383).contains(width), (1...16_383).contains(height) else {
                throw .invalidArgument("VP8 dimensions \(width)x\(height) outside 1...16383")
            }
        }
        let uid = uid ?? UInt64(number)
        guard uid != 0 else { throw .invalidArgument("TrackUID must not be 0") }
        self.number = number
        self.uid = uid
        self.codec = codec
    }

    /// Whether this is the video track.
    public var isVideo: Bool {
        if case .vp8 = codec { return true }
        return false
    }

    /// Seek pre-roll for Opus: 80 ms, as the WebM Opus mapping recommends.
    public static let opusSeekPreRoll: UInt64 = 80_000_000

    /// Appends the TrackEntry. Video dimensions are written as 2-octet values so they can be
    /// patched in place; `dimensionOffsets` receives the offsets of their payloads relative to
    /// the start of `out` as it was when this was called.
    func appendEntry(to out: inout [UInt8], dimensionOffsets: inout (width: Int, height: Int)?) {
        var entry: [UInt8] = []
        EBML.appendUInt(MatroskaID.trackNumber, UInt64(number), to: &entry)
        EBML.appendUInt(MatroskaID.trackUID, uid, to: &entry)
        EBML.appendUInt(MatroskaID.flagLacing, 0, to: &entry)
        var videoOffsets: (Int, Int)?
        switch codec {
        case .vp8(let width, let height):
            EBML.appendUInt(MatroskaID.trackType, 1, to: &entry)
            EBML.appendString(MatroskaID.codecID, "V_VP8", to: &entry)
            var video: [UInt8] = []
            EBML.appendUInt(MatroskaID.pixelWidth, UInt64(width), width: 2, to: &video)
            let widthAt = video.count - 2
            EBML.appendUInt(MatroskaID.pixelHeight, UInt64(height), width: 2, to: &video)
            let heightAt = video.count - 2
            EBML.appendID(MatroskaID.video, to: &entry)
            EBML.appendSize(video.count, to: &entry)
            videoOffsets = (entry.count + widthAt, entry.count + heightAt)
            entry += video
        case .opus(let head):
            EBML.appendUInt(MatroskaID.trackType, 2, to: &entry)
            EBML.appendString(MatroskaID.codecID, "A_OPUS", to: &entry)
            EBML.appendBinary(MatroskaID.codecPrivate, head.serialized(), to: &entry)
            EBML.appendUInt(MatroskaID.codecDelay, UInt64(head.preSkip) * 1_000_000_000 / 48_000, to: &entry)
            EBML.appendUInt(MatroskaID.seekPreRoll, Self.opusSeekPreRoll, to: &entry)
            EBML.appendMaster(MatroskaID.audio, to: &entry) { audio in
                EBML.appendFloat(MatroskaID.samplingFrequency, 48_000, to: &audio)
                EBML.appendUInt(MatroskaID.channels, UInt64(head.channels), to: &audio)
            }
        }
        EBML.appendID(MatroskaID.trackEntry, to: &out)
        EBML.appendSize(entry.count, to: &out)
        if let (widthAt, heightAt) = videoOffsets { dimensionOffsets = (out.count + widthAt, out.count + heightAt) }
        out += entry
    }
}
