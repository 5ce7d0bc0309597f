import Foundation
import Logging
import Recorder
import Store

/// Start-up repair of recordings a previous process left running (crash, kill -9): their files
/// end at the last page or cluster written, without Cues, Duration or end-of-stream. Each is
/// finalized in place (`OggRepair` / `WebMRepair`) and marked `recovered`; a missing or
/// unreadable file marks it `failed`.
public enum RecordingRecovery {
    /// What start-up did.
    public struct Report: Sendable, Equatable {
        public var recovered: [String] = []
        public var failed: [String] = []
        /// Room manifests (file names) left `recording`, now `recovered`.
        public var manifests: [String] = []
    }

    /// Repairs every unfinished recording in `store`. Run before serving, so no recording of
    /// this process can be mistaken for a leftover.
    @discardableResult
    public static func run(store: SwitchboardStore, paths: RecordingPaths, logger: Logger) -> Report {
        var report = Report()
        let leftovers: [RecordingRecord]
        do { leftovers = try store.unfinishedRecordings() } catch {
            logger.error("recordings: cannot read unfinished recordings: \(error)")
            return report
        }
        for record in leftovers {
            let path = paths.absolute(record.filePath)
            let outcome: RecordingOutcome
            var endedAt = Date()
            if let attributes = try? FileManager.default.attributesOfItem(atPath: path) {
                // The last write is when the recording really stopped.
                if let modified = attributes[.modificationDate] as? Date { endedAt = modified }
                do {
                    let duration = try repair(path: path)
                    let size = (try? FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.int64Value
                    outcome = RecordingOutcome(status: .recovered, durationMilliseconds: duration, bytes: size,
                                               error: "the server stopped while recording; the file was repaired")
                } catch {
                    outcome = RecordingOutcome(status: .failed, bytes: (attributes[.size] as? NSNumber)?.int64Value,
                                               error: "the server stopped while recording; the file could not be repaired: \(error)")
                }
            } else {
                outcome = RecordingOutcome(status: .failed, error: "the server stopped while recording; the file is missing")
            }
            do {
                try store.finishRecording(id: record.id, outcome: outcome, at: endedAt)
            } catch {
                logger.error("recordings: cannot mark \(record.id): \(error)")
                continue
            }
            if outcome.status == .recovered {
                report.recovered.append(record.id)
                logger.notice("recordings: repaired \(record.filePath) left by a previous run",
                              metadata: ["egress": "\(record.id)", "duration_ms": "\(outcome.durationMilliseconds ?? 0)"])
            } else {
                report.failed.append(record.id)
                logger.warning("recordings: \(record.filePath) left by a previous run is lost: \(outcome.error ?? "")",
                               metadata: ["egress": "\(record.id)"])
            }
        }
        report.manifests = RoomManifestRecovery.run(store: store, paths: paths, logger: logger)
        return report
    }

    /// Finalizes the file at `path` (Ogg or WebM by extension); returns its playable duration
    /// in milliseconds.
    static func repair(path: String) throws(RecorderError) -> Int64 {
        if path.hasSuffix(".ogg") {
            return try OggRepair.repair(path: path).duration / 48
        }
        return try WebMRepair.repair(path: path).durationMilliseconds
    }
}
