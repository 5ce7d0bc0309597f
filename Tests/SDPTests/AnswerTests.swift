import Foundation
import SDP
import XCTest

final class AnswerTests: XCTestCase {
    /// Invariants every answer must satisfy, checked for each fixture offer.
    private func checkAnswer(_ answer: SessionDescription, to offer: SessionDescription,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        // It parses back as a description equal to itself.
        XCTAssertEqual(try SessionDescription(parsing: answer.serialized()), answer, file: file, line: line)
        XCTAssertTrue(answer.isICELite, file: file, line: line)
        XCTAssertEqual(answer.media.map(\.mid), offer.media.map(\.mid), "same m-line order and mids", file: file, line: line)
        XCTAssertEqual(answer.media.map(\.kind), offer.media.map(\.kind), file: file, line: line)

        let accepted = answer.media.filter { $0.port != 0 }.compactMap(\.mid)
        let bundle = answer.bundleGroup?.mids ?? []
        XCTAssertEqual(Set(bundle), Set(accepted), "BUNDLE lists exactly the accepted mids", file: file, line: line)
        XCTAssertTrue(bundle.allSatisfy { offer.bundleGroup?.mids.contains($0) ?? false }, file: file, line: line)

        for (m, o) in zip(answer.media, offer.media) {
            if m.port == 0 {
                XCTAssertEqual(m.attributes, [SDPAttribute("mid", o.mid)], file: file, line: line)
                continue
            }
            XCTAssertEqual(m.setup, .passive, file: file, line: line)
            XCTAssertEqual(m.fingerprints.first?.algorithm, "sha-256", file: file, line: line)
            XCTAssertEqual(m.fingerprints.first?.bytes.count, 32, file: file, line: line)
            XCTAssertEqual(m.iceUfrag, "sfuU", file: file, line: line)
            XCTAssertTrue(m.endOfCandidates, file: file, line: line)
            XCTAssertEqual(m.candidates.first?.port, m.port, file: file, line: line)
            guard m.isRTP else { continue }
            XCTAssertTrue(m.isRTCPMux, file: file, line: line)
            XCTAssertEqual(m.isRTCPReducedSize, o.isRTCPReducedSize, file: file, line: line)
            // Codecs keep the offerer's payload types and formats.
            let offered = Dictionary(o.codecs.map { ($0.payloadType, $0) }, uniquingKeysWith: { a, _ in a })
            for c in m.codecs {
                let oc = try XCTUnwrap(offered[c.payloadType], "PT \(c.payloadType) not offered", file: file, line: line)
                XCTAssertEqual(c.name, oc.name, file: file, line: line)
                XCTAssertEqual(c.clockRate, oc.clockRate, file: file, line: line)
                XCTAssertEqual(c.parameters, oc.parameters, file: file, line: line)
                XCTAssertTrue(c.feedback.allSatisfy { f in oc.feedback.contains(f) }, file: file, line: line)
            }
            // rtx only with its primary.
            let pts = Set(m.codecs.map(\.payloadType))
            for c in m.codecs where c.isRTX {
                XCTAssertTrue(pts.contains(try XCTUnwrap(c.associatedPayloadType)), file: file, line: line)
            }
            // Extmaps: offered ids and URIs only.
            for e in m.extMaps {
                XCTAssertTrue(o.extMaps.contains { $0.id == e.id && $0.uri == e.uri }, file: file, line: line)
            }
            // Direction is permitted by the offer (RFC 3264 §6.1).
            XCTAssertEqual(m.direction.intersection(o.direction.reversed), m.direction, file: file, line: line)
        }
    }

    func testAnswersToAllFixtureOffersAreValid() throws {
        for f in Fixture.offers {
            let offer = try f.parsed()
            var options = try sfuAnswerOptions()
            try checkAnswer(try makeAnswer(to: offer, options: options), to: offer)
            options.rejectApplication = true
            options.codecSelection = .preferredOnly
            try checkAnswer(try makeAnswer(to: offer, options: options), to: offer)
        }
    }

    func testChromeOfferAnswer() throws {
        let offer = try Fixture.chromeOffer.parsed()
        var options = try sfuAnswerOptions()
        options.direction = .receiveOnly
        let answer = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(answer.bundleGroup?.mids, ["0", "1", "2"])
        XCTAssertTrue(answer.extmapAllowMixed)

        let audio = answer.media[0]
        XCTAssertEqual(audio.direction, .recvonly)
        // opus first (our preference), then RED because its primary (111) is kept.
        XCTAssertEqual(audio.codecs.map(\.payloadType), [111, 63])
        XCTAssertEqual(audio.codecs[0].feedback, [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        XCTAssertEqual(audio.extMaps.map(\.id), [1, 2, 3, 4])
        XCTAssertTrue(audio.ssrcs.isEmpty, "receive-only sections carry no ssrc lines")
        XCTAssertEqual(audio.connection?.address, "198.51.100.10")
        XCTAssertEqual(audio.port, 3478)

        let video = answer.media[1]
        // VP8 + rtx, then H264 CB pm=1 (42e01f, PT 106) + rtx, then VP9 profile 0 + rtx, AV1 + rtx.
        XCTAssertEqual(video.codecs.map(\.payloadType), [96, 97, 106, 107, 98, 99, 45, 46])
        XCTAssertEqual(video.codecs.first?.feedback.count, 5)
        // Only known extensions, with the offer's ids.
        XCTAssertEqual(video.extMaps.map(\.id), [2, 3, 4, 10, 11])

        let app = answer.media[2]
        XCTAssertEqual(app.port, 3478)
        XCTAssertEqual(app.sctpPort, 5000)
        XCTAssertEqual(app.maxMessageSize, 262144)

        options.rejectApplication = true
        let noApp = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(noApp.media[2].port, 0)
        XCTAssertEqual(noApp.media[2].mid, "2")
        XCTAssertEqual(noApp.bundleGroup?.mids, ["0", "1"])
        XCTAssertTrue(noApp.serialized().contains("m=application 0 UDP/DTLS/SCTP webrtc-datachannel\r\n"))
    }

    func testH264Matching() throws {
        let offer = try Fixture.chromeOffer.parsed()
        var options = try sfuAnswerOptions()
        options.videoCodecs = [.h264(profileLevelID: "42e01f", packetizationMode: 1)]
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [106, 107])
        // Constrained Baseline at another level still matches (levels are not compared), and
        // 42c01f is another spelling of Constrained Baseline.
        options.videoCodecs = [.h264(profileLevelID: "42c034", packetizationMode: 1)]
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [106, 107])
        options.videoCodecs = [.h264(profileLevelID: "42e01f", packetizationMode: 0)]
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [108, 109])
        options.videoCodecs = [.h264(profileLevelID: "42001f", packetizationMode: 1)] // Baseline
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [102, 103])
        options.videoCodecs = [.h264(profileLevelID: "640032", packetizationMode: 1)] // High
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [112, 113])
        options.videoCodecs = [.h264(profileLevelID: "4d0032", packetizationMode: 1)] // Main
        XCTAssertEqual(try makeAnswer(to: offer, options: options).media[1].codecs.map(\.payloadType), [127, 125])

        // iOS libwebrtc offers Constrained High (640c1f): not High.
        let lk = try Fixture.libwebrtcLiveKitOffer.parsed()
        options.videoCodecs = [.h264(profileLevelID: "640c34", packetizationMode: 1)]
        XCTAssertEqual(try makeAnswer(to: lk, options: options).media[2].codecs.map(\.payloadType), [96, 97])
        options.videoCodecs = [.h264(profileLevelID: "640032", packetizationMode: 1)]
        let none = try makeAnswer(to: lk, options: options)
        XCTAssertEqual(none.media[2].port, 0, "no common codec rejects the section")
        XCTAssertEqual(none.bundleGroup?.mids, ["0", "1"])

        XCTAssertEqual(H264Profile(profileLevelID: "42e01f"), .constrainedBaseline)
        XCTAssertEqual(H264Profile(profileLevelID: "42001f"), .baseline)
        XCTAssertEqual(H264Profile(profileLevelID: "4d001f"), .main)
        XCTAssertEqual(H264Profile(profileLevelID: "4d801f"), .constrainedBaseline)
        XCTAssertEqual(H264Profile(profileLevelID: "640c1f"), .constrainedHigh)
        XCTAssertEqual(H264Profile(profileLevelID: "64001f"), .high)
        XCTAssertEqual(H264Profile(profileLevelID: "f4001f"), .predictiveHigh444)
        XCTAssertNil(H264Profile(profileLevelID: "zz001f"))
        XCTAssertNil(H264Profile(profileLevelID: "6e001f"))
        XCTAssertEqual(H264Profile(profileLevelID: nil), .constrainedBaseline)
    }

    func testRTXDroppedWithoutPrimaryAndREDNeedsItsCodec() throws {
        let offer = try Fixture.chromeOffer.parsed()
        var options = try sfuAnswerOptions()
        options.videoCodecs = [.vp9]
        options.audioCodecs = [.audioRED, .init(name: "PCMU", clockRate: 8000)]
        let a = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(a.media[1].codecs.map(\.payloadType), [98, 99])
        // RED wraps opus, which is not kept, so RED goes too.
        XCTAssertEqual(a.media[0].codecs.map(\.name), ["PCMU"])
        options.videoCodecs = [CodecCapability(name: "VP8", clockRate: 90000, allowsRTX: false)]
        let b = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(b.media[1].codecs.map(\.payloadType), [96])
        XCTAssertTrue(b.media[1].codecs[0].feedback.isEmpty)
    }

    func testSimulcastOfferIsAnsweredWithRecvRids() throws {
        for f in [Fixture.chromeSimulcastOffer, .libwebrtcLiveKitOffer] {
            let offer = try f.parsed()
            let answer = try makeAnswer(to: offer, options: try sfuAnswerOptions())
            let o = try XCTUnwrap(offer.media.first { $0.kind == .video })
            let v = try XCTUnwrap(answer.media.first { $0.kind == .video })
            XCTAssertEqual(v.direction, .recvonly)
            XCTAssertEqual(v.rids.map(\.id), o.rids.map(\.id))
            XCTAssertTrue(v.rids.allSatisfy { $0.direction == .recv })
            XCTAssertEqual(v.simulcast?.recv, o.simulcast?.send)
            XCTAssertEqual(v.simulcast?.send, [])
            XCTAssertTrue(v.extMaps.contains { $0.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id" })
        }
        var options = try sfuAnswerOptions()
        options.acceptSimulcast = false
        let plain = try makeAnswer(to: try Fixture.chromeSimulcastOffer.parsed(), options: options)
        XCTAssertNil(plain.media[1].simulcast)
        XCTAssertTrue(plain.media[1].rids.isEmpty)
    }

    func testSendingSectionsCarrySourcesAndFID() throws {
        let offer = try Fixture.chromeOffer.parsed()
        var options = try sfuAnswerOptions()
        options.sendStreams = [
            "0": SendStream(ssrc: 1111, cname: "sfu", streamID: "s1", trackID: "a1"),
            "1": SendStream(ssrc: 2222, rtxSSRC: 3333, cname: "sfu", streamID: "s1", trackID: "v1"),
        ]
        let answer = try makeAnswer(to: offer, options: options)
        let audio = answer.media[0], video = answer.media[1]
        XCTAssertEqual(audio.direction, .sendrecv)
        XCTAssertEqual(audio.msids, [MSID(streamID: "s1", trackID: "a1")])
        XCTAssertEqual(audio.ssrcs, [1111])
        XCTAssertTrue(audio.ssrcGroups.isEmpty)
        XCTAssertEqual(video.ssrcGroups, [SSRCGroup(semantics: "FID", ssrcs: [2222, 3333])])
        XCTAssertEqual(video.cname(ssrc: 3333), "sfu")
        XCTAssertEqual(video.ssrcAttributes.first { $0.ssrc == 2222 && $0.attribute == "msid" }?.value, "s1 v1")
        XCTAssertEqual(answer.msidSemantic?.identifiers, ["*"])

        // No RTX negotiated → no FID group, and the custom direction hook is clamped by the offer.
        options.videoCodecs = [CodecCapability(name: "VP8", clockRate: 90000)]
        options.direction = .custom { $0.kind == .audio ? .inactive : .sendonly }
        let b = try makeAnswer(to: offer, options: options)
        XCTAssertEqual(b.media[0].direction, .inactive)
        XCTAssertEqual(b.media[1].direction, .sendonly)
        XCTAssertTrue(b.media[1].ssrcGroups.isEmpty)
        XCTAssertEqual(b.media[1].ssrcs, [2222])

        // sendonly offer + a hook that wants sendrecv: clamped to recvonly.
        let sim = try Fixture.chromeSimulcastOffer.parsed()
        options.direction = .custom { _ in .sendrecv }
        XCTAssertEqual(try makeAnswer(to: sim, options: options).media[1].direction, .recvonly)
    }

    func testAiortcOfferAnswer() throws {
        let offer = try Fixture.aiortcOffer.parsed()
        let answer = try makeAnswer(to: offer, options: try sfuAnswerOptions())
        XCTAssertEqual(answer.bundleGroup?.mids, ["0", "1"])
        XCTAssertEqual(answer.media[0].codecs.map(\.payloadType), [96])
        XCTAssertEqual(answer.media[1].codecs.map(\.payloadType), [97, 98, 101, 102])
        XCTAssertFalse(answer.media[0].isRTCPReducedSize)
        XCTAssertFalse(answer.extmapAllowMixed)
    }

    func testErrorsAndRejections() throws {
        let options = try sfuAnswerOptions()
        let base = try Fixture.chromeOffer.text()

        let noMid = try SessionDescription(parsing: base.replacingOccurrences(of: "a=group:BUNDLE 0 1 2\r\n", with: "")
            .replacingOccurrences(of: "a=mid:1\r\n", with: ""))
        XCTAssertThrowsError(try makeAnswer(to: noMid, options: options)) {
            XCTAssertEqual($0 as? SDPBuildError, .missingMid(sectionIndex: 1))
        }
        let passive = try SessionDescription(parsing: base.replacingOccurrences(of: "a=setup:actpass", with: "a=setup:passive"))
        XCTAssertThrowsError(try makeAnswer(to: passive, options: options)) {
            XCTAssertEqual($0 as? SDPBuildError, .incompatibleSetup(offered: .passive, ours: .passive))
        }
        let noFingerprint = try SessionDescription(parsing: base.split(separator: "\r\n")
            .filter { !$0.hasPrefix("a=fingerprint") }.joined(separator: "\r\n"))
        XCTAssertThrowsError(try makeAnswer(to: noFingerprint, options: options)) {
            XCTAssertEqual($0 as? SDPBuildError, .missingFingerprint(mid: "0"))
        }
        var bad = options
        bad.icePwd = "short"
        XCTAssertThrowsError(try makeAnswer(to: try Fixture.chromeOffer.parsed(), options: bad))
        bad = options
        bad.setup = .actpass
        XCTAssertThrowsError(try makeAnswer(to: try Fixture.chromeOffer.parsed(), options: bad))

        // Offerer-disabled (port 0) and non-DTLS sections are rejected, not fatal.
        let disabled = try SessionDescription(parsing: base.replacingOccurrences(of: "m=video 54400", with: "m=video 0"))
        let a = try makeAnswer(to: disabled, options: options)
        XCTAssertEqual(a.media[1].port, 0)
        XCTAssertEqual(a.bundleGroup?.mids, ["0", "2"])
        let noMux = try SessionDescription(parsing: base.replacingOccurrences(of: "a=rtcp-mux\r\n", with: ""))
        XCTAssertEqual(try makeAnswer(to: noMux, options: options).media.map(\.port), [0, 0, 3478])
    }
}

final class AnswerDumpTests: XCTestCase {
    /// Prints the SFU's answer to the Chromium simulcast offer when SDP_DUMP is set (for review).
    func testDumpAnswer() throws {
        guard ProcessInfo.processInfo.environment["SDP_DUMP"] != nil else { return }
        var options = try sfuAnswerOptions()
        options.sendStreams = ["1": SendStream(ssrc: 2222, rtxSSRC: 3333, cname: "sfu", streamID: "s1", trackID: "v1")]
        print(try makeAnswer(to: try Fixture.chromeOffer.parsed(), options: options).serialized())
        print(try makeAnswer(to: try Fixture.chromeSimulcastOffer.parsed(), options: try sfuAnswerOptions()).serialized())
    }
}
