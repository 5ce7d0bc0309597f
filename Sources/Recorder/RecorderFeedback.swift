/// What a recording asks of the forwarding side after ingesting packets: RTCP feedback to
/// send to the publisher (RFC 4585). Collected by `takeFeedback()`.
public struct RecorderFeedback: Sendable, Equatable {
    /// Send a PLI (the video assembler waits for a keyframe: at start or after loss).
    public var keyframeRequested = false
    /// Sequence numbers to NACK (missing, still waited for), per SSRC.
    public var nacks: [UInt32: [UInt16]] = [:]

    /// Creates empty feedback.
    public init(keyframeRequested: Bool = false, nacks: [UInt32: [UInt16]] = [:]) {
        self.keyframeRequested = keyframeRequested
        self.nacks = nacks
    }

    /// Nothing to send.
    public var isEmpty: Bool { !keyframeRequested && nacks.isEmpty }
}

/// Kinds of media a recorder track carries (the codecs WebRTC publishers use in this SFU).
public enum RecorderCodec: Sendable, Equatable {
    /// Opus, 48 kHz RTP clock (RFC 7587).
    case opus
    /// VP8, 90 kHz RTP clock (RFC 7741).
    case vp8

    /// The RTP clock rate.
    public var clockRate: Int {
        switch self {
        case .opus: 48_000
        case .vp8: 90_000
        }
    }
}

/// Per-track counters of a recording, for metadata, logs and tests.
public struct TrackRecordingStatistics: Sendable, Equatable {
    /// RTP packets accepted.
    public var packets = 0
    /// RTP packets rejected as malformed.
    public var malformedPackets = 0
    /// Packets given up as lost by the reorder buffer.
    public var lostPackets: Int64 = 0
    /// Late or duplicate packets dropped.
    public var droppedPackets = 0
    /// Frames (VP8 frames or Opus packets) written.
    public var framesWritten = 0
    /// VP8 frames dropped (incomplete, or while waiting for a keyframe).
    public var framesDropped = 0
    /// Keyframes requested (PLI).
    public var keyframeRequests = 0
    /// SSRC changes followed (republish, reconnect).
    public var ssrcChanges = 0
    /// Media duration written, nanoseconds.
    public var duration: Int64 = 0
}

/// What `finish` returns.
public struct RecordingSummary: Sendable, Equatable {
    /// Duration of the file in nanoseconds.
    public var duration: Int64
    /// Bytes in the file.
    public var bytes: Int
    /// Sender wallclock (Unix nanoseconds) of the file's time zero, when known from RTCP
    /// sender reports or arrival times: the common time base of a room manifest.
    public var startWallclock: Int64?
    /// Per-track counters (by codec for a track recording; audio/video for a participant).
    public var tracks: [RecorderCodec: TrackRecordingStatistics]
}
