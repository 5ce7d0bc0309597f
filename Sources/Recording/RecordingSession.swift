import Recorder

/// The recorder behind one egress, as its writer drives it: entries from the ring in, timer
/// ticks, feedback out, finish or abort. Adapts `TrackRecording` (one track, `.ogg`/`.webm`)
/// and `ParticipantRecording` (audio and video in one `.webm`).
///
/// Single owner: the recording's writer queue.
protocol RecordingSession: AnyObject {
    /// Takes one ring entry. Malformed media is the sender's problem and is only counted;
    /// other errors (writes) are thrown and fail the recording.
    func ingest(_ entry: PacketRing.Entry) throws(RecorderError)
    func tick(now: Int64) throws(RecorderError)
    func takeFeedback() -> RecorderFeedback
    func finish(now: Int64) throws(RecorderError) -> RecordingSummary
    func abort()
    /// Closes the file once the recorder is done with it (finished or aborted).
    func closeFile()
    /// Frames written so far (the recording is `active` from the first).
    var framesWritten: Int { get }
    /// Video waits for a keyframe.
    var isWaitingForKeyframe: Bool { get }
    /// Where the file's time zero is (participant recordings, once started), for a room manifest.
    var timeBase: RecordingTimeBase? { get }
}

extension RecorderError {
    /// Bad input from the publisher: skip the packet, keep recording.
    var isMalformedInput: Bool {
        switch self {
        case .malformedRTP, .malformedVP8, .malformedOpus: true
        default: false
        }
    }
}

/// One track to one file.
final class TrackSession: RecordingSession {
    let recording: TrackRecording
    let sink: any SeekableRecordingSink
    let lane: UInt8
    private(set) var malformed = 0

    init(_ recording: TrackRecording, sink: any SeekableRecordingSink, lane: UInt8) {
        self.recording = recording
        self.sink = sink
        self.lane = lane
    }

    func ingest(_ entry: PacketRing.Entry) throws(RecorderError) {
        guard entry.lane == lane else { return }
        switch entry.kind {
        case .rtp:
            do throws(RecorderError) {
                try recording.ingestRTP(Array(entry.bytes), arrival: entry.arrival)
            } catch where error.isMalformedInput {
                malformed += 1
            }
        case .senderReport:
            recording.ingestSenderReport(ssrc: entry.ssrc, ntp: entry.ntp, rtp: entry.rtpTimestamp)
        }
    }

    func tick(now: Int64) throws(RecorderError) { try recording.tick(now: now) }
    func takeFeedback() -> RecorderFeedback { recording.takeFeedback() }
    func finish(now: Int64) throws(RecorderError) -> RecordingSummary { try recording.finish(now: now) }
    func abort() { recording.abort() }
    func closeFile() { try? (sink as? FileSink)?.close() }
    var framesWritten: Int { recording.statistics.framesWritten }
    var isWaitingForKeyframe: Bool { recording.isWaitingForKeyframe }
    var timeBase: RecordingTimeBase? { nil }
}

/// A participant's audio and video lanes to one WebM file.
final class ParticipantSession: RecordingSession {
    let recording: ParticipantRecording
    let sink: any SeekableRecordingSink
    private(set) var malformed = 0

    init(_ recording: ParticipantRecording, sink: any SeekableRecordingSink) {
        self.recording = recording
        self.sink = sink
    }

    func ingest(_ entry: PacketRing.Entry) throws(RecorderError) {
        let kind: RecorderCodec = entry.lane == RecordingLane.video ? .vp8 : .opus
        switch entry.kind {
        case .rtp:
            do throws(RecorderError) {
                try recording.ingestRTP(Array(entry.bytes), kind: kind, arrival: entry.arrival)
            } catch where error.isMalformedInput {
                malformed += 1
            }
        case .senderReport:
            recording.ingestSenderReport(kind: kind, ssrc: entry.ssrc, ntp: entry.ntp, rtp: entry.rtpTimestamp,
                                         arrival: entry.arrival)
        }
    }

    func tick(now: Int64) throws(RecorderError) { try recording.tick(now: now) }
    func takeFeedback() -> RecorderFeedback { recording.takeFeedback() }
    func finish(now: Int64) throws(RecorderError) -> RecordingSummary { try recording.finish() }
    func abort() { recording.abort() }
    func closeFile() { try? (sink as? FileSink)?.close() }
    var framesWritten: Int { recording.statistics.values.reduce(0) { $0 + $1.framesWritten } }
    var isWaitingForKeyframe: Bool { recording.isWaitingForKeyframe }
    var timeBase: RecordingTimeBase? { recording.timeBase }
}
