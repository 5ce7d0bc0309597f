import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import XCTest

/// mute, updateMetadata, ping, and the requests that are accepted without action.
final class RequestTests: SFUTestCase {
    // MARK: Mute

    func testClientMuteIsBroadcast() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        let track = try await publishAudio(alice)
        _ = try await bob.inbox.drain()
        _ = try await alice.inbox.drain()

        var mute = Livekit_MuteTrackRequest()
        mute.sid = track
        mute.muted = true
        await alice.send(.mute(mute))
        let info = try await bob.inbox.first("update(alice muted)") { $0.update(for: "alice") }
        XCTAssertEqual(info.tracks.first { $0.sid == track }?.muted, true)
        let own = try await alice.inbox.first("own update") { $0.update(for: "alice") }
        XCTAssertEqual(own.tracks.first { $0.sid == track }?.muted, true)
        XCTAssertGreaterThan(info.version, 1, "version increases with each change")
        try await alice.inbox.expectNothing(matching: { $0.asMute != nil }, "the client muted itself: no mute echo")

        // Same state again: no update.
        await alice.send(.mute(mute))
        try await bob.inbox.expectNothing(matching: { $0.asUpdate != nil })

        // Unmute.
        mute.muted = false
        await alice.send(.mute(mute))
        let unmuted = try await bob.inbox.first("update(alice unmuted)") { $0.update(for: "alice") }
        XCTAssertEqual(unmuted.tracks.first { $0.sid == track }?.muted, false)
        XCTAssertGreaterThan(unmuted.version, info.version)

        // Unknown track: ignored.
        mute.sid = "TR_unknown"
        mute.muted = true
        await alice.send(.mute(mute))
        try await bob.inbox.expectNothing(matching: { $0.asUpdate != nil })
    }

    func testAdminMuteTellsThePublisher() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        let track = try await publishAudio(alice)
        _ = try await bob.inbox.drain()
        _ = try await alice.inbox.drain()

        let info = try await alice.room.mutePublishedTrack(identity: "alice", trackSid: track, muted: true)
        XCTAssertTrue(info.muted)
        XCTAssertEqual(info.sid, track)
        let mute = try await alice.inbox.first("mute") { $0.asMute }
        XCTAssertEqual(mute.sid, track)
        XCTAssertTrue(mute.muted)
        let seen = try await bob.inbox.first("update(alice muted)") { $0.update(for: "alice") }
        XCTAssertEqual(seen.tracks.first { $0.sid == track }?.muted, true)

        do {
            _ = try await alice.room.mutePublishedTrack(identity: "alice", trackSid: "TR_nope", muted: true)
            XCTFail("unknown track")
        } catch {
            XCTAssertEqual(error, .trackNotFound)
        }
        do {
            _ = try await alice.room.mutePublishedTrack(identity: "nobody", trackSid: track, muted: true)
            XCTFail("unknown participant")
        } catch {
            XCTAssertEqual(error, .participantNotFound)
        }
    }

    // MARK: Metadata

    func testUpdateOwnMetadataWhenAllowed() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice", grant: grant(canUpdateOwnMetadata: true), metadata: "old")
        _ = try await bob.inbox.drain()

        var update = Livekit_UpdateParticipantMetadata()
        update.metadata = "new"
        update.name = "Alice A."
        update.attributes = ["role": "host", "mood": "ok"]
        update.requestID = 41
        await alice.send(.updateMetadata(update))

        let response = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(response.requestID, 41)
        XCTAssertEqual(response.reason, .ok)
        let seen = try await bob.inbox.first("update(alice)") { $0.update(for: "alice") }
        XCTAssertEqual(seen.metadata, "new")
        XCTAssertEqual(seen.name, "Alice A.")
        XCTAssertEqual(seen.attributes, ["role": "host", "mood": "ok"])

        // An empty attribute value deletes the key; empty metadata/name leave them as they are.
        var second = Livekit_UpdateParticipantMetadata()
        second.attributes = ["mood": ""]
        second.requestID = 42
        await alice.send(.updateMetadata(second))
        let response2 = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(response2.requestID, 42)
        XCTAssertEqual(response2.reason, .ok)
        let seen2 = try await bob.inbox.first("update(alice)") { $0.update(for: "alice") }
        XCTAssertEqual(seen2.attributes, ["role": "host"])
        XCTAssertEqual(seen2.metadata, "new")
        XCTAssertEqual(seen2.name, "Alice A.")
    }

    func testUpdateOwnMetadataWhenNotAllowed() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice", metadata: "old") // canUpdateOwnMetadata absent = not allowed
        _ = try await bob.inbox.drain()

        var update = Livekit_UpdateParticipantMetadata()
        update.metadata = "hacked"
        update.requestID = 7
        await alice.send(.updateMetadata(update))
        let response = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(response.requestID, 7)
        XCTAssertEqual(response.reason, .notAllowed)
        try await bob.inbox.expectNothing("a refused update is not broadcast")
        try await alice.inbox.expectNothing(matching: { $0.asUpdate != nil })
        let info = await alice.room.participantInfo(identity: "alice")
        XCTAssertEqual(info?.metadata, "old")
    }

    // MARK: Ping

    func testPingReqGetsPongResp() async throws {
        let alice = try await join("alice")
        let before = Int64(Date().timeIntervalSince1970 * 1000)
        let pong = try await alice.ping(1_700_000_000_123)
        XCTAssertEqual(pong.lastPingTimestamp, 1_700_000_000_123)
        XCTAssertGreaterThanOrEqual(pong.timestamp, before - 1000, "server time in unix ms")
        XCTAssertLessThan(pong.timestamp, before + 60_000)
    }

    func testLegacyPingGetsPong() async throws {
        let alice = try await join("alice")
        await alice.send(.ping(777))
        let pong = try await alice.inbox.first("pong") { $0.asPong }
        XCTAssertEqual(pong, 777)
    }

    // MARK: Accepted without action

    func testRequestsAcceptedWithoutResponseOrDisconnect() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        let track = try await publishAudio(alice)
        let (offer, _) = try await nextOffer(bob)
        try await bob.answer(offer)
        _ = try await bob.inbox.drain()
        _ = try await alice.inbox.drain()

        var trickle = Livekit_TrickleRequest()
        trickle.candidateInit = #"{"sdpMid":"0","sdpMLineIndex":0,"candidate":"candidate:1 1 udp 2130706431 127.0.0.1 50000 typ host"}"#
        trickle.target = .publisher
        var trickleSub = trickle
        trickleSub.target = .subscriber
        var settings = Livekit_UpdateTrackSettings()
        settings.trackSids = [track]
        settings.disabled = true
        settings.quality = .high
        var layers = Livekit_UpdateVideoLayers()
        layers.trackSid = track
        var permission = Livekit_SubscriptionPermission()
        permission.allParticipants = true
        var sync = Livekit_SyncState()
        sync.answer = offerDescription("v=0")
        var simulate = Livekit_SimulateScenario()
        simulate.speakerUpdate = 3
        var audioUpdate = Livekit_UpdateLocalAudioTrack()
        audioUpdate.trackSid = track
        var videoUpdate = Livekit_UpdateLocalVideoTrack()
        videoUpdate.trackSid = track

        let requests: [(String, Livekit_SignalRequest.OneOf_Message, TestClient)] = [
            ("trickle publisher", .trickle(trickle), alice),
            ("trickle subscriber", .trickle(trickleSub), bob),
            ("trackSetting", .trackSetting(settings), bob),
            ("updateLayers", .updateLayers(layers), alice),
            ("subscriptionPermission", .subscriptionPermission(permission), alice),
            ("syncState", .syncState(sync), bob),
            ("simulate", .simulate(simulate), bob),
            ("updateAudioTrack", .updateAudioTrack(audioUpdate), alice),
            ("updateVideoTrack", .updateVideoTrack(videoUpdate), alice),
        ]
        for (name, message, client) in requests {
            await client.send(message)
            try await client.inbox.expectNothing(settle: 0.03, "\(name) needs no response")
        }
        // Both still in the room and responsive.
        for client in [alice, bob] {
            XCTAssertFalse(client.inbox.isFinished, "\(client.identity) was disconnected")
            let pong = try await client.ping(5)
            XCTAssertEqual(pong.lastPingTimestamp, 5)
        }
        let count = await alice.room.participantCount
        XCTAssertEqual(count, 2)
        try await bob.inbox.expectNothing()
    }

    func testEmptyRequestAndUnknownSenderAreIgnored() async throws {
        let alice = try await join("alice")
        await alice.room.handle(Livekit_SignalRequest(), from: alice.sid)
        var ping = Livekit_SignalRequest()
        ping.message = .ping(1)
        await alice.room.handle(ping, from: "PA_notinthisroom")
        try await alice.inbox.expectNothing()
    }
}
