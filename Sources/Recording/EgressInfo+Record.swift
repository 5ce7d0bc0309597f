import Foundation
import LiveKitProtocol
import Store

extension Livekit_EgressInfo {
    /// LiveKit's view of a stored recording. Times are Unix nanoseconds, as LiveKit's egress
    /// reports them; the file result names the file relative to the recordings directory
    /// (`filename`) and where it is on the server (`location`).
    public init(_ record: RecordingRecord, paths: RecordingPaths) {
        self.init()
        egressID = record.id
        roomID = record.roomSid
        roomName = record.roomName
        sourceType = .sdk
        status = record.status.egressStatus
        startedAt = Self.nanoseconds(record.startedAt)
        if let ended = record.endedAt { endedAt = Self.nanoseconds(ended) }
        updatedAt = Self.nanoseconds(record.endedAt ?? Date())
        switch record.status {
        case .failed:
            error = record.error ?? "recording failed"
        case .recovered:
            // A recording cut short by a crash whose file was repaired: it plays up to the last
            // page/cluster written. Complete for LiveKit clients; `details` says what happened.
            details = "recovered: " + (record.error ?? "the server stopped while recording; the file was repaired")
        default:
            break
        }
        if let bytes = record.request {
            switch record.kind {
            case .track:
                if let request = try? Livekit_TrackEgressRequest(serializedBytes: bytes) { self.request = .track(request) }
            case .participant:
                if let request = try? Livekit_ParticipantEgressRequest(serializedBytes: bytes) { self.request = .participant(request) }
            }
        }
        var file = Livekit_FileInfo()
        file.filename = record.filePath
        file.location = paths.absolute(record.filePath)
        file.startedAt = startedAt
        file.endedAt = endedAt
        file.duration = (record.durationMilliseconds ?? 0) * 1_000_000
        file.size = record.bytes ?? 0
        fileResults = [file]
        // The deprecated single result, for clients that still read it.
        result = .file(file)
    }

    private static func nanoseconds(_ date: Date) -> Int64 { Int64(date.timeIntervalSince1970 * 1_000_000_000) }
}

extension RecordingRecord.Status {
    /// LiveKit's status; `recovered` (a file repaired after a crash) is complete, with `details`.
    var egressStatus: Livekit_EgressStatus {
        switch self {
        case .starting: .egressStarting
        case .active: .egressActive
        case .ending: .egressEnding
        case .complete, .recovered: .egressComplete
        case .failed: .egressFailed
        }
    }
}
