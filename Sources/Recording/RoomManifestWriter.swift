import Dispatch
import Foundation
import Logging
import MediaTransport
import Recorder
import SFU
import Store
import Synchronization

/// Keeps one room's manifest (`RoomManifest`) current on disk while the room is recorded with
/// `auto_record`: an entry per participant recording as it is created, its tracks and its
/// start on the common time base as they become known, its outcome when it ends; `complete`
/// once the room has closed and every recording has ended.
///
/// Changes come from the room's actor and the recordings' writer queues; they update the
/// document under a lock and schedule a write on a serial queue of its own (a burst of changes
/// is written once). Every write replaces the whole file atomically (`AtomicFile`), so a crash
/// leaves the previous version, never a torn one.
public final class RoomManifestWriter: Sendable {
    /// Relative to the recordings directory, and absolute.
    public let file: String
    let path: String
    private let logger: Logger
    private let queue: DispatchQueue
    private let state: Mutex<State>
    /// Called once (on the write queue) after the final version is on disk.
    private let onFinished: @Sendable (RoomManifestWriter) -> Void

    struct State {
        var manifest: RoomManifest
        /// Changes made (the new document is the first) and the change last written.
        var version = 1
        var written = 0
        var roomClosed = false
        var finished = false
    }

    init(roomName: String, roomSid: String, file: String, path: String, logger: Logger,
         onFinished: @escaping @Sendable (RoomManifestWriter) -> Void = { _ in }) {
        self.file = file
        self.path = path
        self.logger = logger
        self.onFinished = onFinished
        queue = DispatchQueue(label: "sb-manifest-\(roomSid)", qos: .utility, target: .global(qos: .utility))
        state = Mutex(State(manifest: RoomManifest(roomName: roomName, roomSid: roomSid, startedAt: Date())))
        scheduleWrite()
    }

    /// The document now (tests).
    public var manifest: RoomManifest { state.withLock { $0.manifest } }

    // MARK: Changes

    /// A participant recording was created (no media yet).
    func added(egressID: String, identity: String, file: String) {
        update { manifest in
            manifest.participants.append(RoomManifest.Participant(egressId: egressID, identity: identity, file: file,
                                                                  status: RecordingRecord.Status.starting.rawValue))
        }
    }

    /// The recording was given a tap for `track`.
    func trackRecorded(egressID: String, _ track: RecordedTrack) {
        update(egressID) { entry in
            entry.participantSid = track.participantSid
            guard !entry.tracks.contains(where: { $0.sid == track.trackSid }) else { return }
            entry.tracks.append(RoomManifest.Track(sid: track.trackSid, kind: track.kind == .audio ? "audio" : "video",
                                                   mimeType: track.mimeType, source: "\(track.source)"))
        }
    }

    /// The first frame is in the file: its time zero is known. `arrivalToUnix` converts the
    /// recorder's arrival clock (monotonic) to Unix nanoseconds.
    func started(egressID: String, timeBase: RecordingTimeBase?, arrivalToUnix: Int64) {
        update(egressID) { entry in
            entry.status = RecordingRecord.Status.active.rawValue
            guard let timeBase else { return }
            entry.startUnixNs = timeBase.arrivalClock + arrivalToUnix
            entry.senderStartUnixNs = timeBase.senderWallclock
            entry.sync = timeBase.synchronisedBy == .senderReport ? "sender_report" : "arrival"
        }
    }

    func statusChanged(egressID: String, _ status: RecordingRecord.Status) {
        update(egressID) { entry in
            // A final status is never taken back by a late `ending`.
            if RecordingRecord.Status(rawValue: entry.status)?.isUnfinished ?? true { entry.status = status.rawValue }
        }
    }

    /// The recording's file is final (or the recording failed).
    func ended(egressID: String, _ outcome: RecordingOutcome) {
        update(egressID) { entry in
            entry.status = outcome.status.rawValue
            entry.durationMs = outcome.durationMilliseconds
            entry.bytes = outcome.bytes
            entry.error = outcome.error
        }
    }

    /// The room closed (or the server is shutting down): no new participants; the manifest is
    /// complete once the running recordings have ended.
    func roomClosed() {
        state.withLock { $0.roomClosed = true }
        scheduleWrite()
    }

    /// Waits until every scheduled write is done (shutdown, tests).
    public func flush() {
        queue.sync {}
    }

    // MARK: Writing

    private func update(_ body: (inout RoomManifest) -> Void) {
        state.withLock { state in
            guard !state.finished else { return }
            body(&state.manifest)
            state.version += 1
        }
        scheduleWrite()
    }

    private func update(_ egressID: String, _ body: (inout RoomManifest.Participant) -> Void) {
        update { manifest in
            guard let index = manifest.participants.firstIndex(where: { $0.egressId == egressID }) else { return }
            body(&manifest.participants[index])
        }
    }

    private func scheduleWrite() {
        queue.async { [self] in
            let (snapshot, finishing): (RoomManifest?, Bool) = state.withLock { state in
                guard !state.finished else { return (nil, false) }
                let done = state.roomClosed && state.manifest.participants.allSatisfy {
                    !(RecordingRecord.Status(rawValue: $0.status)?.isUnfinished ?? false)
                }
                if done {
                    state.manifest.status = .complete
                    state.manifest.endedAtUnixMs = Int64(Date().timeIntervalSince1970 * 1000)
                    state.finished = true
                } else if state.written == state.version {
                    return (nil, false)  // an earlier block of the burst wrote this version already
                }
                state.manifest.updateOffsets()
                state.written = state.version
                return (state.manifest, done)
            }
            guard let snapshot else { return }
            do {
                try AtomicFile.write(try snapshot.encoded(), to: path)
            } catch {
                logger.error("room manifest not written: \(error)", metadata: ["file": "\(file)"])
            }
            if finishing {
                logger.info("room recording complete", metadata: ["manifest": "\(file)",
                                                                  "participants": "\(snapshot.participants.count)"])
                onFinished(self)
            }
        }
    }

    /// Offset to add to a monotonic (arrival) time to get Unix nanoseconds, measured now.
    static func arrivalToUnixOffset() -> Int64 {
        var realtime = timespec()
        clock_gettime(CLOCK_REALTIME, &realtime)
        let unix = Int64(realtime.tv_sec) * 1_000_000_000 + Int64(realtime.tv_nsec)
        return unix - monotonicNanoseconds()
    }
}
