/// Writes a WebM file (Matroska with DocType webm) that stays playable while it is written.
///
/// - The Segment and the open Cluster have "unknown" sizes (RFC 8794 section 6.2), so a
///   file cut at any element boundary (kill -9) plays up to its last complete block; bytes
///   reach the sink at least at every cluster start and whenever `flushThreshold` fills.
/// - TimestampScale is 1 ms. Clusters start at video keyframes (each gets a CuePoint), every
///   `audioClusterDuration` for audio-only files, after `maxClusterDuration`, and whenever a
///   block's timestamp relative to its cluster would leave the int16 range.
/// - SimpleBlocks carry the keyframe flag (every Opus block is a keyframe).
/// - `finalize()` appends Cues, then patches in place: Cluster and Segment sizes, Duration
///   (in a reserved Void), a SeekHead entry for the Cues and the video size from the first
///   keyframe. ``WebMRepair`` does the same for a file whose writer died.
///
/// Single owner: one recording's writer uses it; not thread-safe.
public final class WebMWriter {
    /// Settings.
    public struct Configuration: Sendable {
        /// MuxingApp and WritingApp.
        public var application: String
        /// Audio-only files: start a cluster after this many milliseconds.
        public var audioClusterDuration: Int64
        /// Any file: start a cluster after this many milliseconds without a keyframe.
        public var maxClusterDuration: Int64
        /// Hand buffered bytes to the sink once this many are pending.
        public var flushThreshold: Int

        /// Creates a configuration.
        public init(application: String = "Switchboard", audioClusterDuration: Int64 = 5_000,
                    maxClusterDuration: Int64 = 30_000, flushThreshold: Int = 256 * 1024) {
            self.application = application
            self.audioClusterDuration = max(1, min(audioClusterDuration, 32_000))
            self.maxClusterDuration = max(1, min(maxClusterDuration, 32_000))
            self.flushThreshold = max(1, flushThreshold)
        }
    }

    /// Counters for metadata and tests.
    public struct Statistics: Sendable, Equatable {
        /// Blocks written per track number.
        public var blocks: [UInt8: Int] = [:]
        /// Keyframe blocks of video tracks.
        public var videoKeyframes = 0
        /// Clusters started.
        public var clusters = 0
        /// Blocks dropped because their timestamp went backwards past a cluster start.
        public var blocksDroppedOutOfOrder = 0
    }

    public let tracks: [WebMTrack]
    public let configuration: Configuration
    /// Counters.
    public private(set) var statistics = Statistics()
    /// End of the last block (timestamp plus duration), in milliseconds.
    public private(set) var durationMilliseconds: Int64 = 0
    /// Cue points so far.
    public private(set) var cuePoints: [WebMCuePoint] = []
    /// Bytes in the file so far (written or buffered).
    public var length: Int { sink.length + buffer.count }

    private let sink: any SeekableRecordingSink
    private var buffer: [UInt8] = []
    private let segmentSizeOffset: Int
    private let segmentDataStart: Int
    private let seekHeadOffset: Int
    private let infoPosition: Int
    private let tracksPosition: Int
    private let durationOffset: Int
    private var dimensionOffsets: [UInt8: (width: Int, height: Int)] = [:]
    private var dimensionsConfirmed: Set<UInt8> = []
    private var clusterStarts: [Int] = []
    private var clusterTimestamp: Int64?
    private var clusterHasBlocks = false
    private var clusterHasVideo = false
    private var lastVideoTimestamp: [UInt8: Int64] = [:]
    private var videoFrameInterval: [UInt8: Int64] = [:]
    private let hasVideo: Bool
    private var isFinished = false

    /// Creates the writer and writes the EBML header, Segment start, SeekHead, Info and Tracks.
    /// The sink should be empty; offsets are relative to its current length.
    public init(sink: any SeekableRecordingSink, tracks: [WebMTrack], configuration: Configuration = Configuration()) throws(RecorderError) {
        guard !tracks.isEmpty else { throw .invalidArgument("a WebM file needs at least one track") }
        guard Set(tracks.map(\.number)).count == tracks.count else { throw .invalidArgument("duplicate track numbers") }
        self.sink = sink
        self.tracks = tracks
        self.configuration = configuration
        hasVideo = tracks.contains { $0.isVideo }
        let base = sink.length
        var out = WebMLayout.ebmlHeader()
        EBML.appendID(MatroskaID.segment, to: &out)
        segmentSizeOffset = base + out.count
        out += EBML.unknownSize
        segmentDataStart = base + out.count
        seekHeadOffset = base + out.count
        // Info: TimestampScale, apps, and a Void where Duration goes at finalize.
        var info: [UInt8] = []
        EBML.appendUInt(MatroskaID.timestampScale, WebMLayout.timestampScale, to: &info)
        EBML.appendString(MatroskaID.muxingApp, configuration.application, to: &info)
        EBML.appendString(MatroskaID.writingApp, configuration.application, to: &info)
        let durationInInfo = info.count
        EBML.appendVoid(totalLength: WebMLayout.durationElementSize, to: &info)
        var infoElement: [UInt8] = []
        EBML.appendID(MatroskaID.info, to: &infoElement)
        EBML.appendSize(info.count, to: &infoElement)
        let infoHeaderLength = infoElement.count
        infoElement += info
        // Positions relative to the Segment data: SeekHead region, Info, Tracks.
        let infoPosition = WebMLayout.seekHeadRegionSize
        let tracksPosition = infoPosition + infoElement.count
        out += WebMLayout.seekHeadRegion([(MatroskaID.info, infoPosition), (MatroskaID.tracks, tracksPosition)])
        durationOffset = base + out.count + infoHeaderLength + durationInInfo
        out += infoElement
        var tracksBody: [UInt8] = []
        var offsets: [UInt8: (width: Int, height: Int)] = [:]
        for track in tracks {
            var dimensions: (width: Int, height: Int)?
            track.appendEntry(to: &tracksBody, dimensionOffsets: &dimensions)
            if let dimensions { offsets[track.number] = dimensions }
        }
        EBML.appendID(MatroskaID.tracks, to: &out)
        EBML.appendSize(tracksBody.count, to: &out)
        let tracksBodyStart = base + out.count
        out += tracksBody
        for (number, (widthAt, heightAt)) in offsets {
            dimensionOffsets[number] = (tracksBodyStart + widthAt, tracksBodyStart + heightAt)
        }
        self.infoPosition = infoPosition
        self.tracksPosition = tracksPosition
        buffer = out
        buffer.reserveCapacity(configuration.flushThreshold + 64 * 1024)
        try flush()
    }

    /// Writes one frame as a SimpleBlock.
    ///
    /// - Parameters:
    ///   - track: the track number.
    ///   - frame: a complete VP8 frame or Opus packet.
    ///   - timestamp: presentation time in nanoseconds from the start of the file
    ///     (negative values are clamped to 0).
    ///   - keyframe: for video, whether the frame is a keyframe (audio blocks always are).
    ///   - duration: the frame's duration in nanoseconds if known (Opus: from the TOC), used
    ///     for the file's Duration.
    public func write(
        track number: UInt8, frame: UnsafeRawBufferPointer, timestamp: Int64, keyframe: Bool, duration: Int64? = nil
    ) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        guard let track = tracks.first(where: { $0.number == number }) else {
            throw .invalidArgument("no track \(number)")
        }
        let time = max(0, timestamp) / 1_000_000
        let isKey = track.isVideo ? keyframe : true
        if let clusterTimestamp, time < clusterTimestamp - Int64(Int16.max) {
            statistics.blocksDroppedOutOfOrder += 1
            return
        }
        if needsNewCluster(for: time, track: track, keyframe: isKey) {
            try startCluster(at: time, cueTrack: track.isVideo && isKey ? number : (hasVideo ? nil : number))
        } else if track.isVideo, isKey, !clusterHasVideo {
            cuePoints.append(WebMCuePoint(time: time, track: number, clusterPosition: clusterStarts.last! - segmentDataStart))
        }
        let relative = Int16(time - (clusterTimestamp ?? time))
        let blockSize = 4 + frame.count
        EBML.appendID(MatroskaID.simpleBlock, to: &buffer)
        EBML.appendSize(blockSize, to: &buffer)
        buffer.append(0x80 | number)
        let relativeBits = UInt16(bitPattern: relative)
        buffer.append(UInt8(truncatingIfNeeded: relativeBits >> 8))
        buffer.append(UInt8(truncatingIfNeeded: relativeBits))
        buffer.append(isKey ? 0x80 : 0x00)
        buffer.append(contentsOf: frame)
        clusterHasBlocks = true
        if track.isVideo { clusterHasVideo = true }
        statistics.blocks[number, default: 0] += 1
        if track.isVideo, isKey { statistics.videoKeyframes += 1 }

        var end = time + (duration.map { $0 / 1_000_000 } ?? 0)
        if track.isVideo, duration == nil {
            // The frame period is the shortest step seen (gaps from dropped frames are longer).
            if let last = lastVideoTimestamp[number], time > last {
                videoFrameInterval[number] = min(videoFrameInterval[number] ?? .max, time - last)
            }
            lastVideoTimestamp[number] = time
            end = time + (videoFrameInterval[number] ?? 33)
        }
        durationMilliseconds = max(durationMilliseconds, end)
        if buffer.count >= configuration.flushThreshold { try flush() }
    }

    /// Array convenience for `write(track:frame:timestamp:keyframe:duration:)`.
    public func write(track number: UInt8, frame: [UInt8], timestamp: Int64, keyframe: Bool, duration: Int64? = nil) throws(RecorderError) {
        try withBytes(frame) { bytes throws(RecorderError) in
            try write(track: number, frame: bytes, timestamp: timestamp, keyframe: keyframe, duration: duration)
        }
    }

    /// Sets the video size in the track header (from the first keyframe; the header is only
    /// a hint, decoders follow the bitstream). Later calls for the same track are ignored.
    public func setVideoDimensions(track number: UInt8, width: Int, height: Int) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        guard let offsets = dimensionOffsets[number], !dimensionsConfirmed.contains(number),
              (1...16_383).contains(width), (1...16_383).contains(height)
        else { return }
        dimensionsConfirmed.insert(number)
        try patch([UInt8(width >> 8), UInt8(width & 0xFF)], at: offsets.width)
        try patch([UInt8(height >> 8), UInt8(height & 0xFF)], at: offsets.height)
    }

    /// Hands buffered bytes to the sink (they then survive a crash of this process).
    public func flush() throws(RecorderError) {
        guard !buffer.isEmpty else { return }
        try withBytes(buffer) { bytes throws(RecorderError) in try sink.append(bytes) }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Writes Cues, fixes sizes, Duration and the SeekHead, and syncs the sink.
    @discardableResult
    public func finalize() throws(RecorderError) -> Int64 {
        guard !isFinished else { throw .finished }
        isFinished = true
        try flush()
        let clustersEnd = sink.length
        var seekTargets = [(id: MatroskaID.info, position: infoPosition), (id: MatroskaID.tracks, position: tracksPosition)]
        if !cuePoints.isEmpty {
            seekTargets.append((MatroskaID.cues, clustersEnd - segmentDataStart))
            buffer = WebMLayout.cues(cuePoints)
            try flush()
        }
        try WebMFixup.patchClusterSizes(clusterStarts, end: clustersEnd, in: sink)
        try sink.overwrite(EBML.size8(sink.length - segmentDataStart), at: segmentSizeOffset)
        try sink.overwrite(WebMLayout.seekHeadRegion(seekTargets), at: seekHeadOffset)
        if durationMilliseconds > 0 {
            try sink.overwrite(WebMLayout.durationElement(milliseconds: Double(durationMilliseconds)), at: durationOffset)
        }
        try sink.sync()
        return durationMilliseconds
    }

    private func needsNewCluster(for time: Int64, track: WebMTrack, keyframe: Bool) -> Bool {
        guard let clusterTimestamp, clusterHasBlocks else { return clusterTimestamp == nil }
        let relative = time - clusterTimestamp
        if relative > Int64(Int16.max) { return true }
        if track.isVideo, keyframe {
            // A keyframe opens a cluster, unless the current one only holds the audio just
            // before it (then the keyframe joins it and becomes its cue point).
            return clusterHasVideo || relative >= 1_000
        }
        if !clusterHasVideo, relative >= configuration.audioClusterDuration { return true }
        return relative >= configuration.maxClusterDuration
    }

    private func startCluster(at time: Int64, cueTrack: UInt8?) throws(RecorderError) {
        // Everything before this cluster reaches the sink: a crash now leaves whole clusters.
        try flush()
        let start = length
        clusterStarts.append(start)
        EBML.appendID(MatroskaID.cluster, to: &buffer)
        buffer += EBML.unknownSize
        EBML.appendUInt(MatroskaID.timestamp, UInt64(time), to: &buffer)
        clusterTimestamp = time
        clusterHasBlocks = false
        clusterHasVideo = false
        statistics.clusters += 1
        if let cueTrack {
            cuePoints.append(WebMCuePoint(time: time, track: cueTrack, clusterPosition: start - segmentDataStart))
        }
    }

    private func patch(_ bytes: [UInt8], at offset: Int) throws(RecorderError) {
        if offset >= sink.length {
            buffer.replaceSubrange((offset - sink.length)..<(offset - sink.length + bytes.count), with: bytes)
        } else {
            try sink.overwrite(bytes, at: offset)
        }
    }
}

/// In-place fix-ups shared by finalization and repair.
enum WebMFixup {
    /// Writes the known size of each cluster (8-octet size fields, as the writer makes them):
    /// a cluster runs to the next one, the last to `end`.
    static func patchClusterSizes(_ starts: [Int], end: Int, in sink: any SeekableRecordingSink) throws(RecorderError) {
        for (index, start) in starts.enumerated() {
            let next = index + 1 < starts.count ? starts[index + 1] : end
            let dataStart = start + 4 + 8
            try sink.overwrite(EBML.size8(next - dataStart), at: start + 4)
        }
    }
}
