/// Records one published track to one file: Opus to Ogg Opus (`.ogg`), VP8 to WebM
/// (`.webm`).
///
/// Feed it what the recorder subscriber sees: RTP packets with their arrival time, RTCP
/// sender reports, and timer ticks; send the publisher what `takeFeedback()` asks for (PLI,
/// NACK). The timeline comes from RTP timestamps (sample-exact for audio); a new SSRC
/// (republish, reconnect) continues the file after the real time that passed, judged by
/// arrival times. Audio gaps are filled with silence.
///
/// Single owner: use one instance from one writer task or queue, off the forwarding path
/// (writes go to the sink synchronously). `@unchecked Sendable` only so it can be created
/// elsewhere and handed to that owner.
public final class TrackRecording: @unchecked Sendable {
    /// Settings.
    public struct Configuration: Sendable {
        /// The track's codec.
        public var codec: RecorderCodec
        /// Opus: channels written in OpusHead (WebRTC's opus/48000/2 is stereo).
        public var opusChannels: UInt8
        /// Opus: pre-skip written in OpusHead (the sender's encoder delay is not signalled;
        /// 312 is libopus').
        public var preSkip: UInt16
        /// Video size written in the WebM header until the first keyframe tells the real one.
        public var defaultVideoSize: (width: Int, height: Int)
        /// Reordering limits.
        public var reorder: ReorderBufferConfiguration
        /// Ogg: packets and samples per page (crash-loss bound).
        public var oggMaxPacketsPerPage: Int
        public var oggMaxPageDuration: Int
        /// Ogg: logical stream serial.
        public var oggSerial: UInt32
        /// WebM settings.
        public var webm: WebMWriter.Configuration

        /// Creates a configuration.
        public init(codec: RecorderCodec, opusChannels: UInt8 = 2, preSkip: UInt16 = OpusHead.typicalPreSkip,
                    defaultVideoSize: (width: Int, height: Int) = (640, 480),
                    reorder: ReorderBufferConfiguration = ReorderBufferConfiguration(),
                    oggMaxPacketsPerPage: Int = 50, oggMaxPageDuration: Int = 48_000, oggSerial: UInt32 = 0x5357_4244,
                    webm: WebMWriter.Configuration = WebMWriter.Configuration()) {
            self.codec = codec
            self.opusChannels = opusChannels
            self.preSkip = preSkip
            self.defaultVideoSize = defaultVideoSize
            self.reorder = reorder
            self.oggMaxPacketsPerPage = oggMaxPacketsPerPage
            self.oggMaxPageDuration = oggMaxPageDuration
            self.oggSerial = oggSerial
            self.webm = webm
        }
    }

    private enum Output {
        case ogg(OggOpusWriter)
        case webm(WebMWriter)
    }

    public let configuration: Configuration
    private let sink: any SeekableRecordingSink
    private let output: Output
    private var ingest: TrackIngest
    private var timeline = SegmentTimeline()
    private var startWallclock: Int64?
    private var isFinished = false
    private var events: [TrackIngest.Event] = []
    private static let videoTrack: UInt8 = 1

    /// Creates the recording and writes the file headers to `sink`.
    public init(configuration: Configuration, sink: any SeekableRecordingSink) throws(RecorderError) {
        self.configuration = configuration
        self.sink = sink
        ingest = TrackIngest(codec: configuration.codec, reorder: configuration.reorder)
        switch configuration.codec {
        case .opus:
            let head = try OpusHead(channels: configuration.opusChannels, preSkip: configuration.preSkip)
            output = .ogg(try OggOpusWriter(sink: sink, configuration: .init(
                head: head, serial: configuration.oggSerial, maxPacketsPerPage: configuration.oggMaxPacketsPerPage,
                maxPageDuration: configuration.oggMaxPageDuration)))
        case .vp8:
            let track = try WebMTrack(number: Self.videoTrack, codec: .vp8(width: configuration.defaultVideoSize.width,
                                                                           height: configuration.defaultVideoSize.height))
            output = .webm(try WebMWriter(sink: sink, tracks: [track], configuration: configuration.webm))
        }
    }

    /// Counters so far.
    public var statistics: TrackRecordingStatistics { ingest.statistics }

    /// Takes one RTP packet (decrypted, as received) that arrived at `arrival` (nanoseconds;
    /// any clock, the same for every call). Throws `.malformedRTP` for bytes that are not
    /// RTP (the recording goes on); write errors are fatal for the recording.
    public func ingestRTP(_ packet: [UInt8], arrival: Int64) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        defer { events.removeAll(keepingCapacity: true) }
        try ingest.ingest(packet, arrival: arrival) { event throws(RecorderError) in events.append(event) }
        try processEvents()
    }

    /// Takes an RTCP sender report for the track (RFC 3550 section 6.4.1): used for the
    /// wallclock of the file's start (a room manifest's common time base).
    public func ingestSenderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32) {
        ingest.senderReport(ssrc: ssrc, ntp: ntp, rtp: rtp)
        if startWallclock == nil, let start = timeline.firstRTP, let wallclock = ingest.clock.wallclock(unwrapped: start) {
            startWallclock = wallclock
        }
    }

    /// Releases packets whose reorder wait is over and writes a pending Ogg page when the
    /// sender has gone quiet. Call every 50-100 ms.
    public func tick(now: Int64) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        defer { events.removeAll(keepingCapacity: true) }
        try ingest.release(now: now) { event throws(RecorderError) in events.append(event) }
        try processEvents()
        if case .ogg(let writer) = output, let last = ingest.lastArrival, now - last > 500_000_000 {
            try writer.flush()
        }
        if case .webm(let writer) = output { try writer.flush() }
    }

    /// Whether video is being dropped until a keyframe arrives (at the start, after loss): a
    /// caller whose keyframe request may have been lost (throttled upstream) asks again.
    public var isWaitingForKeyframe: Bool { ingest.isWaitingForKeyframe }

    /// Returns (and clears) the RTCP feedback to send the publisher.
    public func takeFeedback() -> RecorderFeedback {
        var feedback = RecorderFeedback(keyframeRequested: ingest.takeKeyframeRequest())
        if let ssrc = ingest.ssrc {
            let missing = ingest.missing()
            if !missing.isEmpty { feedback.nacks[ssrc] = missing }
        }
        return feedback
    }

    /// Writes what is still buffered and finalizes the file. `now` on the arrival clock lets
    /// an audio file that ends muted cover the time up to the stop.
    public func finish(now: Int64? = nil) throws(RecorderError) -> RecordingSummary {
        guard !isFinished else { throw .finished }
        try ingest.drain { event throws(RecorderError) in events.append(event) }
        try processEvents()
        events.removeAll()
        isFinished = true
        let duration: Int64
        switch output {
        case .ogg(let writer):
            if let now, let end = timeline.mediaTime(atArrival: now), end - timeline.lastEnd > 500_000_000 {
                try writer.extend(to: end * 48 / 1_000_000)
            }
            duration = try writer.finish() * 1_000_000 / 48
        case .webm(let writer):
            duration = try writer.finalize() * 1_000_000
        }
        return RecordingSummary(duration: duration, bytes: sink.length, startWallclock: startWallclock,
                                tracks: [configuration.codec: ingest.statistics])
    }

    /// Stops without finalizing: buffered data is dropped, what reached the sink stays (a
    /// later `WebMRepair`/`OggRepair` makes it a complete file).
    public func abort() {
        isFinished = true
    }

    private func processEvents() throws(RecorderError) {
        for event in events { try handle(event) }
    }

    private func handle(_ event: TrackIngest.Event) throws(RecorderError) {
        switch event {
        case .restarted:
            timeline.startNewSegment()
        case .frame(let frame):
            let time = timeline.place(rtp: frame.rtpTimestamp, clockRate: configuration.codec.clockRate, arrival: frame.arrival)
            if startWallclock == nil, let wallclock = ingest.clock(for: frame).wallclock(unwrapped: frame.rtpTimestamp) {
                startWallclock = wallclock - time
            }
            switch output {
            case .ogg(let writer):
                let result = try frame.withBytes { bytes throws(RecorderError) in
                    try writer.write(packet: bytes, at: time * 48 / 1_000_000)
                }
                if case .written = result {
                    timeline.noteEnd(time + Int64(frame.duration) * 1_000_000 / 48)
                    ingest.noteFrameWritten(duration: writer.duration * 1_000_000 / 48)
                }
            case .webm(let writer):
                if let dimensions = frame.dimensions {
                    try writer.setVideoDimensions(track: Self.videoTrack, width: dimensions.width, height: dimensions.height)
                }
                try frame.withBytes { bytes throws(RecorderError) in
                    try writer.write(track: Self.videoTrack, frame: bytes, timestamp: time, keyframe: frame.keyframe)
                }
                timeline.noteEnd(time)
                ingest.noteFrameWritten(duration: writer.durationMilliseconds * 1_000_000)
            }
        }
    }
}

/// A track's file timeline built from RTP timestamps: linear within a segment (one SSRC
/// run); a new segment starts where real time (arrival) says it should.
struct SegmentTimeline {
    private(set) var firstRTP: Int64?
    private var segmentRTP: Int64?
    private var segmentStart: Int64 = 0
    private var lastArrival: Int64?
    private var lastTime: Int64 = 0
    /// End of the last frame written (nanoseconds on the file's timeline).
    private(set) var lastEnd: Int64 = 0
    private var pendingNewSegment = false

    /// Nanoseconds on the file's timeline for a frame with unwrapped RTP timestamp `rtp`.
    mutating func place(rtp: Int64, clockRate: Int, arrival: Int64) -> Int64 {
        if segmentRTP == nil || pendingNewSegment {
            if segmentRTP != nil, let lastArrival {
                // Continue after the real time that passed since the old stream's last frame.
                segmentStart = max(lastEnd, lastTime + max(0, arrival - lastArrival))
            }
            segmentRTP = rtp
            pendingNewSegment = false
            if firstRTP == nil { firstRTP = rtp }
        }
        let time = max(0, segmentStart + (rtp - segmentRTP!) * 1_000_000_000 / Int64(clockRate))
        lastTime = time
        lastArrival = arrival
        return time
    }

    mutating func noteEnd(_ end: Int64) {
        lastEnd = max(lastEnd, end)
    }

    mutating func startNewSegment() {
        pendingNewSegment = true
    }

    /// Where `arrival` falls on the timeline, extrapolating from the last frame.
    func mediaTime(atArrival arrival: Int64) -> Int64? {
        guard let lastArrival else { return nil }
        return lastTime + max(0, arrival - lastArrival)
    }
}
