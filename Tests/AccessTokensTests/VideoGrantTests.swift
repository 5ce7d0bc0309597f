import AccessTokens
import Foundation
import XCTest

final class VideoGrantTests: XCTestCase {
    func testAbsentPermissionsUseLiveKitDefaults() {
        let grant = VideoGrant()
        XCTAssertNil(grant.canPublish)
        XCTAssertNil(grant.canSubscribe)
        XCTAssertNil(grant.canPublishData)
        XCTAssertTrue(grant.canPublishEffective)
        XCTAssertTrue(grant.canSubscribeEffective)
        XCTAssertTrue(grant.canPublishDataEffective)
        XCTAssertFalse(grant.canUpdateOwnMetadataEffective)
        XCTAssertFalse(grant.canSubscribeMetricsEffective)
        for source in TrackSource.allCases {
            XCTAssertTrue(grant.canPublish(source: source))
        }
    }

    func testExplicitValuesWin() {
        let grant = VideoGrant(canPublish: true, canSubscribe: false, canPublishData: false,
                               canUpdateOwnMetadata: true, canSubscribeMetrics: true)
        XCTAssertTrue(grant.canPublishEffective)
        XCTAssertFalse(grant.canSubscribeEffective)
        XCTAssertFalse(grant.canPublishDataEffective)
        XCTAssertTrue(grant.canUpdateOwnMetadataEffective)
        XCTAssertTrue(grant.canSubscribeMetricsEffective)
    }

    func testCanPublishDataFollowsCanPublishWhenAbsent() {
        // livekit/protocol GetCanPublishData: nil -> GetCanPublish().
        XCTAssertFalse(VideoGrant(canPublish: false).canPublishDataEffective)
        XCTAssertTrue(VideoGrant(canPublish: false, canPublishData: true).canPublishDataEffective)
        XCTAssertTrue(VideoGrant(canPublish: false).canSubscribeEffective)
    }

    func testPublishSources() {
        let restricted = VideoGrant(canPublishSources: ["camera", "MICROPHONE"])
        XCTAssertTrue(restricted.canPublish(source: .camera))
        XCTAssertTrue(restricted.canPublish(source: .microphone))
        XCTAssertFalse(restricted.canPublish(source: .screenShare))
        XCTAssertFalse(restricted.canPublish(source: .screenShareAudio))

        let empty = VideoGrant(canPublishSources: [])
        XCTAssertTrue(TrackSource.allCases.allSatisfy(empty.canPublish(source:)))

        let noPublish = VideoGrant(canPublish: false, canPublishSources: ["camera"])
        XCTAssertFalse(TrackSource.allCases.contains(where: noPublish.canPublish(source:)))

        XCTAssertEqual(TrackSource.allCases.map(\.rawValue), ["camera", "microphone", "screen_share", "screen_share_audio"])
    }

    func testJSONKeysAreLiveKits() throws {
        let grant = VideoGrant(
            roomCreate: true, roomList: true, roomRecord: true, roomAdmin: true, roomJoin: true, room: "r",
            canPublish: true, canSubscribe: true, canPublishData: true, canPublishSources: ["camera"],
            canUpdateOwnMetadata: true, ingressAdmin: true, hidden: true, recorder: true, agent: true,
            canSubscribeMetrics: true, destinationRoom: "d")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: JSONEncoder().encode(grant)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), [
            "roomCreate", "roomList", "roomRecord", "roomAdmin", "roomJoin", "room",
            "canPublish", "canSubscribe", "canPublishData", "canPublishSources", "canUpdateOwnMetadata",
            "ingressAdmin", "hidden", "recorder", "agent", "canSubscribeMetrics", "destinationRoom",
        ])
        XCTAssertEqual(try JSONDecoder().decode(VideoGrant.self, from: JSONEncoder().encode(grant)), grant)
    }

    func testAbsentFieldsStayAbsent() throws {
        XCTAssertEqual(String(decoding: try JSONEncoder().encode(VideoGrant()), as: UTF8.self), "{}")
        let json = #"{"roomJoin":true,"room":"x","canPublish":null,"someFutureFlag":{"a":[1]},"canManageAgentSession":true}"#
        let grant = try JSONDecoder().decode(VideoGrant.self, from: Data(json.utf8))
        XCTAssertEqual(grant, VideoGrant(roomJoin: true, room: "x"))
        XCTAssertTrue(grant.canPublishEffective)
    }

    func testJSONValue() throws {
        let json = #"{"a":null,"b":true,"c":1.5,"d":"s","e":[1,{"f":false}]}"#
        let value = try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8))
        XCTAssertEqual(value, .object([
            "a": .null, "b": .bool(true), "c": .number(1.5), "d": .string("s"),
            "e": .array([.number(1), .object(["f": .bool(false)])]),
        ]))
        XCTAssertEqual(value["e"], .array([.number(1), .object(["f": .bool(false)])]))
        XCTAssertNil(value["zz"])
        XCTAssertEqual(try JSONDecoder().decode(JSONValue.self, from: JSONEncoder().encode(value)), value)
    }

    func testErrorDescriptionsAreReadable() {
        let cases: [TokenError] = [.malformed("x"), .unsupportedAlgorithm("none"), .unknownKey, .badSignature, .expired, .notYetValid]
        let descriptions = cases.map(\.description)
        XCTAssertEqual(Set(descriptions).count, cases.count)
        for description in descriptions {
            XCTAssertTrue(description.contains("token"), description)
        }
        XCTAssertEqual(TokenError.expired.description, "access token has expired")
        XCTAssertEqual(TokenError.malformed("bad").description, "malformed access token: bad")
    }
}
