import Foundation
import LiveKitProtocol
import Logging
import Store
import SwiftProtobuf
@testable import Webhooks

/// Notifiers on an in-memory or on-disk store, with retry timings fit for tests.
enum WebhookTesting {
    static let apiKey = "hookkey"
    static let secret = "hook-secret-0123456789abcdef0123456789"
    static let logger: Logger = {
        guard ProcessInfo.processInfo.environment["WEBHOOK_TEST_LOG"] != nil else {
            return Logger(label: "webhooks-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        }
        var logger = Logger(label: "webhooks-tests", factory: { StreamLogHandler.standardError(label: $0) })
        logger.logLevel = .trace
        return logger
    }()

    static func configuration(_ urls: [String], maxAge: TimeInterval = 60) -> WebhookConfiguration {
        var configuration = WebhookConfiguration(urls: urls, apiKey: apiKey, secret: secret)
        configuration.maxAge = maxAge
        configuration.requestTimeout = 2
        configuration.initialRetryDelay = 0.05
        configuration.maxRetryDelay = 0.4
        return configuration
    }

    static func notifier(_ urls: [String], store: SwitchboardStore, maxAge: TimeInterval = 60) throws -> WebhookNotifier {
        try WebhookNotifier(configuration: configuration(urls, maxAge: maxAge), store: store, logger: logger)
    }

    /// A LiveKit event for room `room`; `marker` goes into the participant's identity so a
    /// test can tell events apart in the bodies it receives.
    static func event(_ name: String, room: String, marker: String = "") -> Livekit_WebhookEvent {
        var event = Livekit_WebhookEvent()
        event.event = name
        event.room.name = room
        event.room.sid = "RM_" + String(repeating: "a", count: 12)
        if !marker.isEmpty { event.participant.identity = marker }
        return event
    }

    static func decode(_ request: TestReceiver.Request) throws -> Livekit_WebhookEvent {
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        return try Livekit_WebhookEvent(jsonString: request.body, options: options)
    }

    /// Waits until `condition` holds (or fails after `timeout`).
    static func waitUntil(_ what: String, timeout: TimeInterval = 10, _ condition: () throws -> Bool) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while try !condition() {
            guard Date() < deadline else { throw WaitTimedOut(what: what) }
            try await Task.sleep(for: .milliseconds(10))
        }
    }
}
