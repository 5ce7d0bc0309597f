import Foundation

/// Where webhook events go, how they are signed, and how long delivery keeps trying.
public struct WebhookConfiguration: Sendable, Equatable {
    /// Endpoints: every event is POSTed to each (`webhook.urls`).
    public var urls: [String]
    /// The API key whose secret signs the requests (`webhook.api_key`).
    public var apiKey: String
    public var secret: String
    /// An event not delivered this long after it happened is given up on and kept as `failed`
    /// in the outbox (`webhook.max_age`, default 24 h).
    public var maxAge: TimeInterval = 24 * 3600
    /// Connect, send and answer, per request.
    public var requestTimeout: TimeInterval = 10
    /// The first retry waits this long; each further one twice as long, up to `maxRetryDelay`.
    public var initialRetryDelay: TimeInterval = 1
    public var maxRetryDelay: TimeInterval = 60
    /// Requests in flight at once, over all endpoints and rooms.
    public var maxConcurrentRequests = 8

    public init(urls: [String], apiKey: String, secret: String) {
        self.urls = urls
        self.apiKey = apiKey
        self.secret = secret
    }

    /// How long to wait before the next attempt, after `attempts` failed ones (1, 2, ...).
    public func retryDelay(afterAttempts attempts: Int) -> TimeInterval {
        let exponent = Double(max(0, min(attempts - 1, 30)))
        return min(initialRetryDelay * pow(2, exponent), maxRetryDelay)
    }
}
