import AccessTokens
import Crypto
import Foundation
import Store
@testable import Webhooks
import XCTest

/// What a receiver checks: the headers, the JWT (key, secret, lifetime) and its `sha256` claim
/// against the body, as livekit-api's WebhookReceiver does.
final class SignatureTests: XCTestCase {
    func testRequestIsSignedOverItsBody() async throws {
        let receiver = try await TestReceiver()
        let store = try SwitchboardStore.inMemory()
        let notifier = try WebhookTesting.notifier([receiver.url], store: store)
        notifier.start()
        notifier.enqueue(WebhookTesting.event("room_started", room: "signed"))
        let received = try await receiver.waitFor(1)
        let request = try XCTUnwrap(received.first)
        await notifier.stop()
        try await receiver.stop()

        XCTAssertEqual(request.path, "/hook")
        XCTAssertEqual(request.headers["content-type"], "application/webhook+json")
        let token = try XCTUnwrap(request.headers["authorization"])
        XCTAssertFalse(token.hasPrefix("Bearer"), "LiveKit sends the bare token")

        let claims = try await TokenVerifier(keys: [WebhookTesting.apiKey: WebhookTesting.secret]).verify(token)
        XCTAssertEqual(claims.iss, WebhookTesting.apiKey)
        let digest = Data(SHA256.hash(data: Data(request.body.utf8))).base64EncodedString()
        XCTAssertEqual(claims.sha256, digest)
        let lifetime = try XCTUnwrap(claims.exp).timeIntervalSince(try XCTUnwrap(claims.nbf))
        XCTAssertEqual(lifetime, WebhookToken.lifetime, accuracy: 1)

        // A wrong secret does not verify.
        do {
            _ = try await TokenVerifier(keys: [WebhookTesting.apiKey: "another-secret-0123456789abcdef0123"]).verify(token)
            XCTFail("verified with the wrong secret")
        } catch {}

        // The body is protobuf JSON (camelCase names, int64 as strings), as livekit-server sends.
        let event = try WebhookTesting.decode(request)
        XCTAssertEqual(event.event, "room_started")
        XCTAssertEqual(event.room.name, "signed")
        XCTAssertTrue(request.body.contains("\"createdAt\""), request.body)
    }

    func testOnlyPlainHTTPEndpointsAreAccepted() throws {
        let endpoint = try WebhookEndpoint("http://hooks.example:8080/lk/events?x=1")
        XCTAssertEqual(endpoint.host, "hooks.example")
        XCTAssertEqual(endpoint.port, 8080)
        XCTAssertEqual(endpoint.target, "/lk/events?x=1")
        XCTAssertEqual(endpoint.hostHeader, "hooks.example:8080")
        XCTAssertEqual(try WebhookEndpoint("http://[::1]/").host, "::1")
        XCTAssertEqual(try WebhookEndpoint("http://h").target, "/")
        XCTAssertThrowsError(try WebhookEndpoint("https://hooks.example/")) {
            XCTAssertEqual($0 as? WebhookEndpoint.ParseError, .unsupportedScheme("https://hooks.example/"))
        }
        XCTAssertThrowsError(try WebhookEndpoint("not a url"))
    }

    func testRetryDelaysDoubleUpToTheCap() {
        var configuration = WebhookConfiguration(urls: [], apiKey: "k", secret: "s")
        configuration.initialRetryDelay = 1
        configuration.maxRetryDelay = 60
        XCTAssertEqual((1...8).map { configuration.retryDelay(afterAttempts: $0) }, [1, 2, 4, 8, 16, 32, 60, 60])
    }
}
