import Dispatch
import Foundation
import LiveKitProtocol
import Logging
import Recorder
import SFU
import Store
import Synchronization

/// The server's recordings (LiveKit's egress, done in-process): starts track and participant
/// recordings on rooms, stops them, lists them from the store, makes the `auto_record`
/// recordings, and repairs what a crash left behind.
public final class EgressManager: AutoRecorderFactory, Sendable {
    public struct Configuration: Sendable {
        /// Where files go (`<data-dir>/recordings` by default).
        public var recordingsDirectory: String
        /// Packets a recording's writer may fall behind by before the recording fails
        /// (1024 x 1600 bytes, about 4 s of 2.5 Mbit/s video).
        public var ringCapacity: Int
        /// How often each writer drains its ring and services its recorder.
        public var writerInterval: DispatchTimeInterval
        /// How long a participant recording holds its first frames waiting for every track's
        /// sender report, before placing a track by arrival time. libwebrtc sends its first audio
        /// SR about 2.5 s into a stream, so the default waits 5 s (frames are held, not lost).
        public var participantSyncWait: Int64

        public init(recordingsDirectory: String, ringCapacity: Int = 1024, writerInterval: DispatchTimeInterval = .milliseconds(50),
                    participantSyncWait: Int64 = 5_000_000_000) {
            self.recordingsDirectory = recordingsDirectory
            self.ringCapacity = ringCapacity
            self.writerInterval = writerInterval
            self.participantSyncWait = participantSyncWait
        }
    }

    public typealias SinkFactory = @Sendable (String) throws(RecorderError) -> any SeekableRecordingSink

    public let configuration: Configuration
    public let paths: RecordingPaths
    private let store: SwitchboardStore
    private let logger: Logger
    private let sinkFactory: SinkFactory
    private let active = Mutex<[String: Recording]>([:])
    /// Manifests of the rooms recorded with `auto_record`, by room sid, until complete.
    private let manifests = Mutex<[String: RoomManifestWriter]>([:])
    /// `egress_started`, `egress_updated`, `egress_ended` for webhooks; nil: nobody listens.
    private let events: RoomEvents?

    /// `sinkFactory` opens a recording's file (tests substitute slow or failing sinks).
    public init(configuration: Configuration, store: SwitchboardStore, logger: Logger, events: RoomEvents? = nil,
                sinkFactory: @escaping SinkFactory = { path throws(RecorderError) in try FileSink(path: path) }) throws(EgressError) {
        self.configuration = configuration
        self.events = events
        paths = try RecordingPaths(root: configuration.recordingsDirectory)
        self.store = store
        self.logger = logger
        self.sinkFactory = sinkFactory
    }

    /// Repairs recordings left unfinished by a previous process. Call once, before serving.
    @discardableResult
    public func recoverUnfinished() -> RecordingRecovery.Report {
        RecordingRecovery.run(store: store, paths: paths, logger: logger)
    }

    /// Recordings running now.
    public var activeCount: Int { active.withLock { $0.count } }

    /// A running recording by id (tests).
    public func recording(id: String) -> Recording? { active.withLock { $0[id] } }

    /// The manifest of a room being recorded with `auto_record` (until it is complete).
    public func roomManifest(roomSid: String) -> RoomManifestWriter? { manifests.withLock { $0[roomSid] } }

    // MARK: Start

    /// StartTrackEgress: one Opus track to `.ogg`, or one VP8 track to `.webm`.
    public func startTrackEgress(_ request: Livekit_TrackEgressRequest, room: Room) async throws(EgressError) -> Livekit_EgressInfo {
        let output: Livekit_DirectFileOutput
        switch request.output {
        case .file(let file)?: output = file
        case .websocketURL?: throw .unimplemented("websocket_url output is not supported: record to a file")
        case nil: throw .invalidArgument("output is required (file.filepath)")
        }
        guard output.output == nil else {
            throw .unimplemented("uploads (s3, gcp, azure, alioss) are not supported: files stay in the recordings directory")
        }
        guard let track = await room.publishedTrackDescription(sid: request.trackID) else {
            throw .notFound("track \(request.trackID) is not published in room \(room.name)")
        }
        let codec: RecorderCodec
        switch (track.kind, track.mimeType.lowercased()) {
        case (.audio, "audio/opus"): codec = .opus
        case (.video, "video/vp8"): codec = .vp8
        default: throw .failedPrecondition("track \(track.trackSid) is \(track.mimeType): only Opus and VP8 tracks can be recorded")
        }
        let values = RecordingPaths.values(roomName: room.name, roomSid: room.sid, identity: track.participantIdentity,
                                           trackSid: track.trackSid, trackType: track.kind == .audio ? "audio" : "video",
                                           trackSource: "\(track.source)")
        let file = try paths.newFile(requested: output.filepath, defaultName: "{room_name}-{track_id}-{time}",
                                     fileExtension: codec == .opus ? "ogg" : "webm", values: values)
        let record = RecordingRecord(
            id: SwitchboardStore.newRecordingID(), roomName: room.name, roomSid: room.sid,
            participantIdentity: track.participantIdentity, kind: .track, codec: codec == .opus ? "opus" : "vp8",
            filePath: file.relative, request: try? request.serializedData())
        let recording = try create(record, absolutePath: file.absolute, source: .track(sid: track.trackSid), codec: codec,
                                   room: room, manifest: nil)
        try await attach(recording, to: room)
        return try info(id: record.id)
    }

    /// A track recording no room feeds: the caller pushes packets into its taps. The same
    /// store row, file, ring and writer as `StartTrackEgress` (Benchmarks/Recording).
    package func startUnattachedTrackRecording(roomName: String, trackSid: String, codec: RecorderCodec) throws(EgressError)
        -> Recording
    {
        let values = RecordingPaths.values(roomName: roomName, roomSid: "", trackSid: trackSid)
        let file = try paths.newFile(requested: "", defaultName: "{room_name}-{track_id}",
                                     fileExtension: codec == .opus ? "ogg" : "webm", values: values)
        let record = RecordingRecord(id: SwitchboardStore.newRecordingID(), roomName: roomName, kind: .track,
                                     codec: codec == .opus ? "opus" : "vp8", filePath: file.relative)
        return try create(record, absolutePath: file.absolute, source: .track(sid: trackSid), codec: codec, room: nil, manifest: nil)
    }

    /// StartParticipantEgress: the participant's camera (or screen share) VP8 and microphone
    /// Opus in one `.webm`, synchronised by the senders' RTCP reports.
    public func startParticipantEgress(_ request: Livekit_ParticipantEgressRequest, room: Room) async throws(EgressError)
        -> Livekit_EgressInfo
    {
        guard request.streamOutputs.isEmpty, request.segmentOutputs.isEmpty, request.imageOutputs.isEmpty else {
            throw .unimplemented("only file outputs are supported (no streams, segments or images)")
        }
        guard request.fileOutputs.count <= 1 else { throw .invalidArgument("at most one file output") }
        let output = request.fileOutputs.first ?? Livekit_EncodedFileOutput()
        guard output.output == nil else {
            throw .unimplemented("uploads (s3, gcp, azure, alioss) are not supported: files stay in the recordings directory")
        }
        guard output.fileType == .defaultFiletype else {
            throw .invalidArgument("participant recordings are WebM (VP8 + Opus, not transcoded): leave file_type unset")
        }
        guard await room.participantInfo(identity: request.identity) != nil else {
            throw .notFound("participant \(request.identity) is not in room \(room.name)")
        }
        let recording = try makeParticipantRecording(room: room, identity: request.identity, screenShare: request.screenShare,
                                                     requestedPath: output.filepath, request: request, manifest: nil)
        try await attach(recording, to: room)
        return try info(id: recording.egressID)
    }

    /// `auto_record`: a participant recording for `identity`, made on the room's actor and
    /// listed in the room's manifest.
    public func makeParticipantRecorder(room: Room, identity: String) -> (any RoomRecorder)? {
        var request = Livekit_ParticipantEgressRequest()
        request.roomName = room.name
        request.identity = identity
        do {
            let recording = try makeParticipantRecording(room: room, identity: identity, screenShare: false,
                                                         requestedPath: "", request: request,
                                                         manifest: try manifest(for: room))
            logger.info("auto recording started", metadata: ["egress": "\(recording.egressID)", "room": "\(room.name)",
                                                             "participant": "\(identity)", "file": "\(recording.filePath)"])
            return recording
        } catch {
            logger.error("auto recording not started: \(error)", metadata: ["room": "\(room.name)", "participant": "\(identity)"])
            return nil
        }
    }

    /// An `auto_record` room closed: its manifest is complete once its recordings have ended.
    public func roomClosed(roomSid: String) {
        roomManifest(roomSid: roomSid)?.roomClosed()
    }

    /// The room's manifest, created with its first `auto_record` recording.
    private func manifest(for room: Room) throws(EgressError) -> RoomManifestWriter {
        if let existing = roomManifest(roomSid: room.sid) { return existing }
        let file = try paths.newFile(requested: "", defaultName: "{room_name}-{room_id}", fileExtension: "json",
                                     values: RecordingPaths.values(roomName: room.name, roomSid: room.sid))
        let manifest = RoomManifestWriter(roomName: room.name, roomSid: room.sid, file: file.relative, path: file.absolute,
                                          logger: logger) { [weak self] manifest in
            _ = self?.manifests.withLock { $0.removeValue(forKey: room.sid) }
        }
        // Called on the room's actor only, so no other manifest for this room can appear meanwhile.
        manifests.withLock { $0[room.sid] = manifest }
        logger.info("room recording started", metadata: ["room": "\(room.name)", "manifest": "\(file.relative)"])
        return manifest
    }

    private func makeParticipantRecording(room: Room, identity: String, screenShare: Bool, requestedPath: String,
                                          request: Livekit_ParticipantEgressRequest,
                                          manifest: RoomManifestWriter?) throws(EgressError) -> Recording {
        let values = RecordingPaths.values(roomName: room.name, roomSid: room.sid, identity: identity)
        let file = try paths.newFile(requested: requestedPath, defaultName: "{room_name}-{publisher_identity}-{time}",
                                     fileExtension: "webm", values: values)
        var stored = request
        if stored.fileOutputs.isEmpty { stored.fileOutputs = [Livekit_EncodedFileOutput()] }
        stored.fileOutputs[0].filepath = file.relative
        let record = RecordingRecord(
            id: SwitchboardStore.newRecordingID(), roomName: room.name, roomSid: room.sid, participantIdentity: identity,
            kind: .participant, codec: "vp8+opus", filePath: file.relative, request: try? stored.serializedData())
        return try create(record, absolutePath: file.absolute, source: .participant(identity: identity, screenShare: screenShare),
                          codec: nil, room: room, manifest: manifest)
    }

    /// Stores the row, opens the file, starts the writer and registers the recording. Without
    /// a room the caller feeds the taps and detaching only finishes the file (benchmarks).
    private func create(_ record: RecordingRecord, absolutePath: String, source: RecordingSource, codec: RecorderCodec?,
                        room: Room?, manifest: RoomManifestWriter?) throws(EgressError) -> Recording {
        do { try store.insertRecording(record) } catch { throw .internal("cannot store the recording: \(error)") }
        manifest?.added(egressID: record.id, identity: record.participantIdentity, file: record.filePath)
        let recording: Recording
        do {
            recording = try Recording(record: record, absolutePath: absolutePath, source: source, codec: codec,
                                      ringCapacity: configuration.ringCapacity, writerInterval: configuration.writerInterval,
                                      syncWait: configuration.participantSyncWait,
                                      store: store, logger: logger, manifest: manifest, sinkFactory: sinkFactory)
        } catch {
            let outcome = RecordingOutcome(status: .failed, error: "cannot open the file: \(error)")
            _ = try? store.finishRecording(id: record.id, outcome: outcome)
            manifest?.ended(egressID: record.id, outcome)
            throw .internal("cannot open \(record.filePath): \(error)")
        }
        let id = record.id
        recording.detachFromRoom = { [weak recording] reason in
            guard let room else { recording?.detached(reason); return }
            Task {
                // Not attached (already detached, or never): finish it directly.
                if await !room.removeRecorder(egressID: id, reason: reason) { recording?.detached(reason) }
            }
        }
        recording.onEnded = { [weak self] recording in
            _ = self?.active.withLock { $0.removeValue(forKey: recording.egressID) }
            self?.emit(.egressEnded, egressID: recording.egressID)
        }
        recording.onStatusChanged = { [weak self] recording in self?.emit(.egressUpdated, egressID: recording.egressID) }
        active.withLock { $0[id] = recording }
        events?.emit(.egressStarted, egress: Livekit_EgressInfo(record, paths: paths))
        logger.info("recording created", metadata: ["egress": "\(id)", "room": "\(record.roomName)", "file": "\(record.filePath)"])
        return recording
    }

    private func attach(_ recording: Recording, to room: Room) async throws(EgressError) {
        do {
            try await room.addRecorder(recording)
        } catch {
            // The source vanished between the check and now: end the (empty) recording.
            recording.detached(.failed)
            switch error {
            case .trackNotFound: throw .notFound("the track is no longer published")
            case .participantNotFound: throw .notFound("the participant left")
            case .roomClosed: throw .notFound("the room closed")
            case .alreadyAttached: throw .internal("egress id collision")
            }
        }
    }

    /// A webhook event with the recording's state as stored now (off the media path: the
    /// writer's queue or the API's caller).
    private func emit(_ name: RoomEventName, egressID: String) {
        guard let events, let info = try? info(id: egressID) else { return }
        events.emit(name, egress: info)
    }

    // MARK: Stop, list

    /// StopEgress: detaches the recording and finishes its file; answers with status `ending`
    /// (ListEgress shows `complete` once the file is final, a few milliseconds later).
    public func stop(egressID: String) throws(EgressError) -> Livekit_EgressInfo {
        guard let recording = active.withLock({ $0[egressID] }) else {
            let record: RecordingRecord?
            do { record = try store.recording(id: egressID) } catch { throw .internal("store: \(error)") }
            guard let record else { throw .notFound("egress \(egressID) not found") }
            throw .failedPrecondition("egress \(egressID) has already ended (\(record.status.rawValue))")
        }
        guard recording.beginStop() else { throw .failedPrecondition("egress \(egressID) is already ending") }
        defer { recording.detachStopped() }
        return try info(id: egressID)
    }

    /// ListEgress: running and finished recordings from the store, oldest first.
    public func list(roomName: String, egressID: String, activeOnly: Bool) throws(EgressError) -> [Livekit_EgressInfo] {
        do {
            return try store.recordings(RecordingQuery(roomName: roomName, id: egressID, unfinishedOnly: activeOnly))
                .map { Livekit_EgressInfo($0, paths: paths) }
        } catch {
            throw .internal("store: \(error)")
        }
    }

    /// One recording's EgressInfo from the store.
    public func info(id: String) throws(EgressError) -> Livekit_EgressInfo {
        let record: RecordingRecord?
        do { record = try store.recording(id: id) } catch { throw .internal("store: \(error)") }
        guard let record else { throw .notFound("egress \(id) not found") }
        return Livekit_EgressInfo(record, paths: paths)
    }

    // MARK: Shutdown

    /// Stops every recording and waits (at most `timeout`) for their files to be final: the
    /// server's graceful shutdown, after the rooms closed.
    public func shutdown(timeout: Duration = .seconds(5)) async {
        for recording in active.withLock({ Array($0.values) }) { _ = recording.stop() }
        // Room recordings end with the server: each manifest is complete once its files are.
        let rooms = manifests.withLock { Array($0.values) }
        for manifest in rooms { manifest.roomClosed() }
        let deadline = ContinuousClock.now + timeout
        while activeCount > 0 || !manifests.withLock({ $0.isEmpty }), ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        for manifest in rooms { manifest.flush() }
        if activeCount > 0 { logger.warning("shutdown: \(activeCount) recording(s) not finished in time; repaired at next start") }
    }
}
