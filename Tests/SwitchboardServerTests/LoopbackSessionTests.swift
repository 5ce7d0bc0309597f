import Logging
import MediaTransport
import SDP
import XCTest
@testable import SwitchboardServer

final class LoopbackSessionTests: XCTestCase {
    /// A real aiortc offer (audio + video with RTX), as aiortc 1.16 writes it.
    static let aiortcOffer = """
        v=0\r
        o=- 3973156476 3973156476 IN IP4 0.0.0.0\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE 0 1\r
        a=msid-semantic:WMS *\r
        m=video 45000 UDP/TLS/RTP/SAVPF 97 98\r
        c=IN IP4 127.0.0.1\r
        a=sendrecv\r
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=extmap:2 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time\r
        a=mid:0\r
        a=msid:stream track-video\r
        a=rtcp:9 IN IP4 0.0.0.0\r
        a=rtcp-mux\r
        a=ssrc-group:FID 1001 1002\r
        a=ssrc:1001 cname:peer\r
        a=ssrc:1002 cname:peer\r
        a=rtpmap:97 VP8/90000\r
        a=rtcp-fb:97 nack\r
        a=rtcp-fb:97 nack pli\r
        a=rtcp-fb:97 goog-remb\r
        a=rtpmap:98 rtx/90000\r
        a=fmtp:98 apt=97\r
        a=candidate:1 1 UDP 2130706431 127.0.0.1 45000 typ host\r
        a=end-of-candidates\r
        a=ice-ufrag:abcd\r
        a=ice-pwd:abcdefghijklmnopqrstuv\r
        a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r
        a=setup:actpass\r
        m=audio 45000 UDP/TLS/RTP/SAVPF 96\r
        c=IN IP4 127.0.0.1\r
        a=sendrecv\r
        a=extmap:1 urn:ietf:params:rtp-hdrext:sdes:mid\r
        a=mid:1\r
        a=msid:stream track-audio\r
        a=rtcp:9 IN IP4 0.0.0.0\r
        a=rtcp-mux\r
        a=ssrc:2001 cname:peer\r
        a=rtpmap:96 opus/48000/2\r
        a=candidate:1 1 UDP 2130706431 127.0.0.1 45000 typ host\r
        a=end-of-candidates\r
        a=ice-ufrag:abcd\r
        a=ice-pwd:abcdefghijklmnopqrstuv\r
        a=fingerprint:sha-256 00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF\r
        a=setup:actpass\r

        """

    func testAnswerAnnouncesNewSSRCsAndOurTransport() throws {
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        defer { server.stop() }
        let text = try LoopbackSession.start(offerText: Self.aiortcOffer, server: server, logger: Logger(label: "test"))
        let answer = try SessionDescription(parsing: text)
        XCTAssertTrue(answer.isICELite)
        XCTAssertEqual(answer.bundleGroup?.mids, ["0", "1"])
        let video = try XCTUnwrap(answer.media(mid: "0"))
        XCTAssertEqual(video.setupRole, "passive")
        XCTAssertEqual(video.direction, .sendrecv)
        let ssrcs = video.ssrcs
        XCTAssertEqual(ssrcs.count, 2, "primary + RTX")
        XCTAssertFalse(ssrcs.contains(1001) || ssrcs.contains(1002))
        XCTAssertEqual(video.ssrcGroups.first?.semantics, "FID")
        XCTAssertEqual(video.candidates.first?.port, server.localAddresses[0].port)
        let fingerprint = try XCTUnwrap(answer.fingerprints(for: video).first)
        XCTAssertEqual(fingerprint.bytes, server.dtlsContext.certificate.fingerprint.bytes)
        XCTAssertEqual(answer.media(mid: "1")?.ssrcs.count, 1)
        XCTAssertEqual(server.activeTransports, 1)
    }

    func testUnanswerableOffersAreRefusedWithoutRegisteringAnything() throws {
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        defer { server.stop() }
        for bad in ["", "v=0\r\ngarbage\r\n", Self.aiortcOffer.replacingOccurrences(of: "a=fingerprint", with: "a=x-fingerprint")] {
            XCTAssertThrowsError(try LoopbackSession.start(offerText: bad, server: server, logger: Logger(label: "test")))
        }
        XCTAssertEqual(server.activeTransports, 0)
    }
}

extension MediaDescription {
    var setupRole: String? { firstValue("setup") }
}
