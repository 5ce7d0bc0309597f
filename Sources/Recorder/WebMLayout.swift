/// The fixed layout the WebM writer uses so that finalization and repair can patch a file in
/// place, and the pieces both of them build.
///
///     EBML header
///     Segment (8-octet size; unknown while recording)
///       SeekHead (Info, Tracks) + Void     <- 68 octets, rewritten with a Cues entry
///       Info (TimestampScale 1 ms, MuxingApp, WritingApp, Void(11))  <- Void becomes Duration
///       Tracks
///       Cluster (8-octet size; unknown while open) ...
///       Cues                                <- appended at finalize
enum WebMLayout {
    /// Size of one Seek entry with a 4-octet SeekID and an 8-octet SeekPosition.
    static let seekEntrySize = 21
    /// Size of the SeekHead region: a SeekHead with three entries (Info, Tracks, Cues).
    static let seekHeadRegionSize = 4 + 1 + 3 * seekEntrySize
    /// Size of the Duration element (2-octet ID, 1-octet size, 8-octet float) and of the
    /// Void that reserves its place.
    static let durationElementSize = 11
    /// Timestamps are in milliseconds (TimestampScale 1 000 000 ns).
    static let timestampScale: UInt64 = 1_000_000

    /// The EBML header for DocType webm (version 4: CodecDelay and SeekPreRoll need it).
    static func ebmlHeader() -> [UInt8] {
        var out: [UInt8] = []
        EBML.appendMaster(MatroskaID.ebml, to: &out) { header in
            EBML.appendUInt(MatroskaID.ebmlVersion, 1, to: &header)
            EBML.appendUInt(MatroskaID.ebmlReadVersion, 1, to: &header)
            EBML.appendUInt(MatroskaID.ebmlMaxIDLength, 4, to: &header)
            EBML.appendUInt(MatroskaID.ebmlMaxSizeLength, 8, to: &header)
            EBML.appendString(MatroskaID.docType, "webm", to: &header)
            EBML.appendUInt(MatroskaID.docTypeVersion, 4, to: &header)
            EBML.appendUInt(MatroskaID.docTypeReadVersion, 2, to: &header)
        }
        return out
    }

    /// The SeekHead region: entries for `targets` (ID, position relative to the Segment
    /// data), padded with a Void to `seekHeadRegionSize`.
    static func seekHeadRegion(_ targets: [(id: UInt32, position: Int)]) -> [UInt8] {
        var entries: [UInt8] = []
        for (id, position) in targets {
            EBML.appendID(MatroskaID.seek, to: &entries)
            EBML.appendSize(seekEntrySize - 3, to: &entries)
            EBML.appendBinary(MatroskaID.seekID, [UInt8(id >> 24), UInt8(truncatingIfNeeded: id >> 16),
                                                  UInt8(truncatingIfNeeded: id >> 8), UInt8(truncatingIfNeeded: id)],
                              to: &entries)
            EBML.appendUInt(MatroskaID.seekPosition, UInt64(position), width: 8, to: &entries)
        }
        var out: [UInt8] = []
        EBML.appendID(MatroskaID.seekHead, to: &out)
        EBML.appendSize(entries.count, width: 1, to: &out)
        out += entries
        if out.count < seekHeadRegionSize { EBML.appendVoid(totalLength: seekHeadRegionSize - out.count, to: &out) }
        return out
    }

    /// The Duration element (milliseconds).
    static func durationElement(milliseconds: Double) -> [UInt8] {
        var out: [UInt8] = []
        EBML.appendFloat(MatroskaID.duration, milliseconds, to: &out)
        return out
    }

    /// The Cues element for `points`, positions relative to the Segment data.
    static func cues(_ points: [WebMCuePoint]) -> [UInt8] {
        var out: [UInt8] = []
        EBML.appendMaster(MatroskaID.cues, to: &out) { cues in
            for point in points {
                EBML.appendMaster(MatroskaID.cuePoint, to: &cues) { cuePoint in
                    EBML.appendUInt(MatroskaID.cueTime, UInt64(max(0, point.time)), to: &cuePoint)
                    EBML.appendMaster(MatroskaID.cueTrackPositions, to: &cuePoint) { positions in
                        EBML.appendUInt(MatroskaID.cueTrack, UInt64(point.track), to: &positions)
                        EBML.appendUInt(MatroskaID.cueClusterPosition, UInt64(point.clusterPosition), to: &positions)
                    }
                }
            }
        }
        return out
    }
}

/// One seek point: a cluster that starts with a keyframe of `track` at `time` (ms).
public struct WebMCuePoint: Sendable, Equatable {
    /// Timestamp in milliseconds.
    public var time: Int64
    /// Track number.
    public var track: UInt8
    /// Cluster position relative to the Segment data start.
    public var clusterPosition: Int
}
