import Foundation
import Logging
import Store

/// Start-up fix-up of room manifests a previous process left `recording` (a crash): each
/// entry still running takes its recording's final state from the store (which
/// `RecordingRecovery` has just repaired) and the manifest becomes `recovered`, ended at its
/// last write. Manifests live at the top of the recordings directory, so only that directory
/// is read. Temporary files of an interrupted write are removed: the manifest next to them is
/// the last complete version.
enum RoomManifestRecovery {
    static func run(store: SwitchboardStore, paths: RecordingPaths, logger: Logger) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: paths.root) else { return [] }
        var recovered: [String] = []
        for name in names.sorted() {
            let path = paths.absolute(name)
            if name.hasSuffix(".json" + AtomicFile.temporarySuffix) {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            guard name.hasSuffix(".json"), let data = FileManager.default.contents(atPath: path),
                  var manifest = try? RoomManifest.decode(data), manifest.format == RoomManifest.formatName,
                  manifest.status == .recording else { continue }
            for index in manifest.participants.indices {
                let entry = manifest.participants[index]
                guard RecordingRecord.Status(rawValue: entry.status)?.isUnfinished ?? true,
                      let record = try? store.recording(id: entry.egressId) else { continue }
                manifest.participants[index].status = record.status.rawValue
                manifest.participants[index].durationMs = record.durationMilliseconds
                manifest.participants[index].bytes = record.bytes
                manifest.participants[index].error = record.error
            }
            let modified = (try? FileManager.default.attributesOfItem(atPath: path)[.modificationDate]) as? Date
            manifest.status = .recovered
            manifest.endedAtUnixMs = Int64((modified ?? Date()).timeIntervalSince1970 * 1000)
            manifest.updateOffsets()
            do {
                try AtomicFile.write(try manifest.encoded(), to: path)
                recovered.append(name)
                logger.notice("recordings: room manifest \(name) left by a previous run marked recovered")
            } catch {
                logger.error("recordings: cannot fix room manifest \(name): \(error)")
            }
        }
        return recovered
    }
}
