/// Finalizes a WebM file whose writer died (kill -9, power loss): scans the clusters, cuts a
/// torn last element, then fixes sizes, rebuilds Cues and Duration and the SeekHead entry the
/// way ``WebMWriter/finalize()`` would have. Used at server start for recordings left
/// unfinished, which are then marked `recovered`.
public enum WebMRepair {
    /// What a repair found and did.
    public struct Result: Sendable, Equatable {
        /// Clusters kept.
        public var clusters: Int
        /// Blocks (frames) kept.
        public var blocks: Int
        /// Playable duration in milliseconds.
        public var durationMilliseconds: Int64
        /// Bytes cut from the end (a torn element or empty cluster).
        public var truncatedBytes: Int
        /// Cue points written.
        public var cuePoints: Int
        /// The file was already finalized; nothing was changed.
        public var wasComplete: Bool
    }

    /// Repairs the file at `path` in place.
    public static func repair(path: String) throws(RecorderError) -> Result {
        let sink = try FileSink(path: path, mode: .update)
        defer { try? sink.close() }
        return try repair(sink: sink)
    }

    /// Repairs the WebM data in `sink` in place.
    public static func repair(sink: any SeekableRecordingSink) throws(RecorderError) -> Result {
        var reader = WindowedReader(sink: sink)
        let total = sink.length
        guard let ebml = try reader.header(at: 0), ebml.id == MatroskaID.ebml, let ebmlSize = ebml.size else {
            throw .malformedContainer("no EBML header")
        }
        guard let segment = try reader.header(at: ebml.dataOffset + ebmlSize), segment.id == MatroskaID.segment else {
            throw .malformedContainer("no Segment")
        }
        let dataStart = segment.dataOffset
        let scan = try scanLevelOne(&reader, from: dataStart, total: total)
        let clusters = scan.clusters.filter { $0.blocks > 0 }
        let duration = clusters.reduce(Int64(0)) { max($0, $1.endTime) }
        if let size = segment.size, dataStart + size == total, scan.hasCues {
            // Finalized by the writer: nothing to do.
            return Result(clusters: clusters.count, blocks: clusters.reduce(0) { $0 + $1.blocks },
                          durationMilliseconds: duration, truncatedBytes: 0, cuePoints: 0, wasComplete: true)
        }
        // Cut after the last complete cluster content (a torn block or an empty cluster goes).
        let validEnd = clusters.last?.end ?? scan.headersEnd
        guard validEnd >= scan.headersEnd else { throw .malformedContainer("headers incomplete") }
        let truncated = total - validEnd
        if truncated > 0 { try sink.truncate(to: validEnd) }

        for cluster in clusters where cluster.sizeLength == 8 {
            try sink.overwrite(EBML.size8(cluster.end - cluster.dataStart), at: cluster.offset + 4)
        }
        var cuePoints: [WebMCuePoint] = []
        let videoTracks = scan.videoTracks
        for cluster in clusters {
            if videoTracks.isEmpty {
                if let first = cluster.firstBlock {
                    cuePoints.append(WebMCuePoint(time: first.time, track: first.track, clusterPosition: cluster.offset - dataStart))
                }
            } else if let video = cluster.firstVideoBlock, video.keyframe {
                cuePoints.append(WebMCuePoint(time: video.time, track: video.track, clusterPosition: cluster.offset - dataStart))
            }
        }
        var seekTargets: [(id: UInt32, position: Int)] = []
        if let info = scan.infoOffset { seekTargets.append((MatroskaID.info, info - dataStart)) }
        if let tracks = scan.tracksOffset { seekTargets.append((MatroskaID.tracks, tracks - dataStart)) }
        if !cuePoints.isEmpty {
            seekTargets.append((MatroskaID.cues, sink.length - dataStart))
            try sink.append(WebMLayout.cues(cuePoints))
        }
        if segment.sizeLength == 8 {
            try sink.overwrite(EBML.size8(sink.length - dataStart), at: segment.offset + 4)
        }
        if let region = scan.seekHeadRegion, region.length == WebMLayout.seekHeadRegionSize, seekTargets.count <= 3 {
            try sink.overwrite(WebMLayout.seekHeadRegion(seekTargets), at: region.offset)
        }
        if duration > 0, let slot = scan.durationSlot {
            try sink.overwrite(WebMLayout.durationElement(milliseconds: Double(duration)), at: slot)
        }
        try sink.sync()
        return Result(clusters: clusters.count, blocks: clusters.reduce(0) { $0 + $1.blocks },
                      durationMilliseconds: duration, truncatedBytes: truncated, cuePoints: cuePoints.count,
                      wasComplete: false)
    }

    struct BlockInfo {
        var track: UInt8
        var time: Int64
        var keyframe: Bool
    }

    struct ClusterScan {
        var offset: Int
        var sizeLength: Int
        var dataStart: Int
        var end: Int
        var blocks = 0
        var firstBlock: BlockInfo?
        var firstVideoBlock: BlockInfo?
        var endTime: Int64 = 0
    }

    struct LevelOneScan {
        var clusters: [ClusterScan] = []
        var infoOffset: Int?
        var tracksOffset: Int?
        var seekHeadRegion: (offset: Int, length: Int)?
        var durationSlot: Int?
        var timestampScale: Int64 = 1_000_000
        var videoTracks: Set<UInt8> = []
        var hasCues = false
        /// End of the last level-1 element before the first cluster.
        var headersEnd = 0
    }

    private static func scanLevelOne(_ reader: inout WindowedReader, from dataStart: Int, total: Int) throws(RecorderError) -> LevelOneScan {
        var scan = LevelOneScan()
        var offset = dataStart
        var lastEnd: [UInt8: (time: Int64, interval: Int64?)] = [:]
        scan.headersEnd = dataStart
        while offset < total, let header = try reader.header(at: offset) {
            switch header.id {
            case MatroskaID.cluster:
                var cluster = try scanCluster(&reader, header: header, total: total, scale: scan.timestampScale,
                                              videoTracks: scan.videoTracks, lastEnd: &lastEnd)
                if cluster.blocks == 0 { return scan }
                // A block lasts until the next of its track; the last one a frame period (20 ms if unknown).
                cluster.endTime = lastEnd.values.reduce(Int64(0)) { max($0, $1.time + ($1.interval ?? 20)) }
                scan.clusters.append(cluster)
                offset = cluster.end
                if let size = header.size, cluster.end != header.dataOffset + size { return scan }  // torn
                continue
            case MatroskaID.cues:
                scan.hasCues = true
                return scan
            default:
                break
            }
            // Any other level-1 element must be complete.
            guard let size = header.size, header.dataOffset + size <= total else { return scan }
            let end = header.dataOffset + size
            switch header.id {
            case MatroskaID.seekHead:
                scan.seekHeadRegion = (header.offset, end - header.offset)
            case MatroskaID.void:
                if let region = scan.seekHeadRegion, region.offset + region.length == header.offset {
                    scan.seekHeadRegion = (region.offset, end - region.offset)
                }
            case MatroskaID.info:
                scan.infoOffset = header.offset
                try scanInfo(&reader, from: header.dataOffset, to: end, into: &scan)
            case MatroskaID.tracks:
                scan.tracksOffset = header.offset
                try scanTracks(&reader, from: header.dataOffset, to: end, into: &scan)
            default:
                break
            }
            offset = end
            if scan.clusters.isEmpty { scan.headersEnd = end }
        }
        return scan
    }

    private static func scanInfo(_ reader: inout WindowedReader, from start: Int, to end: Int, into scan: inout LevelOneScan) throws(RecorderError) {
        var offset = start
        while offset < end, let child = try reader.header(at: offset), let size = child.size {
            switch child.id {
            case MatroskaID.timestampScale:
                let bytes = try reader.bytes(at: child.dataOffset, count: size)
                scan.timestampScale = Int64(max(1, EBMLReader.uint(bytes, at: 0, length: size)))
            case MatroskaID.void where child.headerLength + size == WebMLayout.durationElementSize:
                scan.durationSlot = child.offset
            case MatroskaID.duration where size == 8:
                scan.durationSlot = child.offset
            default:
                break
            }
            offset = child.dataOffset + size
        }
    }

    private static func scanTracks(_ reader: inout WindowedReader, from start: Int, to end: Int, into scan: inout LevelOneScan) throws(RecorderError) {
        var offset = start
        while offset < end, let entry = try reader.header(at: offset), let size = entry.size {
            if entry.id == MatroskaID.trackEntry {
                var number: UInt8?
                var type: UInt64?
                var child = entry.dataOffset
                while child < entry.dataOffset + size, let element = try reader.header(at: child), let childSize = element.size {
                    if element.id == MatroskaID.trackNumber || element.id == MatroskaID.trackType {
                        let bytes = try reader.bytes(at: element.dataOffset, count: childSize)
                        let value = EBMLReader.uint(bytes, at: 0, length: childSize)
                        if element.id == MatroskaID.trackNumber { number = UInt8(truncatingIfNeeded: value) } else { type = value }
                    }
                    child = element.dataOffset + childSize
                }
                if let number, type == 1 { scan.videoTracks.insert(number) }
            }
            offset = entry.dataOffset + size
        }
    }

    private static func scanCluster(
        _ reader: inout WindowedReader, header: EBMLElementHeader, total: Int, scale: Int64,
        videoTracks: Set<UInt8>, lastEnd: inout [UInt8: (time: Int64, interval: Int64?)]
    ) throws(RecorderError) -> ClusterScan {
        let limit = min(total, header.size.map { header.dataOffset + $0 } ?? total)
        var cluster = ClusterScan(offset: header.offset, sizeLength: header.sizeLength,
                                  dataStart: header.dataOffset, end: header.dataOffset)
        var timestamp: Int64?
        var offset = header.dataOffset
        while offset < limit, let child = try reader.header(at: offset) {
            if MatroskaID.topLevel.contains(child.id) || child.id == MatroskaID.ebml { break }
            guard let size = child.size, child.dataOffset + size <= limit else { break }
            switch child.id {
            case MatroskaID.timestamp:
                let bytes = try reader.bytes(at: child.dataOffset, count: size)
                timestamp = Int64(EBMLReader.uint(bytes, at: 0, length: size))
            case MatroskaID.simpleBlock, MatroskaID.blockGroup:
                guard let clusterTime = timestamp else { return cluster }
                var blockStart = child.dataOffset
                var blockSize = size
                if child.id == MatroskaID.blockGroup {
                    // Find the Block inside.
                    var inner = child.dataOffset
                    var found = false
                    while inner < child.dataOffset + size, let element = try reader.header(at: inner), let elementSize = element.size {
                        if element.id == MatroskaID.block {
                            blockStart = element.dataOffset
                            blockSize = elementSize
                            found = true
                            break
                        }
                        inner = element.dataOffset + elementSize
                    }
                    guard found else { break }
                }
                let head = try reader.bytes(at: blockStart, count: min(blockSize, 12))
                guard let (trackValue, length) = head.withUnsafeBytes({ EBMLReader.vint($0, at: 0) }),
                      head.count >= length + 3 else { return cluster }
                let track = UInt8(truncatingIfNeeded: trackValue)
                let relative = Int16(bitPattern: UInt16(head[length]) << 8 | UInt16(head[length + 1]))
                let keyframe = child.id == MatroskaID.blockGroup || head[length + 2] & 0x80 != 0
                let time = (clusterTime + Int64(relative)) * scale / 1_000_000
                let block = BlockInfo(track: track, time: time, keyframe: keyframe)
                if cluster.firstBlock == nil { cluster.firstBlock = block }
                if cluster.firstVideoBlock == nil, videoTracks.contains(track) { cluster.firstVideoBlock = block }
                let previous = lastEnd[track]
                var interval = previous?.interval
                if let previous, time > previous.time { interval = min(previous.interval ?? .max, time - previous.time) }
                lastEnd[track] = (time, interval)
                cluster.blocks += 1
            default:
                break
            }
            offset = child.dataOffset + size
            cluster.end = offset
        }
        return cluster
    }
}

/// Reads a seekable sink through a cached window, for scanning large files element by element.
struct WindowedReader {
    let sink: any SeekableRecordingSink
    private var window: [UInt8] = []
    private var windowStart = 0
    static let windowSize = 1 << 20

    init(sink: any SeekableRecordingSink) {
        self.sink = sink
    }

    mutating func bytes(at offset: Int, count: Int) throws(RecorderError) -> [UInt8] {
        if offset >= windowStart, offset + count <= windowStart + window.count {
            return Array(window[(offset - windowStart)..<(offset - windowStart + count)])
        }
        if count > Self.windowSize / 2 { return try sink.read(at: offset, count: count) }
        window = try sink.read(at: offset, count: Self.windowSize)
        windowStart = offset
        return Array(window[0..<min(count, window.count)])
    }

    mutating func header(at offset: Int) throws(RecorderError) -> EBMLElementHeader? {
        let bytes = try bytes(at: offset, count: 12)
        guard var header = EBMLReader.header(in: bytes, at: 0) else { return nil }
        header.offset = offset
        return header
    }
}
