import PayloadFormats
import RTP

/// An RTP packet held by the reorder buffer: the caller's bytes plus what the header said.
struct IngestedPacket {
    var bytes: [UInt8]
    var payload: Range<Int>
    var timestamp: UInt32
    var marker: Bool
    var arrival: Int64
}

/// A media frame leaving a track's pipeline: a whole VP8 frame or one Opus packet.
struct IngestedFrame {
    /// Backing bytes; the frame is `data[range]`.
    var data: [UInt8]
    var range: Range<Int>
    /// Unwrapped RTP timestamp.
    var rtpTimestamp: Int64
    /// Duration in RTP ticks (Opus: 48 kHz samples); 0 for video.
    var duration: Int
    var keyframe: Bool
    var dimensions: VP8KeyframeDimensions?
    var isStereo: Bool
    /// Arrival of the packet that completed the frame.
    var arrival: Int64
    /// The SSRC run (timeline segment) the frame belongs to; see `TrackIngest.segment`.
    var segment: Int

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws(RecorderError) -> R) throws(RecorderError) -> R {
        let result: Result<R, RecorderError> = data.withUnsafeBytes { all in
            Result { () throws(RecorderError) in try body(UnsafeRawBufferPointer(rebasing: all[range])) }
        }
        return try result.get()
    }
}

/// One track's receive pipeline: RTP validation, SSRC tracking, reordering, depacketizing
/// (VP8 frame assembly or Opus validation) and the RTP-to-wallclock mapping.
///
/// Events go to a closure while the pipeline is being mutated, so the closure must only
/// collect them; the owner processes them afterwards (and may then read `clock(for:)`).
struct TrackIngest {
    enum Event {
        /// The next frame, in order.
        case frame(IngestedFrame)
        /// The stream restarted (new SSRC, or a sequence jump): the next frame starts a new
        /// timeline segment.
        case restarted
    }

    let codec: RecorderCodec
    private(set) var ssrc: UInt32?
    private(set) var clock: RTPClockMapping
    private(set) var statistics = TrackRecordingStatistics()
    /// A PLI is wanted (taken by `takeKeyframeRequest`).
    private(set) var keyframeRequested = false
    private(set) var lastArrival: Int64?
    /// Incremented when the stream restarts; frames carry the value of their run.
    private(set) var segment = 0
    /// The clock of the previous run, for its frames still being processed.
    private var previousClock: RTPClockMapping?
    private var reorder: ReorderBuffer<IngestedPacket>
    private var assembler = VP8FrameAssembler()
    private var opus = OpusDepacketizer()
    private var pendingReport: (ssrc: UInt32, ntp: UInt64, rtp: UInt32)?

    init(codec: RecorderCodec, reorder configuration: ReorderBufferConfiguration) {
        self.codec = codec
        clock = RTPClockMapping(clockRate: codec.clockRate)
        reorder = ReorderBuffer(configuration: configuration)
    }

    /// Validates and buffers one RTP packet, then releases what is in order.
    mutating func ingest(
        _ packet: [UInt8], arrival: Int64, _ emit: (Event) throws(RecorderError) -> Void
    ) throws(RecorderError) {
        let parsed: Result<RTPHeaderView, RTPParseError> = packet.withUnsafeBytes { bytes in
            Result { () throws(RTPParseError) in try RTPHeaderView(validating: bytes) }
        }
        guard case .success(let header) = parsed else {
            statistics.malformedPackets += 1
            if case .failure(let error) = parsed { throw .malformedRTP(error) }
            return
        }
        if let current = ssrc, current != header.ssrc {
            try restart(arrival: arrival, emit)
            statistics.ssrcChanges += 1
        }
        if ssrc != header.ssrc {
            ssrc = header.ssrc
            if let report = pendingReport, report.ssrc == header.ssrc {
                clock.senderReport(ntp: report.ntp, rtp: report.rtp)
                pendingReport = nil
            }
        }
        lastArrival = arrival
        let stored = IngestedPacket(bytes: packet, payload: header.payloadRange, timestamp: header.timestamp,
                                    marker: header.marker, arrival: arrival)
        switch reorder.insert(stored, sequenceNumber: header.sequenceNumber, arrival: arrival) {
        case .accepted:
            statistics.packets += 1
        case .duplicate, .late:
            statistics.droppedPackets += 1
        case .restart:
            try restart(arrival: arrival, emit)
            _ = reorder.insert(stored, sequenceNumber: header.sequenceNumber, arrival: arrival)
            statistics.packets += 1
        }
        try release(now: arrival, emit)
    }

    /// Takes an RTCP sender report for `ssrc` (kept until that SSRC's packets arrive).
    mutating func senderReport(ssrc reportSSRC: UInt32, ntp: UInt64, rtp: UInt32) {
        if ssrc == reportSSRC {
            clock.senderReport(ntp: ntp, rtp: rtp)
        } else {
            pendingReport = (reportSSRC, ntp, rtp)
        }
    }

    /// Anchors an unmapped clock (no sender report yet) on an arrival-based wallclock.
    mutating func anchorClock(rtp: UInt32, wallclock: Int64) {
        clock.anchor(rtp: rtp, wallclock: wallclock)
    }

    /// The clock that maps `frame`'s timestamps (its run's).
    func clock(for frame: IngestedFrame) -> RTPClockMapping {
        frame.segment == segment ? clock : (previousClock ?? clock)
    }

    /// Releases packets whose wait is over (timer driven).
    mutating func release(now: Int64, _ emit: (Event) throws(RecorderError) -> Void) throws(RecorderError) {
        while let output = reorder.pop(now: now) {
            try handle(output, emit)
        }
        statistics.lostPackets = reorder.lostCount
    }

    /// Releases everything held (end of recording).
    mutating func drain(_ emit: (Event) throws(RecorderError) -> Void) throws(RecorderError) {
        for output in reorder.drain() { try handle(output, emit) }
        statistics.lostPackets = reorder.lostCount
    }

    /// Missing sequence numbers worth a NACK now.
    func missing(limit: Int = 64) -> [UInt16] {
        var out: [UInt16] = []
        reorder.forEachMissing(limit: limit) { out.append($0) }  // allocates only when something is missing
        return out
    }

    /// Returns and clears the keyframe request.
    mutating func takeKeyframeRequest() -> Bool {
        defer { keyframeRequested = false }
        return keyframeRequested
    }

    /// Whether video frames are being dropped until a keyframe.
    var isWaitingForKeyframe: Bool { codec == .vp8 && assembler.isWaitingForKeyframe }

    mutating func noteFrameWritten(duration: Int64) {
        statistics.framesWritten += 1
        statistics.duration = max(statistics.duration, duration)
    }

    private mutating func restart(arrival: Int64, _ emit: (Event) throws(RecorderError) -> Void) throws(RecorderError) {
        try drain(emit)
        reorder.reset()
        assembler.reset()
        previousClock = clock
        clock = RTPClockMapping(clockRate: codec.clockRate)
        segment += 1
        ssrc = nil
        try emit(.restarted)
    }

    private mutating func handle(
        _ output: ReorderBuffer<IngestedPacket>.Output, _ emit: (Event) throws(RecorderError) -> Void
    ) throws(RecorderError) {
        guard case .packet(let packet, let sequence) = output else { return }
        if packet.payload.isEmpty {
            // Padding-only (bandwidth probes): keeps sequence continuity, carries no media.
            if codec == .vp8 { assembler.notePadding(sequence: sequence) }
            return
        }
        let timestamp = clock.unwrap(packet.timestamp)
        let frame: IngestedFrame? = packet.bytes.withUnsafeBytes { all in
            let payload = UnsafeRawBufferPointer(rebasing: all[packet.payload])
            switch codec {
            case .opus:
                guard let info = try? opus.push(payload: payload, timestamp: packet.timestamp) else { return nil }
                return IngestedFrame(data: packet.bytes, range: packet.payload, rtpTimestamp: timestamp,
                                     duration: info.duration, keyframe: true, dimensions: nil,
                                     isStereo: info.isStereo, arrival: packet.arrival, segment: segment)
            case .vp8:
                let result: VP8FrameAssembler.Output
                do {
                    result = try assembler.push(payload: payload, sequence: sequence, timestamp: packet.timestamp,
                                                marker: packet.marker)
                } catch {
                    statistics.malformedPackets += 1
                    requestKeyframe()
                    return nil
                }
                if result.keyframeNeeded { requestKeyframe() }
                statistics.framesDropped = assembler.framesDropped
                guard let assembled = result.frame else { return nil }
                return IngestedFrame(data: assembled.data, range: 0..<assembled.data.count, rtpTimestamp: timestamp,
                                     duration: 0, keyframe: assembled.isKeyframe, dimensions: assembled.dimensions,
                                     isStereo: false, arrival: packet.arrival, segment: segment)
            }
        }
        if codec == .opus, frame == nil { statistics.malformedPackets += 1 }
        if let frame { try emit(.frame(frame)) }
    }

    private mutating func requestKeyframe() {
        if !keyframeRequested { statistics.keyframeRequests += 1 }
        keyframeRequested = true
    }
}
