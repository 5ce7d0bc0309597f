import Foundation

/// Chat attachments on disk: `<directory>/<room key>/<uuid>`. The room key is a hash of the room
/// name (any name, any length, becomes a safe directory name); the database row has the path.
public enum ChatAttachmentFiles {
    public enum Failure: Error, CustomStringConvertible {
        case write(String)
        public var description: String { switch self { case .write(let m): "attachment: \(m)" } }
    }

    /// Attachment bytes kept per room, at most; beyond it new files are forwarded but not kept.
    public static let roomQuotaBytes = 256 << 20

    static func remove(path: String, under directory: String) {
        guard let url = url(path: path, under: directory) else { return }
        try? FileManager.default.removeItem(at: url)
    }

    /// Writes the bytes (to a temporary name first, so a crash never leaves half a file under
    /// the real one); returns the path relative to `directory`.
    static func write(_ bytes: [UInt8], room: String, under directory: String) throws -> String {
        let relative = "\(roomKey(room))/\(UUID().uuidString.lowercased())"
        let url = URL(fileURLWithPath: directory).appendingPathComponent(relative)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(bytes).write(to: url, options: .atomic)
        } catch {
            throw Failure.write("\(error)")
        }
        return relative
    }

    /// The file of a stored attachment; nil if the path would leave `directory`.
    public static func url(path: String, under directory: String) -> URL? {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { return nil }
        return URL(fileURLWithPath: directory).appendingPathComponent(path)
    }

    /// FNV-1a (64 bit) of the name, in hex.
    static func roomKey(_ room: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in room.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
}
