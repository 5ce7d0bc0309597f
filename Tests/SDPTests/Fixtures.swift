import Foundation
import SDP
import XCTest

/// Real SDP texts in Fixtures/ (see Fixtures/README.md for provenance).
enum Fixture: String, CaseIterable {
    case aiortcOffer = "aiortc-offer"
    case aiortcAnswerToChrome = "aiortc-answer-to-chrome"
    case chromeOffer = "chrome-offer"
    case chromeSimulcastOffer = "chrome-simulcast-offer"
    case libwebrtcLiveKitOffer = "libwebrtc-livekit-offer"

    static let offers: [Fixture] = [.aiortcOffer, .chromeOffer, .chromeSimulcastOffer, .libwebrtcLiveKitOffer]

    func text() throws -> String {
        let url = try XCTUnwrap(Bundle.module.url(forResource: rawValue, withExtension: "sdp", subdirectory: "Fixtures"),
                                "missing fixture \(rawValue)")
        return try String(contentsOf: url, encoding: .utf8)
    }

    func parsed() throws -> SessionDescription { try SessionDescription(parsing: text()) }
}

/// Options as the SFU would configure them in tests.
func sfuAnswerOptions() throws -> SDPAnswerOptions {
    var o = try SDPAnswerOptions(
        iceUfrag: "sfuU", icePwd: "sfuPasswordSfuPassword1234",
        fingerprintSHA256: (0..<32).map { UInt8($0 * 7 & 0xFF) },
        candidates: ["candidate:1 1 udp 2130706431 198.51.100.10 3478 typ host generation 0"],
        sessionID: "4242")
    o.sessionVersion = 2
    return o
}
