import AccessTokens
import Foundation
import XCTest

final class TokenIssuerTests: XCTestCase {
    let issuer = TokenIssuer()
    let t0 = Date(timeIntervalSince1970: 1_893_456_000)

    func testRoundTrip() async throws {
        let grant = VideoGrant(roomJoin: true, canPublish: false, canPublishSources: ["microphone"], hidden: true)
        let token = try await issuer.token(
            identity: "alice", name: "Alice", room: "room-9", grant: grant, metadata: "{\"a\":1}",
            attributes: ["k": "v"], kind: "standard", validFor: 600,
            apiKey: Fixtures.apiKey, secret: Fixtures.secret, now: t0)
        let claims = try await fixtureVerifier.verify(token, now: t0.addingTimeInterval(1))
        XCTAssertEqual(claims, AccessTokenClaims(
            iss: Fixtures.apiKey, sub: "alice", name: "Alice", metadata: "{\"a\":1}", attributes: ["k": "v"],
            kind: "standard",
            video: VideoGrant(roomJoin: true, room: "room-9", canPublish: false, canPublishSources: ["microphone"], hidden: true),
            nbf: t0, exp: t0.addingTimeInterval(600)))
        XCTAssertTrue(claims.videoGrant.canSubscribeEffective)
        XCTAssertFalse(claims.videoGrant.canPublishDataEffective)
    }

    func testWireFormatMatchesLiveKit() async throws {
        let token = try await issuer.token(
            identity: "bob", grant: VideoGrant(roomJoin: true, room: "r"), validFor: 60.9,
            apiKey: Fixtures.apiKey, secret: Fixtures.secret, now: t0.addingTimeInterval(0.7))
        let header = try segmentJSON(token, 0)
        XCTAssertEqual(header["alg"] as? String, "HS256")
        XCTAssertEqual(header["typ"] as? String, "JWT")
        let claims = try segmentJSON(token, 1)
        XCTAssertEqual(Set(claims.keys), ["iss", "sub", "video", "nbf", "exp"])
        XCTAssertEqual(Set((claims["video"] as? [String: Any] ?? [:]).keys), ["roomJoin", "room"])
        // Whole seconds, like LiveKit's SDKs (go-jose NumericDate is an int64).
        let text = try segmentText(token, 1)
        XCTAssertTrue(text.contains("\"nbf\":1893456000"), text)
        XCTAssertTrue(text.contains("\"exp\":1893456061"), text)
    }

    func testLeeway() async throws {
        let token = try await issuer.token(identity: "x", grant: VideoGrant(), validFor: 60,
                                           apiKey: Fixtures.apiKey, secret: Fixtures.secret, now: t0)
        let verifier = TokenVerifier(keys: [Fixtures.apiKey: Fixtures.secret])
        XCTAssertEqual(verifier.leeway, 10)
        _ = try await verifier.verify(token, now: t0.addingTimeInterval(69))
        await assertRejected(token, as: .expired, by: verifier, now: t0.addingTimeInterval(70))
        _ = try await verifier.verify(token, now: t0.addingTimeInterval(-9))
        await assertRejected(token, as: .notYetValid, by: verifier, now: t0.addingTimeInterval(-11))

        let strict = TokenVerifier(keys: [Fixtures.apiKey: Fixtures.secret], leeway: 0)
        await assertRejected(token, as: .expired, by: strict, now: t0.addingTimeInterval(60))
        await assertRejected(token, as: .notYetValid, by: strict, now: t0.addingTimeInterval(-1))
    }

    func testCustomTimesViaSign() async throws {
        let expired = try await issuer.sign(
            AccessTokenClaims(iss: Fixtures.apiKey, sub: "old", nbf: Date(timeIntervalSince1970: 1_000),
                              exp: Date(timeIntervalSince1970: 2_000)),
            secret: Fixtures.secret)
        await assertRejected(expired, as: .expired, now: Date())
        let future = try await issuer.sign(
            AccessTokenClaims(iss: Fixtures.apiKey, sub: "new", nbf: Date(timeIntervalSince1970: 4_000_000_000),
                              exp: Date(timeIntervalSince1970: 4_000_003_600)),
            secret: Fixtures.secret)
        await assertRejected(future, as: .notYetValid, now: Date())
        // A token without nbf is fine; one without exp is not.
        let noNbf = try await issuer.sign(AccessTokenClaims(iss: Fixtures.apiKey, sub: "n", exp: t0.addingTimeInterval(60)),
                                          secret: Fixtures.secret)
        _ = try await fixtureVerifier.verify(noNbf, now: t0)
        let noExp = try await issuer.sign(AccessTokenClaims(iss: Fixtures.apiKey, sub: "n"), secret: Fixtures.secret)
        await assertMalformed(noExp, reasonContains: "exp")
    }

    func testKeySelection() async throws {
        let verifier = TokenVerifier(keys: [
            "key-a": "secret-a-0123456789abcdefghijklmnopqrstuvwxyz",
            "key-b": "secret-b-0123456789abcdefghijklmnopqrstuvwxyz",
        ])
        for key in ["key-a", "key-b"] {
            let token = try await issuer.token(identity: key, grant: VideoGrant(), validFor: 60, apiKey: key,
                                               secret: "secret-\(key.suffix(1))-0123456789abcdefghijklmnopqrstuvwxyz", now: t0)
            let claims = try await verifier.verify(token, now: t0)
            XCTAssertEqual(claims.identity, key)
        }
        // iss says key-b, signed with key-a's secret.
        let forged = try await issuer.token(identity: "x", grant: VideoGrant(), validFor: 60, apiKey: "key-b",
                                            secret: "secret-a-0123456789abcdefghijklmnopqrstuvwxyz", now: t0)
        await assertRejected(forged, as: .badSignature, by: verifier, now: t0)
        let unknown = try await issuer.token(identity: "x", grant: VideoGrant(), validFor: 60, apiKey: "key-c",
                                             secret: "secret-a-0123456789abcdefghijklmnopqrstuvwxyz", now: t0)
        await assertRejected(unknown, as: .unknownKey, by: verifier, now: t0)
    }

    func testShortSecretsInteroperate() async throws {
        // Same MAC as PyJWT's for the 6-byte dev secret (the dev fixture was made by livekit-api).
        let token = try await issuer.token(identity: "dev-user", grant: VideoGrant(), validFor: 60,
                                           apiKey: "devkey", secret: "secret", now: t0)
        _ = try await fixtureVerifier.verify(token, now: t0)
        let verifier = TokenVerifier(keys: ["devkey": "secret2"])
        await assertRejected(token, as: .badSignature, by: verifier, now: t0)
    }

    func testIssuerValidation() async {
        func issueError(_ body: () async throws -> String) async -> TokenIssuer.IssueError? {
            do { _ = try await body(); return nil } catch { return error as? TokenIssuer.IssueError }
        }
        let s = Fixtures.secret
        var e = await issueError { try await self.issuer.token(identity: "a", grant: VideoGrant(), validFor: 60, apiKey: "", secret: s) }
        XCTAssertEqual(e, .missingAPIKey)
        e = await issueError { try await self.issuer.token(identity: "a", grant: VideoGrant(), validFor: 60, apiKey: "k", secret: "") }
        XCTAssertEqual(e, .missingSecret)
        for bad in [0, -1, .infinity, .nan] as [TimeInterval] {
            e = await issueError { try await self.issuer.token(identity: "a", grant: VideoGrant(), validFor: bad, apiKey: "k", secret: s) }
            XCTAssertEqual(e, .invalidLifetime)
        }
        e = await issueError { try await self.issuer.token(identity: "", room: "r", grant: VideoGrant(roomJoin: true), validFor: 60, apiKey: "k", secret: s) }
        XCTAssertEqual(e, .roomJoinRequiresIdentityAndRoom)
        e = await issueError { try await self.issuer.token(identity: "a", grant: VideoGrant(roomJoin: true), validFor: 60, apiKey: "k", secret: s) }
        XCTAssertEqual(e, .roomJoinRequiresIdentityAndRoom)
        XCTAssertFalse(TokenIssuer.IssueError.invalidLifetime.description.isEmpty)
    }
}
