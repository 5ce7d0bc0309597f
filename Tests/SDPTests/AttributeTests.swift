import SDP
import XCTest

final class AttributeTests: XCTestCase {
    private func parse<T: SDPAttributeValue>(_ t: T.Type, _ s: String) -> T? { T(attributeValue: Substring(s)) }

    func testCandidateGrammar() throws {
        let mdns = try XCTUnwrap(parse(Candidate.self,
            "1467250027 1 udp 2122260223 3f0c6c1e-5c6a-4b1a-9c8e-2a8e5e9a8b1f.local 54400 typ host generation 0 network-cost 999"))
        XCTAssertEqual(mdns.address, "3f0c6c1e-5c6a-4b1a-9c8e-2a8e5e9a8b1f.local")
        let relay = try XCTUnwrap(parse(Candidate.self,
            "4 1 udp 8331007 203.0.113.9 61000 typ relay raddr 198.51.100.1 rport 50000 generation 0 ufrag EsAw network-id 1"))
        XCTAssertEqual(relay.kind, .relay)
        XCTAssertEqual(relay.extensionValue("ufrag"), "EsAw")
        XCTAssertEqual(relay.attributeValue,
            "4 1 udp 8331007 203.0.113.9 61000 typ relay raddr 198.51.100.1 rport 50000 generation 0 ufrag EsAw network-id 1")
        XCTAssertEqual(try Candidate(parsing: "a=candidate:\(relay.attributeValue)"), relay)
        XCTAssertEqual(relay.candidateString, "candidate:\(relay.attributeValue)")
        for bad in ["", "1 1 udp", "1 1 udp 1 1.2.3.4 70000 typ host", "1 0 udp 1 1.2.3.4 1 typ host",
                    "1 1 udp 1 1.2.3.4 1 type host", "1 1 udp -1 1.2.3.4 1 typ host", "1 1 udp 1 1.2.3.4 1 typ host generation",
                    "1 1 udp 99999999999 1.2.3.4 1 typ host", "f@o 1 udp 1 1.2.3.4 1 typ host",
                    "1 1 udp 1 1.2.3.4 1 typ srflx raddr", "1 1 udp 1 1.2.3.4 1 typ srflx raddr 1.1.1.1 rport x"] {
            XCTAssertNil(parse(Candidate.self, bad), bad)
        }
        XCTAssertThrowsError(try Candidate(parsing: "candidate:garbage"))
    }

    func testFingerprint() {
        let f = parse(Fingerprint.self, "SHA-256 " + Array(repeating: "ab", count: 32).joined(separator: ":"))
        XCTAssertEqual(f?.algorithm, "sha-256")
        XCTAssertEqual(f?.bytes, Array(repeating: 0xAB, count: 32))
        XCTAssertEqual(f?.hex.prefix(5), "AB:AB")
        for bad in ["sha-256", "sha-256 AB:CD", "sha-256 A:BC", "sha-256 ZZ:" + Array(repeating: "00", count: 31).joined(separator: ":"),
                    "sha-256 " + Array(repeating: "00", count: 32).joined(separator: ":") + ":", "sha-256 AB::CD"] {
            XCTAssertNil(parse(Fingerprint.self, bad), bad)
        }
        XCTAssertEqual(parse(Fingerprint.self, "x-new 01:02")?.bytes, [1, 2], "unknown algorithms are length-agnostic")
    }

    func testRTPAttributes() {
        XCTAssertEqual(parse(RTPMap.self, "96 VP8/90000"), RTPMap(payloadType: 96, encodingName: "VP8", clockRate: 90000))
        for bad in ["96", "128 VP8/90000", "96 VP8", "96 VP8/0", "96 VP8/90000/0", "96 /90000", "x VP8/90000", "96 VP8/9/1/1"] {
            XCTAssertNil(parse(RTPMap.self, bad), bad)
        }
        let fmtp = parse(FMTP.self, "97 apt=96; rtx-time=3000")
        XCTAssertEqual(fmtp?.parameters, [SDPParameter("apt", "96"), SDPParameter("rtx-time", "3000")])
        XCTAssertEqual(fmtp?.attributeValue, "97 apt=96;rtx-time=3000")
        XCTAssertNil(parse(FMTP.self, "abc x=1"))
        XCTAssertEqual(parse(RTCPFeedback.self, "* trr-int 100"), RTCPFeedback(payloadType: nil, type: "trr-int", parameter: "100"))
        XCTAssertNil(parse(RTCPFeedback.self, "96"))
        XCTAssertEqual(parse(ExtMap.self, "3/sendonly urn:x attr"), ExtMap(id: 3, uri: "urn:x", direction: .sendonly, extensionAttributes: "attr"))
        for bad in ["0 urn:x", "256 urn:x", "3/sideways urn:x", "3", "x urn:x", "3/sendonly/x urn:x"] {
            XCTAssertNil(parse(ExtMap.self, bad), bad)
        }
        XCTAssertEqual(Direction.sendonly.reversed, .recvonly)
        XCTAssertEqual(Direction.sendrecv.intersection(.recvonly), .recvonly)
    }

    func testStreamAttributes() {
        XCTAssertEqual(parse(SSRCAttribute.self, "1 msid:a b"), SSRCAttribute(ssrc: 1, attribute: "msid", value: "a b"))
        XCTAssertNil(parse(SSRCAttribute.self, "4294967296 cname:x"))
        XCTAssertNil(parse(SSRCGroup.self, "FID"))
        XCTAssertNil(parse(SSRCGroup.self, "FID 1 x"))
        let sim = parse(Simulcast.self, "send 1,~2;3 recv ~4")
        XCTAssertEqual(sim?.send, [[.init(rid: "1"), .init(rid: "2", paused: true)], [.init(rid: "3")]])
        XCTAssertEqual(sim?.recv, [[.init(rid: "4", paused: true)]])
        XCTAssertEqual(sim?.attributeValue, "send 1,~2;3 recv ~4")
        for bad in ["send", "send a;;b", "send a recv", "send a send b", "up a", "send a,~"] {
            XCTAssertNil(parse(Simulcast.self, bad), bad)
        }
        let rid = parse(RID.self, "f send pt=96,97;max-width=1280;max-height=720")
        XCTAssertEqual(rid?.payloadTypes, [96, 97])
        XCTAssertEqual(rid?.restrictions["max-width"], "1280")
        XCTAssertNil(parse(RID.self, "f sideways"))
        XCTAssertNil(parse(RID.self, "f.x send"))
        XCTAssertEqual(parse(MSID.self, "- track"), MSID(streamID: "-", trackID: "track"))
        XCTAssertNil(parse(MSID.self, "a b c"))
        XCTAssertEqual(parse(SCTPMap.self, "5000 webrtc-datachannel 1024"), SCTPMap(port: 5000, application: "webrtc-datachannel", streams: 1024))
        XCTAssertEqual(parse(Setup.self, "ACTPASS"), .actpass)
        XCTAssertNil(parse(Setup.self, "sometimes"))
    }

    func testOldSCTPFormIsAnsweredInKind() throws {
        let text = """
        v=0\r
        o=- 1 1 IN IP4 0.0.0.0\r
        s=-\r
        t=0 0\r
        a=group:BUNDLE data\r
        m=application 9 DTLS/SCTP 5000\r
        c=IN IP4 0.0.0.0\r
        a=ice-ufrag:abcd\r
        a=ice-pwd:abcdefghijklmnopqrstuvwx\r
        a=fingerprint:sha-256 \(Array(repeating: "01", count: 32).joined(separator: ":"))\r
        a=setup:actpass\r
        a=mid:data\r
        a=sctpmap:5000 webrtc-datachannel 1024\r

        """
        let offer = try SessionDescription(parsing: text)
        XCTAssertEqual(offer.media[0].sctpMap?.streams, 1024)
        let answer = try makeAnswer(to: offer, options: try sfuAnswerOptions())
        XCTAssertEqual(answer.media[0].formats, ["5000"])
        XCTAssertEqual(answer.media[0].sctpMap, SCTPMap(port: 5000, application: "webrtc-datachannel", streams: 1024))
        XCTAssertNil(answer.media[0].sctpPort)
    }
}
