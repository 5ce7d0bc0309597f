import SDP
import XCTest

final class OfferTests: XCTestCase {
    private func subscriberOptions() throws -> SDPOfferOptions {
        let opus = Codec(payloadType: 111, name: "opus", clockRate: 48000, channels: 2,
                         parameters: [SDPParameter("minptime", "10"), SDPParameter("useinbandfec", "1")],
                         feedback: [RTCPFeedback(payloadType: nil, type: "transport-cc")])
        let vp8 = Codec(payloadType: 96, name: "VP8", clockRate: 90000, feedback: CodecCapability.videoFeedback)
        return SDPOfferOptions(
            iceUfrag: "sfuU", icePwd: "sfuPasswordSfuPassword1234",
            fingerprint: Fingerprint(sha256: Array(repeating: 0xAB, count: 32)),
            candidates: [try Candidate(parsing: "candidate:1 1 udp 2130706431 198.51.100.10 3478 typ host")],
            sections: [
                OfferSection(kind: .audio, mid: "0", codecs: [opus],
                             extensions: [ExtMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
                                          ExtMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid")],
                             stream: SendStream(ssrc: 10, cname: "sfu", streamID: "PA_1", trackID: "TR_a")),
                OfferSection(kind: .video, mid: "1", codecs: [vp8, .rtx(payloadType: 97, primary: 96)],
                             extensions: [ExtMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid")],
                             stream: SendStream(ssrc: 20, rtxSSRC: 21, cname: "sfu", streamID: "PA_1", trackID: "TR_v")),
                OfferSection(kind: .video, mid: "2", codecs: [vp8], disabled: true),
                .application(mid: "3"),
            ],
            sessionID: "77")
    }

    func testSubscriberOffer() throws {
        let offer = try makeOffer(options: subscriberOptions())
        let text = offer.serialized()
        let parsed = try SessionDescription(parsing: text)
        XCTAssertEqual(parsed, offer)
        XCTAssertTrue(text.hasPrefix("v=0\r\no=- 77 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1 3\r\na=ice-lite\r\n"))
        XCTAssertEqual(parsed.media.map(\.mid), ["0", "1", "2", "3"])
        XCTAssertEqual(parsed.media.map(\.port), [3478, 3478, 0, 3478])
        let audio = parsed.media[0], video = parsed.media[1]
        XCTAssertEqual(audio.setup, .actpass)
        XCTAssertEqual(audio.direction, .sendonly)
        XCTAssertEqual(audio.codecs.first?.parameters["useinbandfec"], "1")
        XCTAssertEqual(video.codecs.map(\.payloadType), [96, 97])
        XCTAssertEqual(video.ssrcGroups, [SSRCGroup(semantics: "FID", ssrcs: [20, 21])])
        XCTAssertEqual(video.msids, [MSID(streamID: "PA_1", trackID: "TR_v")])
        XCTAssertEqual(parsed.media[2].direction, .inactive)
        XCTAssertEqual(parsed.media[3].sctpPort, 5000)
        XCTAssertTrue(text.contains("a=candidate:1 1 udp 2130706431 198.51.100.10 3478 typ host\r\na=end-of-candidates\r\n"))
    }

    /// A browser answering our offer answers each section; our own builder stands in for it here
    /// to check that the offer is answerable end to end (setup actpass → passive/active).
    func testOfferIsAnswerable() throws {
        let offer = try makeOffer(options: subscriberOptions())
        var options = try sfuAnswerOptions()
        options.setup = .active
        options.direction = .receiveOnly
        let answer = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(answer.media.map(\.direction), [.recvonly, .recvonly, .sendrecv, .sendrecv])
        XCTAssertEqual(answer.media.map(\.port), [3478, 3478, 0, 3478])
        XCTAssertEqual(answer.media[1].codecs.map(\.payloadType), [96, 97])
        XCTAssertEqual(answer.bundleGroup?.mids, ["0", "1", "3"])
    }

    func testInvalidOfferOptionsThrow() throws {
        var o = try subscriberOptions()
        o.sections.append(OfferSection(kind: .audio, mid: "0", codecs: o.sections[0].codecs))
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.sections[1].codecs.append(.rtx(payloadType: 99, primary: 120))
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.sections[0].codecs.append(Codec(payloadType: 111, name: "PCMU", clockRate: 8000))
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.sections[0].extensions.append(ExtMap(id: 1, uri: "urn:x"))
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.iceUfrag = "a b"
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.sections[0].stream?.cname = "has space"
        XCTAssertThrowsError(try makeOffer(options: o))
        o = try subscriberOptions()
        o.fingerprint = Fingerprint(algorithm: "sha-256", bytes: [1, 2, 3])
        XCTAssertThrowsError(try makeOffer(options: o))
    }
}
