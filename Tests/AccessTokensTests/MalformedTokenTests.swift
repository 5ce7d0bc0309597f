import AccessTokens
import Foundation
import XCTest

/// Hostile input: every case throws a TokenError, none crashes, none is accepted.
final class MalformedTokenTests: XCTestCase {
    let header = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9" // {"alg":"HS256","typ":"JWT"}

    func testGarbage() async {
        for garbage in ["", " ", ".", "..", "...", "a.b.c", "garbage", "Bearer " + Fixtures.viewer,
                        Fixtures.viewer + " ", "\u{0}\u{1}.\u{2}.\u{3}", "🙂.🙂.🙂", "====.====.===="] {
            await assertMalformed(garbage)
        }
    }

    func testWrongSegmentCount() async {
        let parts = Fixtures.viewer.split(separator: ".").map(String.init)
        await assertMalformed(parts[0], reasonContains: "three")
        await assertMalformed(parts[0] + "." + parts[1], reasonContains: "three")
        await assertMalformed(Fixtures.viewer + "." + parts[2], reasonContains: "three")
        await assertMalformed(parts.joined(separator: ".") + ".", reasonContains: "three")
    }

    func testBadBase64() async {
        let parts = Fixtures.viewer.split(separator: ".").map(String.init)
        await assertMalformed("!!!!." + parts[1] + "." + parts[2])
        await assertMalformed(parts[0] + ".%%%%." + parts[2])
        await assertMalformed(parts[0] + "." + parts[1] + ".$$$$")
        await assertMalformed("e." + parts[1] + "." + parts[2]) // impossible length
    }

    func testHeaderOrClaimsNotAJSONObject() async {
        await assertMalformed(Fixtures.headerArray, reasonContains: "header")
        await assertMalformed(base64URL("{not json") + "." + base64URL("{}") + ".AAAA", reasonContains: "header")
        await assertMalformed(Fixtures.payloadArray, reasonContains: "payload is not a JSON object")
        await assertMalformed(Fixtures.payloadString, reasonContains: "payload is not a JSON object")
        await assertMalformed(Fixtures.payloadNumber, reasonContains: "payload is not a JSON object")
        await assertMalformed(Fixtures.payloadNull, reasonContains: "payload")
        await assertMalformed(Fixtures.payloadNotJSON, reasonContains: "payload is not valid JSON")
    }

    func testClaimsOfTheWrongType() async {
        // Signed correctly, but the claims do not have LiveKit's types.
        await assertMalformed(Fixtures.canPublishString, reasonContains: "video.canPublish")
        await assertMalformed(Fixtures.expString, reasonContains: "exp")
        await assertMalformed(Fixtures.issNumber, reasonContains: "iss")
        await assertMalformed(Fixtures.attributesNotStrings, reasonContains: "attributes")
        await assertMalformed(Fixtures.noIss, reasonContains: "iss")
    }

    func testDeeplyNestedRoomConfig() async {
        // 1500 nested arrays inside roomConfig, correctly signed: rejected, no stack overflow.
        await assertMalformed(Fixtures.deepRoomConfig)
    }

    func testHugeToken() async {
        await assertMalformed(String(repeating: "a", count: TokenVerifier.maxTokenLength + 1), reasonContains: "longer")
        // A correctly signed but oversized token.
        let big = try? await TokenIssuer().token(
            identity: "x", grant: VideoGrant(), metadata: String(repeating: "m", count: 10_000),
            validFor: 3600, apiKey: Fixtures.apiKey, secret: Fixtures.secret, now: fixtureNow)
        await assertMalformed(try! XCTUnwrap(big), reasonContains: "longer")
        await assertMalformed(String(repeating: "a.", count: 100_000))
    }

    func testEveryTruncationIsRejected() async {
        let token = Fixtures.viewer
        for length in 0..<token.count {
            let error = await rejection(String(token.prefix(length)))
            switch error {
            case .malformed?, .badSignature?: break
            default: XCTFail("prefix \(length): \(String(describing: error))")
            }
        }
    }

    func testMutatedHeaderOrClaimsNeverVerify() async {
        // Any change before the second dot changes the signed bytes.
        var rng = SplitMix64(seed: 0x5157_4954_4348)
        let token = Array(Fixtures.sources)
        let signed = token.lastIndex(of: ".")!
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"")
        for _ in 0..<300 {
            var mutated = token
            let position = Int(rng.next() % UInt64(signed))
            let replacement = alphabet[Int(rng.next() % UInt64(alphabet.count))]
            guard mutated[position] != replacement else { continue }
            mutated[position] = replacement
            _ = await rejection(String(mutated))
        }
    }

    func testRandomGarbageNeverCrashes() async {
        var rng = SplitMix64(seed: 42)
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.=+/ {}\"")
        for _ in 0..<500 {
            let length = Int(rng.next() % 200)
            var text = ""
            for _ in 0..<length { text.append(alphabet[Int(rng.next() % UInt64(alphabet.count))]) }
            _ = await rejection(text)
        }
        // Valid base64url segments with random JSON-ish content.
        let bodies = ["{}", "[]", "{\"iss\":null}", "{\"iss\":\"APIfixtureKey\"}", "{\"alg\":\"HS256\"}", "true", "\"\"", "{\"iss\":{}}"]
        for headerJSON in bodies + [#"{"alg":"HS256"}"#] {
            for claimsJSON in bodies {
                _ = await rejection(base64URL(headerJSON) + "." + base64URL(claimsJSON) + "." + base64URL("sig"))
            }
        }
    }

    func testUntrustedTextInErrorsIsSanitised() async {
        let evilAlg = #"{"alg":"\u0000<script>\"\\ and a very long algorithm name that goes on and on"}"#
        let error = await rejection(base64URL(evilAlg) + "." + base64URL("{}") + ".AAAA")
        guard case .unsupportedAlgorithm(let alg)? = error else { return XCTFail("\(String(describing: error))") }
        XCTAssertLessThanOrEqual(alg.count, 41)
        XCTAssertTrue(alg.unicodeScalars.allSatisfy { (0x20..<0x7F).contains($0.value) || $0 == "…" }, alg)
        XCTAssertFalse(alg.contains("\""))
    }
}

struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
