import Foundation

/// A webhook URL taken apart for an HTTP/1.1 request. Plain `http` only: the client is NIO
/// without TLS (put a TLS-terminating proxy in front of an https receiver).
public struct WebhookEndpoint: Sendable, Hashable {
    public let url: String
    public let host: String
    public let port: Int
    /// Path and query, as the request line carries them.
    public let target: String

    public enum ParseError: Error, Equatable, CustomStringConvertible {
        case invalid(String)
        case unsupportedScheme(String)

        public var description: String {
            switch self {
            case .invalid(let url): "\(url) is not a valid URL"
            case .unsupportedScheme(let url): "\(url): only http:// URLs are supported (no TLS client; use a proxy for https)"
            }
        }
    }

    public init(_ url: String) throws(ParseError) {
        guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty else { throw .invalid(url) }
        guard scheme == "http" else { throw .unsupportedScheme(url) }
        if let port = components.port, !(1...65_535).contains(port) { throw .invalid(url) }
        self.url = url
        // URLComponents keeps an IPv6 literal's brackets in `host` on some platforms.
        self.host = host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host
        port = components.port ?? 80
        let path = components.percentEncodedPath.isEmpty ? "/" : components.percentEncodedPath
        target = components.percentEncodedQuery.map { path + "?" + $0 } ?? path
    }

    /// The `Host` header: the port only when it is not the default.
    var hostHeader: String {
        let name = host.contains(":") ? "[\(host)]" : host
        return port == 80 ? name : "\(name):\(port)"
    }
}
