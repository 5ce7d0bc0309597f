import Foundation
import Hummingbird
import NIOCore
import Signalling

/// The demo web app (`web/`): plain HTML, CSS and ES modules served as they are, no build step.
///
/// Only files that were in the directory at start-up are served (a fixed name -> file table, so
/// no request path ever reaches the file system). In development mode each request re-reads
/// its file, so editing the page needs no restart.
struct WebAssets: Sendable {
    let directory: String
    let rereadOnRequest: Bool
    private let files: [String: Asset]

    struct Asset: Sendable {
        let path: String
        let contentType: String
        let body: ByteBuffer
    }

    static let maxFileBytes = 4 << 20

    /// Finds the web directory: explicit, else `./web`, else beside the executable's checkout
    /// (`.build/<triple>/<config>/switchboard` -> `web/`).
    static func locate(explicit: String?) -> String? {
        if let explicit { return explicit }
        var candidates = ["web"]
        let executable = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        for up in 1...4 {
            var dir = executable
            for _ in 0..<up { dir = dir.deletingLastPathComponent() }
            candidates.append(dir.appendingPathComponent("web").path)
        }
        return candidates.first { FileManager.default.fileExists(atPath: ($0 as NSString).appendingPathComponent("index.html")) }
    }

    init(directory: String, rereadOnRequest: Bool) throws {
        self.directory = directory
        self.rereadOnRequest = rereadOnRequest
        var files: [String: Asset] = [:]
        let names = try FileManager.default.contentsOfDirectory(atPath: directory)
        for name in names where !name.hasPrefix(".") {
            guard let type = Self.contentType(of: name) else { continue }
            let path = (directory as NSString).appendingPathComponent(name)
            guard let body = Self.read(path) else { continue }
            files[name] = Asset(path: path, contentType: type, body: body)
        }
        self.files = files
    }

    var fileNames: [String] { files.keys.sorted() }

    func register(on router: Router<SwitchboardRequestContext>) {
        let assets = self
        router.get("/") { _, _ in assets.response(for: "index.html") }
        for name in files.keys {
            router.get("/\(name)") { _, _ in assets.response(for: name) }
        }
    }

    func response(for name: String) -> Response {
        guard let asset = files[name] else { return Response(status: .notFound) }
        let body = rereadOnRequest ? (Self.read(asset.path) ?? asset.body) : asset.body
        return Response(status: .ok,
                        headers: [.contentType: asset.contentType, .cacheControl: "no-cache",
                                  .init("X-Content-Type-Options")!: "nosniff"],
                        body: .init(byteBuffer: body))
    }

    private static func read(_ path: String) -> ByteBuffer? {
        guard let data = FileManager.default.contents(atPath: path), data.count <= maxFileBytes else { return nil }
        return ByteBuffer(bytes: data)
    }

    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension.lowercased() {
        case "html": "text/html; charset=utf-8"
        case "js", "mjs": "text/javascript; charset=utf-8"
        case "css": "text/css; charset=utf-8"
        case "svg": "image/svg+xml"
        case "png": "image/png"
        case "ico": "image/x-icon"
        case "json": "application/json"
        default: nil
        }
    }
}
