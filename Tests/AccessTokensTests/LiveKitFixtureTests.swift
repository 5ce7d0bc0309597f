import AccessTokens
import Foundation
import XCTest

/// Tokens made by the real livekit-api Python package must verify and decode completely.
final class LiveKitFixtureTests: XCTestCase {
    let issued = Date(timeIntervalSince1970: 1_795_780_621)
    let expires = Date(timeIntervalSince1970: 2_111_140_621)

    func testViewerToken() async throws {
        let claims = try await fixtureVerifier.verify(Fixtures.viewer, now: fixtureNow)
        XCTAssertEqual(claims, AccessTokenClaims(
            iss: Fixtures.apiKey, sub: "alice", name: "Alice Example",
            metadata: #"{"role":"viewer"}"#, attributes: ["team": "blue", "lang": "de"],
            video: VideoGrant(roomJoin: true, room: "room-1", canPublish: false, canSubscribe: true, canPublishData: true),
            nbf: issued, exp: expires))
        XCTAssertEqual(claims.identity, "alice")
        XCTAssertEqual(claims.apiKey, Fixtures.apiKey)
        let grant = claims.videoGrant
        XCTAssertFalse(grant.canPublishEffective)
        XCTAssertTrue(grant.canSubscribeEffective)
        XCTAssertTrue(grant.canPublishDataEffective)
        XCTAssertFalse(grant.canPublish(source: .camera))
        XCTAssertNil(grant.roomAdmin)
    }

    func testAdminTokenIgnoresOtherGrantObjects() async throws {
        // Also carries top-level "sip" and "agent" grant objects and "roomPreset".
        let claims = try await fixtureVerifier.verify(Fixtures.admin, now: fixtureNow)
        XCTAssertEqual(claims, AccessTokenClaims(
            iss: Fixtures.apiKey, sub: "admin-bot", kind: "agent",
            video: VideoGrant(
                roomCreate: true, roomList: true, roomRecord: true, roomAdmin: true, room: "room-1",
                canPublish: true, canSubscribe: true, canPublishData: true, ingressAdmin: true, hidden: true),
            roomPreset: "preset-a", nbf: issued, exp: expires))
        XCTAssertNil(claims.video?.roomJoin)
        XCTAssertNil(claims.name)
        XCTAssertNil(claims.metadata)
        XCTAssertNil(claims.attributes)
    }

    func testSourcesTokenWithRoomConfig() async throws {
        let claims = try await fixtureVerifier.verify(Fixtures.sources, now: fixtureNow)
        XCTAssertEqual(claims, AccessTokenClaims(
            iss: Fixtures.apiKey, sub: "bob", name: "Bob",
            sha256: "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
            video: VideoGrant(
                roomJoin: true, room: "room-2", canPublish: true, canSubscribe: false, canPublishData: false,
                canPublishSources: ["camera", "microphone", "screen_share", "screen_share_audio"],
                canUpdateOwnMetadata: true, recorder: true, agent: true, canSubscribeMetrics: true,
                destinationRoom: "room-3"),
            roomConfig: .object([
                "name": .string("room-2"), "emptyTimeout": .number(300), "maxParticipants": .number(8),
                "agents": .array([.object(["agentName": .string("helper"), "metadata": .string("m")])]),
            ]),
            nbf: issued, exp: expires))
        let grant = claims.videoGrant
        XCTAssertTrue(TrackSource.allCases.allSatisfy(grant.canPublish(source:)))
        XCTAssertFalse(grant.canSubscribeEffective)
        XCTAssertFalse(grant.canPublishDataEffective)
        XCTAssertTrue(grant.canUpdateOwnMetadataEffective)
        XCTAssertTrue(grant.canSubscribeMetricsEffective)
    }

    func testDevModeShortSecret() async throws {
        // livekit-server --dev uses devkey/secret: a 6-byte secret must work (and not trip
        // jwt-kit's debug assertion on short HMAC keys).
        let claims = try await fixtureVerifier.verify(Fixtures.dev, now: fixtureNow)
        XCTAssertEqual(claims, AccessTokenClaims(
            iss: "devkey", sub: "dev-user",
            video: VideoGrant(roomJoin: true, room: "dev-room", canPublish: true, canSubscribe: true, canPublishData: true),
            nbf: issued, exp: expires))
    }

    func testVerifiesWithTheRealClockToo() async throws {
        // The fixtures are valid 2026-11-27 … 2036-11-24.
        let now = Date()
        guard now > issued.addingTimeInterval(60), now < expires.addingTimeInterval(-60) else {
            throw XCTSkip("machine clock outside the fixtures' validity window")
        }
        _ = try await fixtureVerifier.verify(Fixtures.viewer)
    }

    func testUnknownClaimsAndKidAreTolerated() async throws {
        let claims = try await fixtureVerifier.verify(Fixtures.unknownClaims, now: fixtureNow)
        XCTAssertEqual(claims.video, VideoGrant(roomJoin: true, room: "room-1"))
        XCTAssertEqual(claims.identity, "carol")
    }

    func testIdentityFallsBackToJTI() async throws {
        let claims = try await fixtureVerifier.verify(Fixtures.jtiIdentity, now: fixtureNow)
        XCTAssertEqual(claims.sub, "")
        XCTAssertEqual(claims.identity, "identity-from-jti")
    }

    func testExpiredAndNotYetValid() async {
        await assertRejected(Fixtures.expired, as: .expired, now: Date())
        await assertRejected(Fixtures.expired, as: .expired)
        await assertRejected(Fixtures.notYetValid, as: .notYetValid)
        await assertRejected(Fixtures.notYetValid, as: .notYetValid, now: Date())
        // Inside their windows they are fine.
        for (token, inside) in [(Fixtures.expired, 1_600_001_000.0), (Fixtures.notYetValid, 4_102_446_000.0)] {
            do {
                let claims = try await fixtureVerifier.verify(token, now: Date(timeIntervalSince1970: inside))
                XCTAssertEqual(claims.identity, "carol")
            } catch {
                XCTFail("\(error)")
            }
        }
        // The far-future tokens are expired after 2036.
        await assertRejected(Fixtures.viewer, as: .expired, now: expires.addingTimeInterval(3600))
        await assertRejected(Fixtures.viewer, as: .notYetValid, now: issued.addingTimeInterval(-3600))
    }

    func testMissingExpIsRejected() async {
        await assertMalformed(Fixtures.noExp, reasonContains: "exp")
    }

    func testSignatureAndKeyFailures() async {
        await assertRejected(Fixtures.wrongSecret, as: .badSignature)
        await assertRejected(Fixtures.unknownKey, as: .unknownKey)
        // Right API key, wrong secret configured.
        await assertRejected(Fixtures.viewer, as: .badSignature,
                             by: TokenVerifier(keys: [Fixtures.apiKey: "not-the-secret-0123456789abcdefghijklmn"]))
        // No keys at all, or only an empty secret.
        await assertRejected(Fixtures.viewer, as: .unknownKey, by: TokenVerifier(keys: [:]))
        await assertRejected(Fixtures.viewer, as: .unknownKey, by: TokenVerifier(keys: [Fixtures.apiKey: ""]))
    }

    func testOnlyHS256IsAccepted() async {
        await assertRejected(Fixtures.algNone, as: .unsupportedAlgorithm("none"))
        await assertRejected(Fixtures.hs512, as: .unsupportedAlgorithm("HS512"))
        // Headers that lie about the algorithm while carrying a valid HS256 MAC.
        await assertRejected(Fixtures.noneHeaderValidMAC, as: .unsupportedAlgorithm("none"))
        await assertRejected(Fixtures.hs512HeaderValidMAC, as: .unsupportedAlgorithm("HS512"))
        await assertMalformed(Fixtures.noAlgHeader, reasonContains: "alg")
        await assertMalformed(Fixtures.critHeader, reasonContains: "crit")
    }
}
