/// Records a participant's audio (Opus) and video (VP8) into one WebM file, lined up through
/// the RTCP sender-report NTP mapping (RFC 3550 section 6.4.1) rather than arrival times.
///
/// At the start, frames are held until every track that sends has a sender report, or
/// `syncWait` has passed (a track still without one is then placed by arrival time,
/// corrected by the sender-to-receiver offset another track's report showed). The file's
/// time zero is the earliest first frame; `RecordingSummary.startWallclock` gives it in the
/// sender's wallclock for a room manifest. Frames of both tracks are interleaved by time
/// before muxing.
///
/// Single owner, like ``TrackRecording``.
public final class ParticipantRecording: @unchecked Sendable {
    /// Settings.
    public struct Configuration: Sendable {
        /// Whether the participant's audio / video is recorded.
        public var audio: Bool
        public var video: Bool
        /// Opus channels and pre-skip for the audio track header.
        public var opusChannels: UInt8
        public var preSkip: UInt16
        /// Video size written until the first keyframe tells the real one.
        public var defaultVideoSize: (width: Int, height: Int)
        /// How long to wait for sender reports before placing a track by arrival time.
        public var syncWait: Int64
        /// Longest a frame waits for the other track in the interleaver.
        public var interleaveDelay: Int64
        /// Most frames held while waiting (bounded memory); beyond it frames are released.
        public var maxHeldFrames: Int
        /// Reordering limits (per track).
        public var reorder: ReorderBufferConfiguration
        /// WebM settings.
        public var webm: WebMWriter.Configuration

        /// Creates a configuration.
        public init(audio: Bool = true, video: Bool = true, opusChannels: UInt8 = 2,
                    preSkip: UInt16 = OpusHead.typicalPreSkip, defaultVideoSize: (width: Int, height: Int) = (640, 480),
                    syncWait: Int64 = 2_000_000_000, interleaveDelay: Int64 = 500_000_000, maxHeldFrames: Int = 2_000,
                    reorder: ReorderBufferConfiguration = ReorderBufferConfiguration(),
                    webm: WebMWriter.Configuration = WebMWriter.Configuration()) {
            self.audio = audio
            self.video = video
            self.opusChannels = opusChannels
            self.preSkip = preSkip
            self.defaultVideoSize = defaultVideoSize
            self.syncWait = syncWait
            self.interleaveDelay = interleaveDelay
            self.maxHeldFrames = maxHeldFrames
            self.reorder = reorder
            self.webm = webm
        }
    }

    /// Track numbers in the file.
    public static let videoTrackNumber: UInt8 = 1
    public static let audioTrackNumber: UInt8 = 2

    public let configuration: Configuration
    private let sink: any SeekableRecordingSink
    private var writer: WebMWriter?
    private var audio: TrackIngest
    private var video: TrackIngest
    private var pending: [[IngestedFrame]] = [[], []]
    private var interleaver: MediaInterleaver<IngestedFrame>
    private var firstArrival: Int64?
    /// Receiver clock minus sender clock, from the latest sender report's arrival.
    private var senderOffset: Int64?
    /// File time zero on the sender's wallclock, once chosen.
    private var epoch: Int64?
    /// File time zero on both clocks, once chosen (for a room manifest).
    public private(set) var timeBase: RecordingTimeBase?
    private var lastTime: [Int64] = [0, 0]
    private var isFinished = false
    private var events: [(lane: Int, event: TrackIngest.Event)] = []
    private static let videoLane = 0
    private static let audioLane = 1

    /// Creates the recording; the file header is written once the start is synchronised.
    public init(configuration: Configuration, sink: any SeekableRecordingSink) throws(RecorderError) {
        guard configuration.audio || configuration.video else { throw .invalidArgument("nothing to record") }
        _ = try OpusHead(channels: configuration.opusChannels, preSkip: configuration.preSkip)
        self.configuration = configuration
        self.sink = sink
        audio = TrackIngest(codec: .opus, reorder: configuration.reorder)
        video = TrackIngest(codec: .vp8, reorder: configuration.reorder)
        interleaver = MediaInterleaver(lanes: 2, maxDelay: configuration.interleaveDelay,
                                       maxItems: configuration.maxHeldFrames)
        interleaver.activeLanes = [configuration.video, configuration.audio]
    }

    /// Takes one RTP packet of the participant's `kind` track (decrypted) that arrived at
    /// `arrival` (nanoseconds, one clock for all calls, ideally Unix time).
    public func ingestRTP(_ packet: [UInt8], kind: RecorderCodec, arrival: Int64) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        guard kind == .opus ? configuration.audio : configuration.video else { return }
        if firstArrival == nil { firstArrival = arrival }
        defer { events.removeAll(keepingCapacity: true) }
        if kind == .vp8 {
            try video.ingest(packet, arrival: arrival) { event throws(RecorderError) in events.append((Self.videoLane, event)) }
        } else {
            try audio.ingest(packet, arrival: arrival) { event throws(RecorderError) in events.append((Self.audioLane, event)) }
        }
        try processEvents(now: arrival)
        try advance(now: arrival)
    }

    /// Takes an RTCP sender report (`ntp`, `rtp`) for the `kind` track's `ssrc`, received at
    /// `arrival` on the same clock as the RTP arrivals.
    public func ingestSenderReport(kind: RecorderCodec, ssrc: UInt32, ntp: UInt64, rtp: UInt32, arrival: Int64) {
        if kind == .vp8 { video.senderReport(ssrc: ssrc, ntp: ntp, rtp: rtp) } else { audio.senderReport(ssrc: ssrc, ntp: ntp, rtp: rtp) }
        senderOffset = arrival - NTPTime.unixNanoseconds(ntp)
    }

    /// Releases frames whose reorder, sync or interleave wait is over. Call every 50-100 ms.
    public func tick(now: Int64) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        defer { events.removeAll(keepingCapacity: true) }
        try video.release(now: now) { event throws(RecorderError) in events.append((Self.videoLane, event)) }
        try audio.release(now: now) { event throws(RecorderError) in events.append((Self.audioLane, event)) }
        try processEvents(now: now)
        try advance(now: now)
        try writer?.flush()
    }

    /// Whether the video track drops frames until a keyframe arrives (see TrackRecording's).
    public var isWaitingForKeyframe: Bool { configuration.video && video.isWaitingForKeyframe }

    /// Returns (and clears) the RTCP feedback to send the publisher.
    public func takeFeedback() -> RecorderFeedback {
        var feedback = RecorderFeedback(keyframeRequested: video.takeKeyframeRequest())
        if let ssrc = audio.ssrc {
            let missing = audio.missing()
            if !missing.isEmpty { feedback.nacks[ssrc] = missing }
        }
        if let ssrc = video.ssrc {
            let missing = video.missing()
            if !missing.isEmpty { feedback.nacks[ssrc] = missing }
        }
        return feedback
    }

    /// Counters per track so far.
    public var statistics: [RecorderCodec: TrackRecordingStatistics] {
        [.opus: audio.statistics, .vp8: video.statistics]
    }

    /// Writes everything still held and finalizes the file.
    public func finish() throws(RecorderError) -> RecordingSummary {
        guard !isFinished else { throw .finished }
        try video.drain { event throws(RecorderError) in events.append((Self.videoLane, event)) }
        try audio.drain { event throws(RecorderError) in events.append((Self.audioLane, event)) }
        try processEvents(now: .max)
        events.removeAll()
        try start(now: .max, force: true)
        try releaseInterleaved(now: .max)
        isFinished = true
        var duration: Int64 = 0
        if let writer { duration = try writer.finalize() * 1_000_000 }
        var tracks: [RecorderCodec: TrackRecordingStatistics] = [:]
        if configuration.audio { tracks[.opus] = audio.statistics }
        if configuration.video { tracks[.vp8] = video.statistics }
        return RecordingSummary(duration: duration, bytes: sink.length, startWallclock: epoch, tracks: tracks)
    }

    /// Stops without finalizing; what reached the sink stays for `WebMRepair`.
    public func abort() {
        isFinished = true
    }

    private func processEvents(now: Int64) throws(RecorderError) {
        for (lane, event) in events { try handle(event, lane: lane, now: now) }
    }

    private func handle(_ event: TrackIngest.Event, lane: Int, now: Int64) throws(RecorderError) {
        switch event {
        case .restarted:
            break  // the new run is mapped by its own sender reports (or arrival)
        case .frame(let frame):
            if epoch == nil {
                pending[lane].append(frame)
                if pending[0].count + pending[1].count > configuration.maxHeldFrames { try start(now: now, force: true) }
            } else {
                try queue(frame, lane: lane, now: now)
            }
        }
    }

    /// Chooses the epoch once every sending track is mapped by an SR, or `syncWait` passed.
    private func advance(now: Int64) throws(RecorderError) {
        try start(now: now, force: false)
        try releaseInterleaved(now: now)
    }

    private func start(now: Int64, force: Bool) throws(RecorderError) {
        guard epoch == nil else { return }
        let lanes = [(Self.videoLane, configuration.video), (Self.audioLane, configuration.audio)]
        let waited = firstArrival.map { now == .max || now - $0 >= configuration.syncWait } ?? false
        if !force, !waited {
            // Every configured track must have frames and a sender-report mapping.
            for (lane, enabled) in lanes where enabled {
                guard !pending[lane].isEmpty, clockSource(lane) == .senderReport else { return }
            }
        }
        guard !pending[0].isEmpty || !pending[1].isEmpty else { return }
        var earliest: Int64?
        for (lane, _) in lanes where !pending[lane].isEmpty {
            anchorIfNeeded(lane: lane, frame: pending[lane][0])
            if let wallclock = wallclock(of: pending[lane][0], lane: lane) {
                earliest = min(earliest ?? wallclock, wallclock)
            }
        }
        epoch = earliest ?? 0
        // Synchronised by sender reports only if every track with media had one.
        let mapped = lanes.allSatisfy { lane, enabled in !enabled || pending[lane].isEmpty || clockSource(lane) == .senderReport }
        timeBase = RecordingTimeBase(epoch: epoch ?? 0, senderOffset: senderOffset, synchronisedBy: mapped ? .senderReport : .arrival)
        try openWriter()
        for lane in [Self.videoLane, Self.audioLane] {
            let frames = pending[lane]
            pending[lane] = []
            for frame in frames { try queue(frame, lane: lane, now: now) }
        }
    }

    private func openWriter() throws(RecorderError) {
        var tracks: [WebMTrack] = []
        if configuration.video {
            let size = pending[Self.videoLane].first { $0.dimensions != nil }?.dimensions
            tracks.append(try WebMTrack(number: Self.videoTrackNumber, codec: .vp8(
                width: size?.width ?? configuration.defaultVideoSize.width,
                height: size?.height ?? configuration.defaultVideoSize.height)))
        }
        if configuration.audio {
            let head = try OpusHead(channels: configuration.opusChannels, preSkip: configuration.preSkip)
            tracks.append(try WebMTrack(number: Self.audioTrackNumber, codec: .opus(head)))
        }
        writer = try WebMWriter(sink: sink, tracks: tracks, configuration: configuration.webm)
    }

    private func clockSource(_ lane: Int) -> RTPClockMapping.Source {
        lane == Self.videoLane ? video.clock.source : audio.clock.source
    }

    /// The sender wallclock of `frame`; a frame of an earlier SSRC run without a mapping is
    /// placed by its arrival.
    private func wallclock(of frame: IngestedFrame, lane: Int) -> Int64? {
        var clock = lane == Self.videoLane ? video.clock(for: frame) : audio.clock(for: frame)
        if clock.source == .none {
            clock.anchor(rtp: UInt32(truncatingIfNeeded: frame.rtpTimestamp), wallclock: frame.arrival - (senderOffset ?? 0))
        }
        return clock.wallclock(unwrapped: frame.rtpTimestamp)
    }

    private func anchorIfNeeded(lane: Int, frame: IngestedFrame) {
        let segment = lane == Self.videoLane ? video.segment : audio.segment
        guard frame.segment == segment, clockSource(lane) == .none else { return }
        let wallclock = frame.arrival - (senderOffset ?? 0)
        let rtp = UInt32(truncatingIfNeeded: frame.rtpTimestamp)
        if lane == Self.videoLane { video.anchorClock(rtp: rtp, wallclock: wallclock) } else { audio.anchorClock(rtp: rtp, wallclock: wallclock) }
    }

    private func queue(_ frame: IngestedFrame, lane: Int, now: Int64) throws(RecorderError) {
        anchorIfNeeded(lane: lane, frame: frame)
        guard let epoch, let wallclock = wallclock(of: frame, lane: lane) else { return }
        let time = max(lastTime[lane], wallclock - epoch, 0)
        lastTime[lane] = time
        interleaver.push(lane: lane, time: time, item: frame, now: now)
    }

    private func releaseInterleaved(now: Int64) throws(RecorderError) {
        guard let writer else { return }
        if now == .max { interleaver.activeLanes = [false, false] }  // finishing: release everything
        while let (lane, time, frame) = interleaver.pop(now: now) {
            if lane == Self.videoLane {
                if let dimensions = frame.dimensions {
                    try writer.setVideoDimensions(track: Self.videoTrackNumber, width: dimensions.width, height: dimensions.height)
                }
                try frame.withBytes { bytes throws(RecorderError) in
                    try writer.write(track: Self.videoTrackNumber, frame: bytes, timestamp: time, keyframe: frame.keyframe)
                }
                video.noteFrameWritten(duration: time)
            } else {
                let duration = Int64(frame.duration) * 1_000_000 / 48
                try frame.withBytes { bytes throws(RecorderError) in
                    try writer.write(track: Self.audioTrackNumber, frame: bytes, timestamp: time, keyframe: true, duration: duration)
                }
                audio.noteFrameWritten(duration: time + duration)
            }
        }
    }
}
