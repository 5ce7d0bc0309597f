import Hummingbird

/// Headers every HTTP answer gets, and CORS for an allowlist of browser origins.
///
/// - Security headers: `nosniff` (no content-type guessing), `X-Frame-Options: DENY` and
///   `frame-ancestors 'none'` (no framing of the demo page), `no-referrer` (tokens travel in
///   query strings of `/rtc`; they must not leak through Referer), and HSTS when served over TLS.
/// - CORS (Fetch standard §3.2): an `Origin` on the allowlist (or any, with `*`) is echoed in
///   `Access-Control-Allow-Origin` with `Vary: Origin`; `Location`, `ETag` and `Link` are exposed
///   for WHIP/WHEP clients. A preflight (`OPTIONS` with `Access-Control-Request-Method`) is
///   answered here: 204 for an allowed origin, 403 otherwise. Origins not on the list get no
///   CORS headers, so browsers keep their pages out.
struct HTTPHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    let allowedOrigins: Set<String>
    let tls: Bool

    static var allowedMethods: String { "GET, POST, PATCH, DELETE, OPTIONS" }
    static var allowedHeaders: String { "Authorization, Content-Type, If-Match" }
    static var exposedHeaders: String { "Location, ETag, Link, Accept-Patch" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let origin = request.headers[.origin]
        let allowed = origin.map { allowedOrigins.contains("*") || allowedOrigins.contains($0) } ?? false
        if request.method == .options, request.headers[.accessControlRequestMethod] != nil {
            var response = Response(status: allowed ? .noContent : .forbidden)
            if allowed, let origin {
                response.headers[.accessControlAllowOrigin] = origin
                response.headers[.accessControlAllowMethods] = Self.allowedMethods
                response.headers[.accessControlAllowHeaders] = Self.allowedHeaders
                response.headers[.accessControlMaxAge] = "600"
            }
            if !allowedOrigins.isEmpty { Self.addVaryOrigin(&response) }
            return secured(response)
        }
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            response = try error.response(from: request, context: context)
        } catch {
            // What Hummingbird would answer, but with the headers below.
            response = Response(status: .internalServerError)
        }
        if allowed, let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.accessControlExposeHeaders] = Self.exposedHeaders
        }
        // Caches must key on Origin whenever the answer may depend on it (Fetch §3.2.5).
        if !allowedOrigins.isEmpty { Self.addVaryOrigin(&response) }
        return secured(response)
    }

    private static func addVaryOrigin(_ response: inout Response) {
        let existing = response.headers[.vary] ?? ""
        guard !existing.lowercased().split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == "origin" }) else { return }
        response.headers[.vary] = existing.isEmpty ? "Origin" : existing + ", Origin"
    }

    private func secured(_ response: Response) -> Response {
        var response = response
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.init("X-Frame-Options")!] = "DENY"
        response.headers[.init("Referrer-Policy")!] = "no-referrer"
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = "frame-ancestors 'none'" }
        if tls { response.headers[.strictTransportSecurity] = "max-age=31536000" }
        return response
    }
}
