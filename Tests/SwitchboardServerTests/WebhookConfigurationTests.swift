import XCTest
@testable import SwitchboardServer

/// `webhook:` in the config file, as livekit-server spells it.
final class WebhookConfigurationTests: XCTestCase {
    private let secret = "0123456789abcdef0123456789abcdef"

    func testWebhookSectionWithLiveKitKeyNames() throws {
        var config = ServerConfiguration()
        try ConfigurationFile.apply(yaml: """
            keys:
              one: \(secret)
              two: \(secret)x
            webhook:
              api_key: two
              urls:
                - http://127.0.0.1:9000/hook
                - http://hooks.internal/lk
              max_age: 6h
            """, to: &config)
        XCTAssertNoThrow(try config.validate())
        let hooks = try XCTUnwrap(config.webhookConfiguration)
        XCTAssertEqual(hooks.urls, ["http://127.0.0.1:9000/hook", "http://hooks.internal/lk"])
        XCTAssertEqual(hooks.apiKey, "two")
        XCTAssertEqual(hooks.secret, secret + "x")
        XCTAssertEqual(hooks.maxAge, 6 * 3600)
    }

    func testAPIKeyDefaultsToTheOnlyKey() throws {
        var config = ServerConfiguration()
        XCTAssertNil(config.webhookConfiguration, "no URLs, no webhooks")
        config.keys = ["only": secret]
        config.webhookURLs = ["http://127.0.0.1:9000/hook"]
        XCTAssertNoThrow(try config.validate())
        XCTAssertEqual(config.webhookConfiguration?.apiKey, "only")
        XCTAssertEqual(config.webhookConfiguration?.maxAge, 24 * 3600)
    }

    func testBadWebhookSettingsAreNamed() throws {
        var config = ServerConfiguration()
        config.keys = ["a": secret, "b": secret]
        config.webhookURLs = ["http://127.0.0.1:9000/hook"]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".contains("webhook.api_key"), "\($0)") }
        config.webhookAPIKey = "c"
        XCTAssertThrowsError(try config.validate()) {
            XCTAssertEqual("\($0)", "config: webhook.api_key: c is not one of the configured keys")
        }
        config.webhookAPIKey = "a"
        config.webhookURLs = ["https://hooks.example/"]
        XCTAssertThrowsError(try config.validate()) { XCTAssertTrue("\($0)".hasPrefix("config: webhook.urls: "), "\($0)") }
        XCTAssertThrowsError(try ConfigurationFile.apply(yaml: "webhook:\n  url: http://x/\n", to: &config)) {
            XCTAssertEqual($0 as? ConfigurationError, .unknownKey("webhook.url"))
        }
    }
}
