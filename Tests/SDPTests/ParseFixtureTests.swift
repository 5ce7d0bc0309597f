import SDP
import XCTest

final class ParseFixtureTests: XCTestCase {
    func testEveryFixtureRoundTripsThroughTheModel() throws {
        for f in Fixture.allCases {
            let text = try f.text()
            let sdp = try SessionDescription(parsing: text)
            let again = try SessionDescription(parsing: sdp.serialized())
            XCTAssertEqual(sdp, again, f.rawValue)
            // The fixtures are in canonical RFC 8866 order with CRLF, so even the text is identical.
            XCTAssertEqual(sdp.serialized(), text, f.rawValue)
        }
    }

    func testLFOnlyInputParsesToTheSameModelAndSerializesWithCRLF() throws {
        for f in Fixture.allCases {
            let text = try f.text()
            let lf = text.replacingOccurrences(of: "\r\n", with: "\n")
            XCTAssertFalse(lf.contains("\r"))
            let sdp = try SessionDescription(parsing: lf)
            XCTAssertEqual(sdp, try SessionDescription(parsing: text), f.rawValue)
            XCTAssertEqual(sdp.serialized(), text)
        }
    }

    func testChromeOfferTypedFields() throws {
        let sdp = try Fixture.chromeOffer.parsed()
        XCTAssertEqual(sdp.origin.sessionID, "6923425493562149325")
        XCTAssertEqual(sdp.origin.sessionVersion, 2)
        XCTAssertEqual(sdp.bundleGroup, Group(semantics: "BUNDLE", mids: ["0", "1", "2"]))
        XCTAssertTrue(sdp.extmapAllowMixed)
        XCTAssertFalse(sdp.isICELite)
        XCTAssertEqual(sdp.msidSemantic, MSIDSemantic(semantic: "WMS", identifiers: ["7d2a5c41-3f0e-4b8a-9a61-0c1f5e2b9d44"]))
        XCTAssertEqual(sdp.media.map(\.kind), [.audio, .video, .application])
        XCTAssertEqual(sdp.media.map(\.mid), ["0", "1", "2"])

        let audio = sdp.media[0]
        XCTAssertEqual(audio.port, 54400)
        XCTAssertEqual(audio.proto, "UDP/TLS/RTP/SAVPF")
        XCTAssertEqual(audio.formats, ["111", "63", "9", "0", "8", "13", "110", "126"])
        XCTAssertEqual(audio.connection, Connection(networkType: "IN", addressType: "IP4", address: "192.168.1.23"))
        XCTAssertEqual(audio.iceUfrag, "EsAw")
        XCTAssertEqual(audio.icePwd, "P2uYro0UCOQ4zxjKXaWCBui1")
        XCTAssertEqual(audio.iceOptions, ["trickle"])
        XCTAssertEqual(audio.setup, .actpass)
        XCTAssertEqual(audio.direction, .sendrecv)
        XCTAssertTrue(audio.isRTCPMux)
        XCTAssertTrue(audio.isRTCPReducedSize)
        let fp = try XCTUnwrap(audio.fingerprints.first)
        XCTAssertEqual(fp.algorithm, "sha-256")
        XCTAssertEqual(fp.bytes.count, 32)
        XCTAssertEqual(Array(fp.bytes.prefix(3)), [0xD2, 0xFA, 0x0E])
        XCTAssertEqual(fp.hex, "D2:FA:0E:C3:22:59:5E:14:95:69:92:3D:13:B4:84:24:2C:C2:A2:C0:3E:FD:34:8E:5E:EA:6F:AF:52:CE:E6:0F")
        XCTAssertEqual(audio.rtpMaps.first, RTPMap(payloadType: 111, encodingName: "opus", clockRate: 48000, channels: 2))
        XCTAssertEqual(audio.fmtps.first?.parameters, [SDPParameter("minptime", "10"), SDPParameter("useinbandfec", "1")])
        XCTAssertEqual(audio.extMaps.first, ExtMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"))
        XCTAssertEqual(audio.ssrcs, [3735928559])
        XCTAssertEqual(audio.cname(ssrc: 3735928559), "q0hXbT8nVvL2pS4k")
        XCTAssertEqual(audio.msids, [MSID(streamID: "7d2a5c41-3f0e-4b8a-9a61-0c1f5e2b9d44", trackID: "0b6e3c52-8a14-4f3d-b7e9-5d2c1a9f6e30")])

        // The joined codec view: static PTs 0/8/9 have rtpmap here; red carries 111/111.
        let codecs = audio.codecs
        XCTAssertEqual(codecs.map(\.name), ["opus", "red", "G722", "PCMU", "PCMA", "CN", "telephone-event", "telephone-event"])
        XCTAssertEqual(codecs[0].feedback, [RTCPFeedback(payloadType: 111, type: "transport-cc")])
        XCTAssertEqual(codecs[1].redundantPayloadTypes, [111, 111])

        let cands = audio.candidates
        XCTAssertEqual(cands.count, 4)
        XCTAssertEqual(cands[0].foundation, "2999745851")
        XCTAssertEqual(cands[0].kind, .host)
        XCTAssertEqual(cands[0].priority, 2122260223)
        XCTAssertEqual(cands[0].extensionValue("generation"), "0")
        XCTAssertEqual(cands[0].extensionValue("network-cost"), "10")
        XCTAssertEqual(cands[1].kind, .serverReflexive)
        XCTAssertEqual(cands[1].relatedAddress, "192.168.1.23")
        XCTAssertEqual(cands[1].relatedPort, 54400)
        XCTAssertEqual(cands[2].transport, "tcp")
        XCTAssertEqual(cands[2].extensionValue("tcptype"), "active")
        XCTAssertEqual(cands[3].address, "2001:db8::1c2f:4a5e")

        let video = sdp.media[1]
        XCTAssertEqual(video.formats.count, 25)
        XCTAssertEqual(video.ssrcGroups, [SSRCGroup(semantics: "FID", ssrcs: [2441190337, 1424779221])])
        XCTAssertEqual(video.ssrcs, [2441190337, 1424779221])
        let vc = video.codecs
        XCTAssertEqual(vc.count, 25)
        let vp8 = try XCTUnwrap(vc.first { $0.name == "VP8" })
        XCTAssertEqual(vp8.feedback.map(\.type), ["goog-remb", "transport-cc", "ccm", "nack", "nack"])
        XCTAssertEqual(vc.first { $0.payloadType == 97 }?.associatedPayloadType, 96)
        let h264 = vc.filter { $0.name == "H264" }
        XCTAssertEqual(h264.map(\.payloadType), [102, 104, 106, 108, 127, 39, 112])
        XCTAssertEqual(h264[2].parameters["profile-level-id"], "42e01f")
        XCTAssertEqual(h264[2].parameters["PACKETIZATION-MODE"], "1")
        XCTAssertEqual(video.extMaps.count, 11)
        XCTAssertEqual(video.extMaps.first { $0.uri.hasSuffix("sdes:mid") }?.id, 4)

        let app = sdp.media[2]
        XCTAssertEqual(app.proto, "UDP/DTLS/SCTP")
        XCTAssertEqual(app.formats, ["webrtc-datachannel"])
        XCTAssertEqual(app.sctpPort, 5000)
        XCTAssertEqual(app.maxMessageSize, 262144)
        XCTAssertTrue(app.codecs.isEmpty)
    }

    func testSimulcastOfferTypedFields() throws {
        let sdp = try Fixture.chromeSimulcastOffer.parsed()
        let video = sdp.media[1]
        XCTAssertEqual(video.direction, .sendonly)
        XCTAssertEqual(video.rids, [RID(id: "f", direction: .send), RID(id: "h", direction: .send), RID(id: "q", direction: .send)])
        XCTAssertEqual(video.simulcast?.send.map { $0.map(\.rid) }, [["f"], ["h"], ["q"]])
        XCTAssertEqual(video.simulcast?.recv, [])
        XCTAssertTrue(video.ssrcs.isEmpty)
        XCTAssertEqual(video.msids.first?.streamID, "4f1b7c2e-9d3a-4e8b-a5c6-2b7d9e1f3a08")
        XCTAssertEqual(sdp.media[0].port, 9)
        XCTAssertEqual(sdp.media[0].connection?.address, "0.0.0.0")
        XCTAssertTrue(video.candidates.isEmpty)
    }

    func testLibwebrtcOfferTypedFields() throws {
        let sdp = try Fixture.libwebrtcLiveKitOffer.parsed()
        XCTAssertEqual(sdp.media.map(\.kind), [.application, .audio, .video])
        XCTAssertEqual(sdp.media[0].iceOptions, ["trickle", "renomination"])
        XCTAssertEqual(sdp.media[1].fmtps.first { $0.payloadType == 111 }?.parameters["usedtx"], "1")
        let video = sdp.media[2]
        XCTAssertEqual(video.codecs.first?.parameters["profile-level-id"], "640c1f")
        XCTAssertEqual(video.simulcast?.send.flatMap { $0.map(\.rid) }, ["q", "h", "f"])
        XCTAssertEqual(video.extMaps.last?.id, 12)
        XCTAssertEqual(video.msids.first?.trackID, "TR_VCt4WnYh8sKd")
    }

    func testAiortcOfferAndAnswerTypedFields() throws {
        let offer = try Fixture.aiortcOffer.parsed()
        XCTAssertEqual(offer.msidSemantic, MSIDSemantic(semantic: "WMS", identifiers: ["*"]))
        let audio = offer.media[0]
        // aiortc repeats all three digests; ports differ per section until BUNDLE is negotiated.
        XCTAssertEqual(audio.fingerprints.map(\.algorithm), ["sha-256", "sha-384", "sha-512"])
        XCTAssertEqual(audio.fingerprints.map(\.bytes.count), [32, 48, 64])
        XCTAssertTrue(audio.endOfCandidates)
        XCTAssertEqual(audio.candidates.first?.foundation.count, 32)
        XCTAssertEqual(audio.candidates.first?.address, "127.0.0.1")
        XCTAssertEqual(audio.candidates.first?.port, audio.port)
        XCTAssertNotEqual(offer.media[0].port, offer.media[1].port)
        XCTAssertEqual(offer.media[1].ssrcGroups.first?.semantics, "FID")
        XCTAssertEqual(offer.media[1].codecs.map(\.name), ["VP8", "rtx", "H264", "rtx", "H264", "rtx"])

        let answer = try Fixture.aiortcAnswerToChrome.parsed()
        XCTAssertEqual(answer.media.map(\.direction), [.recvonly, .recvonly, .sendrecv])
        XCTAssertEqual(answer.media[0].setup, .active)
        XCTAssertEqual(answer.media[1].codecs.map(\.payloadType), [96, 97, 102, 103, 106, 107])
        XCTAssertEqual(answer.media[2].sctpPort, 5000)
    }

    func testUnknownAttributesAndLinesArePreserved() throws {
        let text = """
        v=0\r
        o=jdoe 2890844526 2890842807 IN IP4 10.47.16.5\r
        s=SDP Seminar\r
        i=A Seminar on the session description protocol\r
        u=http://www.example.com/seminars/sdp.pdf\r
        e=j.doe@example.com (Jane Doe)\r
        c=IN IP4 224.2.17.12/127\r
        b=AS:128\r
        t=2873397496 2873404696\r
        r=7d 1h 0 25h\r
        a=recvonly\r
        a=x-custom-flag\r
        a=x-custom:some value: with colons\r
        m=audio 49170 RTP/AVP 0\r
        b=TIAS:64000\r
        a=x-media-thing:1 2 3\r
        m=video 51372/2 RTP/AVP 99\r
        a=rtpmap:99 h263-1998/90000\r
        m=text 11000 RTP/AVP 98\r
        a=rtpmap:98 t140/1000\r

        """
        let sdp = try SessionDescription(parsing: text)
        XCTAssertEqual(sdp.information, "A Seminar on the session description protocol")
        XCTAssertEqual(sdp.timing, [Timing(start: 2873397496, stop: 2873404696, repeats: ["7d 1h 0 25h"])])
        XCTAssertEqual(sdp.firstValue("x-custom"), "some value: with colons")
        XCTAssertTrue(sdp.has("x-custom-flag"))
        XCTAssertEqual(sdp.media[0].codecs.first?.name, "PCMU") // static PT without rtpmap
        XCTAssertEqual(sdp.media[0].bandwidths, [Bandwidth(type: "TIAS", value: 64000)])
        XCTAssertEqual(sdp.media[1].portCount, 2)
        XCTAssertEqual(sdp.media[2].kind, .other("text"))
        XCTAssertEqual(sdp.serialized(), text)
    }
}
