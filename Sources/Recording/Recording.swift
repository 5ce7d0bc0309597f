import Foundation
import Logging
import Recorder
import SFU
import Store
import Synchronization

/// One running egress: the room's side (`RoomRecorder`: taps for the tracks of its source),
/// the ring and writer that put the media into the file, and the metadata row it keeps up to
/// date (starting -> active -> ending -> complete / failed).
///
/// Thread use: `tap(for:)`/`trackRemoved` on the room's actor, `detached` on the media loop,
/// writer callbacks on the writer's queue, `stop` from the API; shared state is in `state`.
public final class Recording: RoomRecorder, @unchecked Sendable {
    public let egressID: String
    public let source: RecordingSource
    public let roomName: String
    /// Relative to the recordings directory, and absolute.
    public let filePath: String
    let absolutePath: String
    /// Track recordings: the codec, which fixes the container; nil for a participant (WebM).
    let codec: RecorderCodec?
    private let store: SwitchboardStore
    private let logger: Logger
    private let ring: PacketRing
    private var writer: RecordingWriter!
    private let state = Mutex(State())
    /// The room manifest this recording is listed in (`auto_record`), if any.
    let manifest: RoomManifestWriter?
    /// Takes the recording off its room (set by the manager before the recording is attached).
    var detachFromRoom: @Sendable (RecordingEndReason) -> Void = { _ in }
    /// Called once, on the writer's queue, after the final status is stored.
    var onEnded: @Sendable (Recording) -> Void = { _ in }
    /// Called after `active` or `ending` is stored (the writer's queue, or StopEgress's caller).
    var onStatusChanged: @Sendable (Recording) -> Void = { _ in }

    struct State {
        var status: RecordingRecord.Status = .starting
        /// Lane -> track sid currently tapped.
        var lanes: [UInt8: String] = [:]
        var tracks: [String] = []
        var stopRequested = false
        var detached = false
    }

    /// Opens the file (track recordings write their headers now) and starts the writer. The
    /// metadata row must exist already.
    init(record: RecordingRecord, absolutePath: String, source: RecordingSource, codec: RecorderCodec?,
         ringCapacity: Int, writerInterval: DispatchTimeInterval, syncWait: Int64 = 2_000_000_000,
         store: SwitchboardStore, logger: Logger,
         manifest: RoomManifestWriter? = nil,
         sinkFactory: (String) throws(RecorderError) -> any SeekableRecordingSink) throws(RecorderError) {
        egressID = record.id
        roomName = record.roomName
        filePath = record.filePath
        self.absolutePath = absolutePath
        self.source = source
        self.codec = codec
        self.store = store
        self.manifest = manifest
        var logger = logger
        logger[metadataKey: "egress"] = "\(record.id)"
        self.logger = logger
        ring = PacketRing(capacity: ringCapacity)
        let sink = try sinkFactory(absolutePath)
        let session: any RecordingSession
        if let codec {
            let lane = codec == .vp8 ? RecordingLane.video : RecordingLane.audio
            session = TrackSession(try TrackRecording(configuration: .init(codec: codec), sink: sink), sink: sink, lane: lane)
        } else {
            session = ParticipantSession(try ParticipantRecording(configuration: .init(syncWait: syncWait), sink: sink), sink: sink)
        }
        writer = RecordingWriter(
            ring: ring, session: session, label: "sb-rec-\(record.id)", interval: writerInterval,
            onActive: { [weak self] timeBase in self?.becameActive(timeBase) },
            onEnd: { [weak self] outcome in self?.ended(outcome) })
        writer.start()
    }

    /// Status now (tests, logs).
    public var status: RecordingRecord.Status { state.withLock { $0.status } }

    /// StopEgress: the recording is detached from its room and its file finished. Returns
    /// false if it already ended or is ending.
    package func stop() -> Bool {
        guard beginStop() else { return false }
        detachStopped()
        return true
    }

    /// The first half of `stop`: marks the recording `ending` (in the store too), so the
    /// caller can answer with that state before the file is finished.
    func beginStop() -> Bool {
        let proceed: Bool = state.withLock { state in
            guard state.status.isUnfinished, !state.stopRequested else { return false }
            state.stopRequested = true
            state.status = .ending
            return true
        }
        if proceed { persist(.ending) }
        return proceed
    }

    /// The second half of `stop`: taps off, file finished.
    func detachStopped() {
        detachFromRoom(.stopped)
    }

    // MARK: RoomRecorder

    public func tap(for track: RecordedTrack) -> (any RecordingTap)? {
        let lane: UInt8
        let mime = track.mimeType.lowercased()
        switch track.kind {
        case .audio where mime == "audio/opus" && (codec == nil || codec == .opus): lane = RecordingLane.audio
        case .video where mime == "video/vp8" && (codec == nil || codec == .vp8): lane = RecordingLane.video
        default:
            logger.notice("track not recorded: only Opus audio and VP8 video are", metadata: [
                "track": "\(track.trackSid)", "mime": "\(track.mimeType)"])
            return nil
        }
        let tracks: [String]? = state.withLock { state in
            guard state.status.isUnfinished, !state.stopRequested, state.lanes[lane] == nil else { return nil }
            state.lanes[lane] = track.trackSid
            if !state.tracks.contains(track.trackSid) { state.tracks.append(track.trackSid) }
            return state.tracks
        }
        guard let tracks else { return nil }
        if lane == RecordingLane.video { writer.keyframeRequester.withLock { $0 = track.requestKeyframe } }
        do { try store.updateRecording(id: egressID, tracks: tracks) } catch {
            logger.warning("recording metadata not updated: \(error)")
        }
        manifest?.trackRecorded(egressID: egressID, track)
        logger.info("recording track", metadata: ["track": "\(track.trackSid)", "participant": "\(track.participantIdentity)"])
        return RingTap(ring: ring, lane: lane)
    }

    public func trackRemoved(_ trackSid: String) {
        state.withLock { state in
            for (lane, sid) in state.lanes where sid == trackSid { state.lanes[lane] = nil }
        }
    }

    public func detached(_ reason: RecordingEndReason) {
        // On the media loop: only hand off.
        let sourceEnded = state.withLock { state in
            state.detached = true
            // Not when stopped (StopEgress persisted `ending`) or already failed.
            let ended = state.status.isUnfinished && !state.stopRequested
            if state.status.isUnfinished { state.status = .ending }
            state.stopRequested = true
            return ended
        }
        let writer = self.writer!
        if sourceEnded {
            writer.queue.async { [self] in
                logger.info("recording source ended", metadata: ["reason": "\(reason.rawValue)"])
                persist(.ending)
            }
        }
        writer.finish()
    }

    // MARK: Writer callbacks (writer queue)

    private func becameActive(_ timeBase: RecordingTimeBase?) {
        let changed = state.withLock { state in
            guard state.status == .starting else { return false }
            state.status = .active
            return true
        }
        guard changed else { return }
        persist(.active)
        manifest?.started(egressID: egressID, timeBase: timeBase, arrivalToUnix: RoomManifestWriter.arrivalToUnixOffset())
    }

    private func ended(_ outcome: RecordingWriter.Outcome) {
        let record: RecordingOutcome
        switch outcome {
        case .finished(let summary) where summary.duration > 0 || framesWritten(summary) > 0:
            record = RecordingOutcome(status: .complete, durationMilliseconds: summary.duration / 1_000_000,
                                      bytes: Int64(summary.bytes))
            logger.info("recording complete", metadata: ["file": "\(filePath)", "duration_ms": "\(summary.duration / 1_000_000)",
                                                         "bytes": "\(summary.bytes)"])
        case .finished:
            record = RecordingOutcome(status: .failed, bytes: fileSize(), error: "no media was received")
            logger.notice("recording ended without media", metadata: ["file": "\(filePath)"])
        case .failed(let error):
            record = failedOutcome(error)
        }
        let needsDetach = state.withLock { state in
            state.status = record.status
            return !state.detached
        }
        if needsDetach { detachFromRoom(.failed) }
        do { try store.finishRecording(id: egressID, outcome: record) } catch {
            logger.error("recording metadata not stored: \(error)")
        }
        manifest?.ended(egressID: egressID, record)
        onEnded(self)
    }

    /// A failed recording keeps what reached the disk, repaired so it plays.
    private func failedOutcome(_ error: RecorderError) -> RecordingOutcome {
        let message = error == .bufferFull
            ? "the writer fell behind (disk too slow): recording buffer full"
            : "recording failed: \(error)"
        logger.error("recording failed", metadata: ["file": "\(filePath)", "error": "\(message)"])
        let duration = try? RecordingRecovery.repair(path: absolutePath)
        return RecordingOutcome(status: .failed, durationMilliseconds: duration, bytes: fileSize(), error: message)
    }

    private func framesWritten(_ summary: RecordingSummary) -> Int {
        summary.tracks.values.reduce(0) { $0 + $1.framesWritten }
    }

    private func fileSize() -> Int64? {
        (try? FileManager.default.attributesOfItem(atPath: absolutePath)[.size] as? NSNumber)?.int64Value
    }

    private func persist(_ status: RecordingRecord.Status) {
        do { try store.updateRecording(id: egressID, status: status) } catch {
            logger.warning("recording status not stored: \(error)")
        }
        if status != .active { manifest?.statusChanged(egressID: egressID, status) }  // active: see `becameActive`
        onStatusChanged(self)
    }
}
