import DTLS
import ICE
@testable import LoadTest
import SDP
import XCTest

final class LoadTestPartsTests: XCTestCase {
    func testURLParsing() throws {
        let v4 = try HTTPRequest(url: "http://127.0.0.1:7880/")
        XCTAssertEqual(v4.host, "127.0.0.1")
        XCTAssertEqual(v4.port, 7880)
        let v6 = try HTTPRequest(url: "http://[::1]:9000/base")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 9000)
        XCTAssertEqual(v6.basePath, "base")
        XCTAssertThrowsError(try HTTPRequest(url: "https://example.com"))
        XCTAssertThrowsError(try HTTPRequest(url: "http://"))
    }

    func testResponseParsing() throws {
        let plain = try HTTPRequest.parse(Array("HTTP/1.1 201 Created\r\nLocation: /whip/r/PA_1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n".utf8))
        XCTAssertEqual(plain.status, 201)
        XCTAssertEqual(plain.headers["location"], "/whip/r/PA_1")
        XCTAssertEqual(plain.body, "v=0\r\n")
        let chunked = try HTTPRequest.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8))
        XCTAssertEqual(chunked.body, "abcde")
        XCTAssertThrowsError(try HTTPRequest.parse(Array("HTTP/1.1 200 OK\r\n".utf8)), "no end of headers")
        XCTAssertThrowsError(try HTTPRequest.parse(Array("garbage\r\n\r\n".utf8)))
    }

    func testVP8PacketizationMarksFrameStartsOnly() {
        let frame = (0..<2500).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = EncodedMedia.packetizeVP8(frame)
        XCTAssertEqual(payloads.count, 3)
        XCTAssertEqual(payloads.map { $0[0] }, [0x10, 0x00, 0x00], "S bit on the first packet only (RFC 7741 §4.2)")
        XCTAssertTrue(payloads.allSatisfy { $0.count <= EncodedMedia.maxPayload })
        XCTAssertEqual(Array(payloads.map { $0.dropFirst() }.joined()), frame)
    }

    func testLatencyPercentiles() {
        var histogram = LatencyHistogram()
        XCTAssertNil(histogram.percentile(0.5))
        for micros in 1...1000 { histogram.record(nanoseconds: Int64(micros) * 1000) }
        histogram.record(nanoseconds: 120_000_000) // one 120 ms outlier
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(0.5)), 0.50, accuracy: 0.011)
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(0.99)), 0.99, accuracy: 0.011)
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(1.0)), 121, accuracy: 0.001)
        var merged = LatencyHistogram()
        merged.add(histogram)
        XCTAssertEqual(merged.count, 1001)
        XCTAssertEqual(merged.maximum, 120_000_000)
    }

    func testEncodedMediaHitsItsBitrate() throws {
        let media = try EncodedMedia.make(videoBitrateKbps: 1500, seconds: 1)
        XCTAssertEqual(media.videoLayers.count, 1)
        XCTAssertNil(media.videoLayers[0].rid)
        XCTAssertTrue(media.videoLayers[0].frames.first?.isKeyframe == true, "the loop starts with a keyframe")
        XCTAssertEqual(media.videoLayers[0].frames.count, 30)
        XCTAssertEqual(media.measuredVideoKbps, 1500, accuracy: 450, "\(media.measuredVideoKbps)")
        XCTAssertEqual(media.audio.count, 50)
        let low = try EncodedMedia.make(videoBitrateKbps: 300, seconds: 1)
        XCTAssertEqual(low.measuredVideoKbps, 300, accuracy: 150, "the picture detail follows the target: \(low.measuredVideoKbps)")
    }

    func testSimulcastMediaHasThreeLayersLowestFirst() throws {
        let media = try EncodedMedia.make(videoBitrateKbps: 1500, seconds: 1, simulcast: true)
        XCTAssertEqual(media.videoLayers.map(\.rid), ["q", "h", "f"])
        XCTAssertEqual(media.videoLayers.map(\.width), [160, 320, 640])
        XCTAssertEqual(media.videoLayers.map(\.height), [90, 180, 360])
        for layer in media.videoLayers {
            XCTAssertEqual(layer.frames.count, 30, "every layer has the same frame timing")
            XCTAssertTrue(layer.frames[0].isKeyframe)
        }
        let rates = media.videoLayers.map(\.measuredKbps)
        XCTAssertTrue(rates[0] < rates[1] && rates[1] < rates[2], "\(rates)")
        XCTAssertEqual(rates[2], 1500, accuracy: 450)
    }

    func testSimulcastOfferAnnouncesRIDsWithoutSSRCs() throws {
        let certificate = try DTLSCertificate.generateSelfSigned()
        let (sdp, outgoing) = try ClientOffer.make(sending: true, ice: .random(), certificate: certificate,
                                                   audioSections: 1, videoSections: 1, videoRIDs: ["q", "h", "f"])
        let offer = try SessionDescription(parsing: sdp)
        let video = try XCTUnwrap(offer.media.first { $0.kind == .video })
        XCTAssertEqual(video.rids.map(\.id), ["q", "h", "f"])
        XCTAssertTrue(video.rids.allSatisfy { $0.direction == .send })
        XCTAssertEqual(video.simulcast?.send.map { $0.map(\.rid) }, [["q"], ["h"], ["f"]])
        XCTAssertTrue(video.ssrcs.isEmpty, "layer SSRCs are learned from the RID extension (RFC 8853 §5.2)")
        XCTAssertEqual(video.msids.first?.trackID, "video-1")
        XCTAssertEqual(Set(video.extMaps.map(\.uri)), [ClientOffer.absCaptureTimeURI, ClientOffer.midURI, ClientOffer.ridURI])
        let audio = try XCTUnwrap(offer.media.first { $0.kind == .audio })
        XCTAssertEqual(audio.ssrcs.count, 1, "audio keeps its SSRC")
        XCTAssertNil(audio.simulcast)

        XCTAssertEqual(outgoing.filter(\.isVideo).map(\.rid), ["q", "h", "f"])
        XCTAssertEqual(outgoing.filter(\.isVideo).map(\.layer), [0, 1, 2])
        XCTAssertEqual(Set(outgoing.filter(\.isVideo).map(\.ssrc)).count, 3)
        XCTAssertEqual(Set(outgoing.filter(\.isVideo).compactMap(\.mid)), [video.mid!])
    }

    func testAcceptedLayersFollowTheAnswer() throws {
        let certificate = try DTLSCertificate.generateSelfSigned()
        let (offerSDP, outgoing) = try ClientOffer.make(sending: true, ice: .random(), certificate: certificate,
                                                        audioSections: 1, videoSections: 1, videoRIDs: ["q", "h", "f"])
        let offer = try SessionDescription(parsing: offerSDP)
        func answer(acceptSimulcast: Bool, dropping rid: String? = nil) throws -> String {
            var text = offerSDP
            if let rid { text = text.replacingOccurrences(of: "a=rid:\(rid) send\r\n", with: "")
                .replacingOccurrences(of: "a=simulcast:send q;h;f", with: "a=simulcast:send " + ["q", "h", "f"].filter { $0 != rid }.joined(separator: ";")) }
            var options = SDPAnswerOptions(iceUfrag: "abcd", icePwd: "abcdefghijklmnopqrstuvwx",
                                           fingerprint: Fingerprint(sha256: certificate.fingerprint.bytes))
            options.acceptSimulcast = acceptSimulcast
            return try makeAnswer(to: try SessionDescription(parsing: text), options: options).serialized()
        }
        XCTAssertEqual(offer.media.count, 2)
        XCTAssertEqual(try ClientOffer.accepted(outgoing, answer: answer(acceptSimulcast: true)).compactMap(\.rid), ["q", "h", "f"])
        XCTAssertEqual(try ClientOffer.accepted(outgoing, answer: answer(acceptSimulcast: true, dropping: "h")).compactMap(\.rid), ["q", "f"])
        let declined = try ClientOffer.accepted(outgoing, answer: answer(acceptSimulcast: false))
        XCTAssertEqual(declined.filter(\.isVideo).count, 1, "simulcast declined: the top layer alone")
        XCTAssertEqual(declined.filter(\.isVideo).first?.layer, 2)
        XCTAssertNil(declined.filter(\.isVideo).first?.rid)
        XCTAssertEqual(declined.filter { !$0.isVideo }.count, 1)
    }

    func testViewerLayouts() {
        XCTAssertEqual(ViewerLayout("speaker"), .speaker)
        XCTAssertEqual(ViewerLayout("3x3"), .grid(3))
        XCTAssertEqual(ViewerLayout("10x10"), .grid(10))
        for bad in ["", "3x4", "0x0", "11x11", "grid", "x3"] { XCTAssertNil(ViewerLayout(bad), bad) }
        XCTAssertEqual(ViewerLayout.speaker.sizes(count: 3).map { [$0.width, $0.height] }, [[1280, 720], [320, 180], [320, 180]])
        XCTAssertEqual(ViewerLayout.grid(4).sizes(count: 2).map { [$0.width, $0.height] }, [[320, 180], [320, 180]])
        XCTAssertEqual(ViewerLayout.grid(3).description, "3x3")
    }
}
