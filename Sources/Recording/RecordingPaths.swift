import Foundation

/// Where recording files go: every file lives under one directory (`<data-dir>/recordings` by
/// default). Requested paths are relative to it; one that would leave it (`..`, an absolute
/// path elsewhere, a symlink out) is refused, so an API caller cannot write anywhere else on
/// the server.
///
/// Templates as LiveKit's egress knows them are filled in: `{room_name}`, `{room_id}`,
/// `{publisher_identity}`, `{track_id}`, `{track_type}`, `{track_source}`, `{time}`, `{utc}`.
public struct RecordingPaths: Sendable {
    /// The recordings directory, absolute and without symlinks.
    public let root: String

    /// Creates the directory if needed.
    public init(root: String) throws(EgressError) {
        let absolute = URL(fileURLWithPath: root).standardizedFileURL.path
        do {
            try FileManager.default.createDirectory(atPath: absolute, withIntermediateDirectories: true)
        } catch {
            throw .internal("cannot create the recordings directory \(absolute): \(error.localizedDescription)")
        }
        self.root = Self.realPath(absolute) ?? absolute
    }

    /// The absolute path of a stored (relative) file path.
    public func absolute(_ relative: String) -> String { root + "/" + relative }

    /// Resolves a requested `filepath` into a new file's relative and absolute paths, creating
    /// its directories. Empty, or ending in `/`, uses `defaultName`; no extension adds
    /// `fileExtension`; another extension is refused (the container is fixed by the codec).
    func newFile(requested: String, defaultName: String, fileExtension: String,
                 values: [String: String]) throws(EgressError) -> (relative: String, absolute: String) {
        guard !requested.contains("\0") else { throw .invalidArgument("filepath contains a NUL character") }
        var path = requested
        if path.hasPrefix("/") {
            // An absolute path is accepted only inside the recordings directory.
            guard path.hasPrefix(root + "/") else {
                throw .invalidArgument("filepath must be inside the recordings directory (\(root)); give it relative to it")
            }
            path.removeFirst(root.count + 1)
        }
        let named = !(path.isEmpty || path.hasSuffix("/"))
        if !named { path += defaultName }
        path = Self.fill(path, values)

        var components: [String] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            guard component != ".." else { throw .invalidArgument("filepath must not leave the recordings directory (\"..\")") }
            if component != "." { components.append(String(component)) }
        }
        guard var name = components.popLast() else { throw .invalidArgument("filepath names no file") }
        let suffix = "." + fileExtension
        if let dot = name.lastIndex(of: "."), dot != name.startIndex {
            let given = name[dot...].lowercased()
            guard given == suffix else {
                throw .invalidArgument("this recording is written as \(suffix), not \(given)")
            }
        } else {
            name += suffix
        }
        let directory = ([root] + components).joined(separator: "/")
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .invalidArgument("cannot create directory \((components).joined(separator: "/")): \(error.localizedDescription)")
        }
        // A symlinked directory must not lead outside either.
        guard let real = Self.realPath(directory), real == root || real.hasPrefix(root + "/") else {
            throw .invalidArgument("filepath must not leave the recordings directory (symlink)")
        }
        // A default name taken already (same participant again within a second) gets a suffix;
        // a name the caller chose is never overwritten.
        var candidate = name
        var attempt = 1
        while FileManager.default.fileExists(atPath: real + "/" + candidate) {
            guard !named, attempt < 100 else {
                throw .alreadyExists("file \((components + [candidate]).joined(separator: "/")) already exists")
            }
            attempt += 1
            candidate = String(name.dropLast(suffix.count)) + "-\(attempt)" + suffix
        }
        let relative = (components + [candidate]).joined(separator: "/")
        return (relative, root + "/" + relative)
    }

    /// Replaces `{name}` placeholders; values cannot add directories (`/` becomes `_`).
    static func fill(_ template: String, _ values: [String: String]) -> String {
        var out = template
        for (key, value) in values {
            let safe = value.replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "\0", with: "_")
            out = out.replacingOccurrences(of: "{\(key)}", with: safe)
        }
        return out
    }

    /// Template values for a recording starting now.
    static func values(roomName: String, roomSid: String, identity: String = "", trackSid: String = "",
                       trackType: String = "", trackSource: String = "", now: Date = Date()) -> [String: String] {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd'T'HHmmss"
        return ["room_name": roomName, "room_id": roomSid, "publisher_identity": identity, "track_id": trackSid,
                "track_type": trackType, "track_source": trackSource, "time": formatter.string(from: now),
                "utc": String(Int(now.timeIntervalSince1970))]
    }

    private static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
