import SDP
import XCTest

/// Deterministic PRNG so a failing mutation can be reproduced from its seed.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class HostileInputTests: XCTestCase {
    /// Whatever the parser accepts must be a fixed point of serialize→parse, and the answer
    /// builder must handle it without trapping (throwing is fine).
    private func checkAccepted(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) {
        guard let sdp = try? SessionDescription(parsing: bytes) else { return }
        XCTAssertEqual(try? SessionDescription(parsing: sdp.serialized()), sdp, file: file, line: line)
        if let options = try? sfuAnswerOptions(), let answer = try? makeAnswer(to: sdp, options: options) {
            XCTAssertEqual(try? SessionDescription(parsing: answer.serialized()), answer, file: file, line: line)
        }
    }

    private func reason(_ text: String, limits: SDPLimits = .default) -> SDPParseError? {
        do {
            _ = try SessionDescription(parsing: text, limits: limits)
            return nil
        } catch {
            return error
        }
    }

    func testTruncatedAtEveryLineAndEveryByte() throws {
        for f in Fixture.allCases {
            let text = try f.text()
            let lines = text.components(separatedBy: "\r\n")
            for k in 0..<lines.count {
                let prefix = lines[..<k].joined(separator: "\r\n")
                checkAccepted(Array(prefix.utf8))
                if k < 3 { XCTAssertNotNil(reason(prefix), "\(f) truncated to \(k) lines") }
            }
        }
        let bytes = Array(try Fixture.chromeOffer.text().utf8)
        for cut in stride(from: 0, to: bytes.count, by: 3) { checkAccepted(Array(bytes[..<cut])) }
        // Cutting the Chrome offer inside the audio section leaves a BUNDLE group naming missing mids.
        let cut = try Fixture.chromeOffer.text().components(separatedBy: "m=video")[0]
        XCTAssertEqual(reason(cut)?.reason, .unknownGroupMid("1"))
        XCTAssertEqual(reason(cut)?.line, 5)
    }

    func testGarbageLines() throws {
        let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        let cases: [(String, SDPParseError.Reason)] = [
            ("hello", .malformedLine), ("x=1", .unknownLineType("x")), ("a", .malformedLine), ("=a", .malformedLine),
            ("A=b", .malformedLine), ("a=", .malformedLine), ("a=:value", .malformedLine), ("a=na me:x", .malformedLine),
            ("v=0", .unexpectedLine("v")), ("m=audio", .malformedMediaLine), ("m=audio 9 RTP/AVP", .malformedMediaLine),
            ("m=audio 65536 RTP/AVP 0", .malformedMediaLine), ("m=audio 9 RTP/AVP 128", .malformedMediaLine),
            ("m=audio 9 RTP/AVP x", .malformedMediaLine), ("c=IN IP4", .malformedConnection), ("b=AS", .malformedBandwidth),
            ("b=AS:-1", .malformedBandwidth), ("t=0", .malformedTiming), ("a=mid:a b", .malformedAttribute("mid")),
            ("a=ice-ufrag:bad!", .malformedAttribute("ice-ufrag")), ("a=setup:maybe", .malformedAttribute("setup")),
            ("a=group:BUNDLE x", .unknownGroupMid("x")), ("a=extmap:99999 urn:x", .malformedAttribute("extmap")),
        ]
        for (line, expected) in cases {
            let err = reason(head + line + "\r\n")
            XCTAssertEqual(err?.reason, expected, line)
            XCTAssertEqual(err?.line, 5, line)
        }
        XCTAssertEqual(reason("")?.reason, .missingLine("v"))
        XCTAssertEqual(reason("v=1\r\n")?.reason, .unsupportedVersion)
        XCTAssertEqual(reason("v=0\r\ns=-\r\n")?.reason, .missingLine("o"))
        XCTAssertEqual(reason("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\nt=0 0\r\n")?.reason, .missingLine("s"))
        XCTAssertEqual(reason("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n")?.reason, .missingLine("t"))
        XCTAssertEqual(reason("v=0\r\no=- x 1 IN IP4 0.0.0.0\r\n")?.reason, .malformedOrigin)
        XCTAssertEqual(reason(head + "m=audio 9 RTP/AVP 0\r\nt=0 0\r\n")?.reason, .unexpectedLine("t"))
        XCTAssertEqual(reason(head + "a=x\0y\r\n")?.reason, .invalidEncoding)
        XCTAssertEqual(reason(head + "a=x\ry\r\n")?.reason, .invalidEncoding)
        XCTAssertEqual(try? SessionDescription(parsing: Array(head.utf8) + [0x61, 0x3D, 0xFF, 0xFE, 0x0D, 0x0A]), nil)
        let dupMid = head + "m=audio 9 RTP/AVP 0\r\na=mid:a\r\nm=audio 9 RTP/AVP 0\r\na=mid:a\r\n"
        XCTAssertEqual(reason(dupMid), SDPParseError(line: 8, reason: .duplicateMid("a")))
    }

    func testMalformedKnownAttributesInARealOfferReportTheirLine() throws {
        let text = try Fixture.chromeOffer.text()
        let lines = text.components(separatedBy: "\r\n")
        let replacements: [(prefix: String, bad: String, name: String)] = [
            ("a=rtpmap:96 ", "a=rtpmap:96 VP8", "rtpmap"),
            ("a=candidate:", "a=candidate:1 1 udp 2122260223 192.168.1.23 54400 typ", "candidate"),
            ("a=fingerprint:", "a=fingerprint:sha-256 D2:FA:0E", "fingerprint"),
            ("a=extmap:14 ", "a=extmap:0 urn:ietf:params:rtp-hdrext:toffset", "extmap"),
            ("a=fmtp:97 ", "a=fmtp:x apt=96", "fmtp"),
            ("a=rtcp-fb:96 ", "a=rtcp-fb:96", "rtcp-fb"),
            ("a=ssrc-group:", "a=ssrc-group:FID 1 two", "ssrc-group"),
            ("a=sctp-port:", "a=sctp-port:70000", "sctp-port"),
        ]
        for r in replacements {
            let index = try XCTUnwrap(lines.firstIndex { $0.hasPrefix(r.prefix) })
            var broken = lines
            broken[index] = r.bad
            XCTAssertEqual(reason(broken.joined(separator: "\r\n")), SDPParseError(line: index + 1, reason: .malformedAttribute(r.name)), r.name)
        }
    }

    func testSizeBounds() throws {
        let head = "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n"
        let huge = head + String(repeating: "a=x-pad:" + String(repeating: "y", count: 1000) + "\r\n", count: 300)
        XCTAssertEqual(reason(huge)?.reason, .tooLarge(bytes: huge.utf8.count))
        XCTAssertEqual(reason(head + "a=x:" + String(repeating: "z", count: 5000) + "\r\n")?.reason, .lineTooLong)
        let manyM = head + String(repeating: "m=audio 0 RTP/AVP 0\r\n", count: 257)
        XCTAssertEqual(reason(manyM), SDPParseError(line: 261, reason: .tooManyMediaSections))
        XCTAssertNil(reason(head + String(repeating: "m=audio 0 RTP/AVP 0\r\n", count: 256)))
        let manyA = head + "m=audio 0 RTP/AVP 0\r\n" + String(repeating: "a=x\r\n", count: 1025)
        XCTAssertEqual(reason(manyA)?.reason, .tooManyAttributes)
        XCTAssertEqual(reason(head + String(repeating: "\r\n", count: 20_000))?.reason, .tooManyLines)
        let small = SDPLimits(maxBytes: 100)
        XCTAssertEqual(reason(try Fixture.chromeOffer.text(), limits: small)?.reason, .tooLarge(bytes: 7475))
        XCTAssertEqual(reason(head + "m=audio 9 RTP/AVP " + Array(repeating: "0", count: 300).joined(separator: " "))?.reason,
                       .malformedMediaLine)
    }

    func testRandomMutationsNeverCrash() throws {
        var rng = SplitMix64(state: 0x5D9_2024)
        let alphabet = Array("0123456789 :/;=,~*-abcmtvo\r\n\0\u{7F}é".utf8)
        var accepted = 0
        let fixtures = try Fixture.allCases.map { Array(try $0.text().utf8) }
        for _ in 0..<3000 {
            var bytes = fixtures[Int.random(in: 0..<fixtures.count, using: &rng)]
            for _ in 0..<Int.random(in: 1...4, using: &rng) {
                guard !bytes.isEmpty else { break }
                let i = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<6, using: &rng) {
                case 0: bytes.remove(at: i)
                case 1: bytes.insert(alphabet.randomElement(using: &rng)!, at: i)
                case 2: bytes[i] = UInt8.random(in: 0...255, using: &rng)
                case 3: bytes[i] = alphabet.randomElement(using: &rng)!
                case 4: bytes.removeSubrange(i..<min(bytes.count, i + Int.random(in: 1...200, using: &rng)))
                default:
                    // Duplicate a chunk: repeats lines (duplicate mids, m-lines, attributes).
                    let j = min(bytes.count, i + Int.random(in: 1...300, using: &rng))
                    bytes.insert(contentsOf: bytes[i..<j], at: j)
                }
            }
            if (try? SessionDescription(parsing: bytes)) != nil { accepted += 1 }
            checkAccepted(bytes)
        }
        // Sanity: the mutations are not so destructive that nothing parses.
        XCTAssertGreaterThan(accepted, 100)
    }
}
