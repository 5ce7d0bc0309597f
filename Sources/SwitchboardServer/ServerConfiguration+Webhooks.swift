import Webhooks

/// `webhook:` settings (livekit-server's `webhook.api_key`, `webhook.urls`, plus `max_age`).
extension ServerConfiguration {
    /// The key that signs webhook requests: `webhook.api_key`, or the only configured key.
    public var effectiveWebhookAPIKey: String? {
        webhookAPIKey ?? (keys.count == 1 ? keys.first?.key : nil)
    }

    /// What the notifier runs with; nil when no webhook URL is configured.
    public var webhookConfiguration: WebhookConfiguration? {
        guard !webhookURLs.isEmpty, let key = effectiveWebhookAPIKey, let secret = keys[key] else { return nil }
        var configuration = WebhookConfiguration(urls: webhookURLs, apiKey: key, secret: secret)
        configuration.maxAge = webhookMaxAgeSeconds
        return configuration
    }

    /// Checks the webhook settings, naming the offending key.
    func validateWebhooks() throws(ConfigurationError) {
        guard !webhookURLs.isEmpty else { return }
        for url in webhookURLs {
            do { _ = try WebhookEndpoint(url) } catch { throw .invalid(key: "webhook.urls", reason: error.description) }
        }
        if let key = webhookAPIKey {
            if keys[key] == nil { throw .invalid(key: "webhook.api_key", reason: "\(key) is not one of the configured keys") }
        } else if keys.count != 1 {
            throw .invalid(key: "webhook.api_key", reason: "required when \(keys.count) keys are configured (it defaults to the only key)")
        }
        if !(webhookMaxAgeSeconds > 0) { throw .invalid(key: "webhook.max_age", reason: "must be positive") }
    }
}
