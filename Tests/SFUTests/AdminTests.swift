import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import Store
import XCTest

/// The server-API paths on a room: removeParticipant, updateParticipant, updateSubscriptions.
final class AdminTests: SFUTestCase {
    func testRemoveParticipant() async throws {
        let alice = try await join("alice")
        let bob = try await join("bob")
        _ = try await alice.inbox.drain()

        try await alice.room.removeParticipant(identity: "bob")
        let leave = try await bob.inbox.first("leave") { $0.asLeave }
        XCTAssertEqual(leave.reason, .participantRemoved)
        XCTAssertEqual(leave.action, .disconnect)
        try await bob.inbox.waitFinished()

        let gone = try await alice.inbox.first("update(bob disconnected)") { $0.update(for: "bob") }
        XCTAssertEqual(gone.state, .disconnected)
        XCTAssertEqual(gone.disconnectReason, .participantRemoved)
        XCTAssertEqual(try store.session(sid: bob.sid)?.leaveReason, StoreReason.participantRemoved)

        do {
            try await alice.room.removeParticipant(identity: "bob")
            XCTFail("already removed")
        } catch {
            XCTAssertEqual(error, .participantNotFound)
        }
    }

    func testUpdateParticipantMetadataNameAttributes() async throws {
        let alice = try await join("alice", name: "A", metadata: "m0")
        let bob = try await join("bob")
        _ = try await alice.inbox.drain()

        let info = try await alice.room.updateParticipant(identity: "bob", metadata: "m1", name: "Bobby",
                                                          attributes: ["team": "red"], permission: nil)
        XCTAssertEqual(info.metadata, "m1")
        XCTAssertEqual(info.name, "Bobby")
        XCTAssertEqual(info.attributes, ["team": "red"])
        for client in [alice, bob] {
            let seen = try await client.inbox.first("update(bob)") { $0.update(for: "bob") }
            XCTAssertEqual(seen.metadata, "m1")
            XCTAssertEqual(seen.name, "Bobby")
            XCTAssertEqual(seen.attributes, ["team": "red"])
        }

        do {
            _ = try await alice.room.updateParticipant(identity: "nobody", metadata: "", name: "", attributes: [:],
                                                       permission: nil)
            XCTFail("unknown participant")
        } catch {
            XCTAssertEqual(error, .participantNotFound)
        }
    }

    func testUpdateParticipantPermissionRevokesSubscriptions() async throws {
        let sam = try await join("sam")
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        let (offer, _) = try await nextOffer(sam)
        try await sam.answer(offer)
        _ = try await sam.inbox.drain()

        var permission = Livekit_ParticipantPermission()
        permission.canSubscribe = false
        permission.canPublish = false
        let info = try await sam.room.updateParticipant(identity: "sam", metadata: "", name: "", attributes: [:],
                                                        permission: permission)
        XCTAssertFalse(info.permission.canSubscribe)
        let (_, sdp) = try await nextOffer(sam)
        XCTAssertNil(section(carrying: track, in: sdp), "no subscriptions without canSubscribe")
        let seen = try await pat.inbox.first("update(sam)") { $0.update(for: "sam") }
        XCTAssertFalse(seen.permission.canSubscribe)

        // The new permission is enforced: addTrack is now refused, subscribe too.
        await sam.addTrack(cid: "x", type: .audio, source: .microphone)
        let refused = try await sam.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(refused.reason, .notAllowed)
        var subscribe = Livekit_UpdateSubscription()
        subscribe.trackSids = [track]
        subscribe.subscribe = true
        await sam.send(.subscription(subscribe))
        let refused2 = try await sam.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(refused2.reason, .notAllowed)
    }

    func testUpdateSubscriptions() async throws {
        let sam = try await join("sam")
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        let (offer, _) = try await nextOffer(sam)
        try await sam.answer(offer)

        try await sam.room.updateSubscriptions(identity: "sam", trackSids: [track], participantTracks: [], subscribe: false)
        let (offer2, sdp2) = try await nextOffer(sam)
        XCTAssertNil(section(carrying: track, in: sdp2))
        try await sam.answer(offer2)

        var entry = Livekit_ParticipantTracks()
        entry.participantSid = pat.sid
        entry.trackSids = [track]
        try await sam.room.updateSubscriptions(identity: "sam", trackSids: [], participantTracks: [entry], subscribe: true)
        let (_, sdp3) = try await nextOffer(sam)
        XCTAssertEqual(section(carrying: track, in: sdp3)?.direction, .sendonly)

        do {
            try await sam.room.updateSubscriptions(identity: "nobody", trackSids: [track], participantTracks: [],
                                                   subscribe: true)
            XCTFail("unknown participant")
        } catch {
            XCTAssertEqual(error, .participantNotFound)
        }
    }

    func testRoomMetadataUpdateIsBroadcast() async throws {
        let alice = try await join("alice")
        await alice.room.setMetadata("topic: tests")
        let update = try await alice.inbox.first("roomUpdate") { $0.asRoomUpdate }
        XCTAssertEqual(update.room.metadata, "topic: tests")
        XCTAssertEqual(try store.room(sid: alice.room.sid)?.metadata, "topic: tests")
    }
}
