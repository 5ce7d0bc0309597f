import Foundation
import Glibc

/// One HTTP/1.1 request over a fresh TCP connection (`Connection: close`), blocking, with a
/// deadline. Enough for WHIP/WHEP against a server on this machine or a LAN; plain http only.
struct HTTPRequest {
    struct Response {
        let status: Int
        let headers: [String: String]
        let body: String
    }

    enum Failure: Error, CustomStringConvertible {
        case badURL(String)
        case connect(String)
        case io(String)
        case malformed(String)

        var description: String {
            switch self {
            case .badURL(let m): return "bad URL: \(m)"
            case .connect(let m): return "connect: \(m)"
            case .io(let m): return "I/O: \(m)"
            case .malformed(let m): return "malformed response: \(m)"
            }
        }
    }

    /// `http://host:port` and a path, as split by `init(url:)`.
    let host: String
    let port: UInt16
    let basePath: String

    init(url: String) throws(Failure) {
        guard url.hasPrefix("http://") else {
            throw .badURL("\(url): only http:// is supported (put TLS termination in front of the load generator's target)")
        }
        let rest = url.dropFirst("http://".count)
        let authority = rest.prefix { $0 != "/" }
        basePath = String(rest.dropFirst(authority.count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
            host = String(authority[authority.index(after: authority.startIndex)..<close])
            port = UInt16(authority[close...].dropFirst(2)) ?? 80
        } else if let colon = authority.lastIndex(of: ":") {
            host = String(authority[..<colon])
            port = UInt16(authority[authority.index(after: colon)...]) ?? 80
        } else {
            host = String(authority)
            port = 80
        }
        guard !host.isEmpty else { throw .badURL(url) }
    }

    /// `path` is absolute ("/whip/room") or relative to the URL's own path.
    func send(method: String, path: String, headers: [String: String] = [:], body: String = "",
              timeout: Double = 10) throws(Failure) -> Response {
        var path = path
        if path.hasPrefix("http://") || path.hasPrefix("https://") {
            // An absolute Location: its path (the load generator talks to one server).
            let rest = path.drop { $0 != "/" }.dropFirst(2)
            path = String(rest.drop { $0 != "/" })
        }
        let target = path.hasPrefix("/") ? path : "/" + (basePath.isEmpty ? "" : basePath + "/") + path
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, String(port), &hints, &list) == 0, let info = list else { throw .connect("cannot resolve \(host)") }
        defer { freeaddrinfo(list) }
        let fd = socket(info.pointee.ai_family, info.pointee.ai_socktype, 0)
        guard fd >= 0 else { throw .connect("socket: errno \(errno)") }
        defer { close(fd) }
        var tv = timeval(tv_sec: Int(timeout), tv_usec: Int((timeout - timeout.rounded(.down)) * 1e6))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        guard connect(fd, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0 else {
            throw .connect("\(host):\(port): errno \(errno)")
        }
        let hostHeader = host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
        var head = "\(method) \(target) HTTP/1.1\r\nHost: \(hostHeader)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let bodyBytes = Array(body.utf8)
        head += "Content-Length: \(bodyBytes.count)\r\n\r\n"
        let request = Array(head.utf8) + bodyBytes
        var sent = 0
        while sent < request.count {
            let n = request[sent...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { throw .io("send: errno \(errno)") }
            sent += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while response.count < 1 << 20 {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n == 0 { break }
            guard n > 0 else { throw .io("recv: errno \(errno)") }
            response += buffer[0..<n]
        }
        return try Self.parse(response)
    }

    static func parse(_ bytes: [UInt8]) throws(Failure) -> Response {
        let text = String(decoding: bytes, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw .malformed("no header end") }
        let lines = text[..<split.lowerBound].components(separatedBy: "\r\n")
        let statusParts = lines[0].split(separator: " ")
        guard statusParts.count >= 2, let status = Int(statusParts[1]) else { throw .malformed(lines[0]) }
        var headers: [String: String] = [:]
        for line in lines.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        var body = String(text[split.upperBound...])
        if headers["transfer-encoding"]?.lowercased() == "chunked" { body = dechunk(body) }
        return Response(status: status, headers: headers, body: body)
    }

    /// RFC 9112 §7.1, on bytes (a String would merge "\r\n" into one Character).
    private static func dechunk(_ text: String) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = [], position = 0
        while let lineEnd = (position..<max(position, bytes.count - 1)).first(where: { bytes[$0] == 13 && bytes[$0 + 1] == 10 }) {
            let sizeText = String(decoding: bytes[position..<lineEnd], as: UTF8.self).split(separator: ";").first ?? ""
            guard let size = Int(sizeText.trimmingCharacters(in: .whitespaces), radix: 16), size > 0 else { break }
            let start = lineEnd + 2, end = min(bytes.count, start + size)
            out += bytes[start..<end]
            position = end + 2
        }
        return String(decoding: out, as: UTF8.self)
    }
}
