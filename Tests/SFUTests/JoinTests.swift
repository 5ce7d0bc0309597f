import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import Store
import XCTest

final class JoinTests: SFUTestCase {
    func testJoinResponseComesFirstWithRoomParticipantAndPings() async throws {
        let grant = grant(canPublish: true, canSubscribe: true, canPublishSources: ["camera", "microphone"],
                          canUpdateOwnMetadata: true)
        let alice = try await join("alice", grant: grant, name: "Alice", metadata: "{\"a\":1}", answerFirstOffer: false)
        let join = alice.joinResponse

        XCTAssertTrue(join.hasRoom)
        XCTAssertTrue(join.room.sid.hasPrefix("RM_"), join.room.sid)
        XCTAssertEqual(join.room.name, Self.roomName)
        XCTAssertEqual(join.room.numParticipants, 1)
        XCTAssertEqual(join.room.departureTimeout, RoomDefaults().departureTimeout)
        XCTAssertEqual(join.room.emptyTimeout, RoomDefaults().emptyTimeout)
        XCTAssertGreaterThan(join.room.creationTime, 0)
        XCTAssertGreaterThan(join.room.creationTimeMs, 0)

        XCTAssertTrue(join.hasParticipant)
        XCTAssertTrue(join.participant.sid.hasPrefix("PA_"), join.participant.sid)
        XCTAssertEqual(join.participant.sid, alice.sid)
        XCTAssertEqual(join.participant.identity, "alice")
        XCTAssertEqual(join.participant.name, "Alice")
        XCTAssertEqual(join.participant.metadata, "{\"a\":1}")
        XCTAssertEqual(join.participant.state, .joined)
        XCTAssertGreaterThan(join.participant.joinedAt, 0)
        XCTAssertGreaterThan(join.participant.joinedAtMs, 0)
        XCTAssertTrue(join.participant.tracks.isEmpty)

        let permission = join.participant.permission
        XCTAssertTrue(permission.canPublish)
        XCTAssertTrue(permission.canSubscribe)
        XCTAssertTrue(permission.canPublishData, "absent canPublishData follows canPublish")
        XCTAssertTrue(permission.canUpdateMetadata)
        XCTAssertFalse(permission.hidden)
        XCTAssertEqual(Set(permission.canPublishSources), [.camera, .microphone])

        XCTAssertTrue(join.otherParticipants.isEmpty)
        XCTAssertGreaterThan(join.pingInterval, 0)
        XCTAssertGreaterThan(join.pingTimeout, 0)
        XCTAssertGreaterThan(join.pingTimeout, join.pingInterval)
        XCTAssertTrue(join.subscriberPrimary)
        XCTAssertFalse(join.fastPublish)
        XCTAssertEqual(join.serverVersion, "test-1.0")
        XCTAssertEqual(join.serverInfo.version, "test-1.0")
        XCTAssertGreaterThan(join.serverInfo.protocol, 0)

        // Store: the session is recorded under the room's sid.
        let session = try XCTUnwrap(try store.session(sid: alice.sid))
        XCTAssertEqual(session.roomSid, join.room.sid)
        XCTAssertEqual(session.identity, "alice")
        XCTAssertNil(session.leftAt)

        // Nothing else until the client does something.
        try await alice.inbox.expectNothing()
    }

    func testJoinResponseCarriesTheConfiguredICEServers() async throws {
        let plain = try await join("plain")
        XCTAssertTrue(plain.joinResponse.iceServers.isEmpty, "ICE-lite on a reachable address needs none")
        await manager.stop()
        context.iceServers = [ICEServer(urls: ["stun:stun.example.net:3478"]),
                              .turn(host: "turn.example.net", port: 443, transport: .tls, username: "user", credential: "secret")]
        manager = RoomManager(context: context)
        let alice = try await join("alice")
        XCTAssertEqual(alice.joinResponse.iceServers.map(\.urls), [["stun:stun.example.net:3478"], ["turns:turn.example.net:443?transport=tcp"]])
        XCTAssertEqual(alice.joinResponse.iceServers.map(\.username), ["", "user"])
        XCTAssertEqual(alice.joinResponse.iceServers.map(\.credential), ["", "secret"])
    }

    func testICEServerLinkHeaders() {
        // RFC 9725 §4.6.
        XCTAssertEqual(ICEServer(urls: ["stun:a.example:3478"]).linkHeaderValues, ["<stun:a.example:3478>; rel=\"ice-server\""])
        XCTAssertEqual(ICEServer.turn(host: "t.example", port: 3478, transport: .udp, username: "u", credential: "p").linkHeaderValues,
                       ["<turn:t.example:3478?transport=udp>; rel=\"ice-server\"; username=\"u\"; credential=\"p\"; credential-type=\"password\""])
        XCTAssertEqual(ICEServer.turn(host: "t.example", port: 3478, transport: .tcp, username: "", credential: "").urls,
                       ["turn:t.example:3478?transport=tcp"])
        XCTAssertTrue(ICEServer.isPlain("user-1@example"))
        for bad in ["a b", "a\"b", "a\\b", "<a>", "é", ""] where !bad.isEmpty { XCTAssertFalse(ICEServer.isPlain(bad), bad) }
    }

    func testDefaultGrantPermissions() async throws {
        let bob = try await join("bob")
        let permission = bob.joinResponse.participant.permission
        XCTAssertTrue(permission.canPublish, "absent canPublish means allowed")
        XCTAssertTrue(permission.canSubscribe)
        XCTAssertTrue(permission.canPublishData)
        XCTAssertFalse(permission.canUpdateMetadata, "absent canUpdateOwnMetadata means not allowed")
        XCTAssertTrue(permission.canPublishSources.isEmpty)

        let restricted = try await join("carol", grant: grant(canPublish: false, canSubscribe: false))
        XCTAssertFalse(restricted.joinResponse.participant.permission.canPublish)
        XCTAssertFalse(restricted.joinResponse.participant.permission.canSubscribe)
        XCTAssertFalse(restricted.joinResponse.participant.permission.canPublishData)
    }

    func testFirstSubscriberOfferIsIceLiteWithDataSectionAndBundle() async throws {
        let alice = try await join("alice", answerFirstOffer: false)
        let offer = alice.firstOffer
        XCTAssertEqual(offer.type, "offer")
        let sdp = try SessionDescription(parsing: offer.sdp)
        XCTAssertTrue(sdp.isICELite, "server is ICE-lite")

        // One application section (the client's PC needs a transport), mid 0, bundled.
        XCTAssertEqual(sdp.media.count, 1, "no tracks yet: only the data section")
        let application = try XCTUnwrap(sdp.media.first)
        XCTAssertEqual(application.kind, .application)
        XCTAssertTrue(application.isSCTP, application.proto)
        XCTAssertNotEqual(application.port, 0)
        XCTAssertEqual(application.mid, "0")
        XCTAssertNotNil(application.sctpPort)

        let bundle = try XCTUnwrap(sdp.bundleGroup, "offer must have a BUNDLE group")
        XCTAssertEqual(bundle.mids, ["0"])

        let credentials = try XCTUnwrap(sdp.iceCredentials(for: application))
        XCTAssertFalse(credentials.ufrag.isEmpty)
        XCTAssertGreaterThanOrEqual(credentials.pwd.count, 22, "ICE pwd must be at least 22 characters")
        XCTAssertTrue(sdp.fingerprints(for: application).contains { $0.algorithm.lowercased() == "sha-256" })
        XCTAssertEqual(sdp.setup(for: application), .actpass)

        // Host candidates of the transport server (bound to 127.0.0.1).
        let candidates = application.candidates
        XCTAssertFalse(candidates.isEmpty, "ICE-lite offer must carry its candidates")
        XCTAssertTrue(offer.sdp.contains("127.0.0.1"), offer.sdp)
    }

    func testOthersSeeTheNewParticipant() async throws {
        let alice = try await join("alice", name: "Alice")
        let bob = try await join("bob", name: "Bob")

        // Bob's JoinResponse lists Alice.
        XCTAssertEqual(bob.joinResponse.otherParticipants.map(\.identity), ["alice"])
        XCTAssertEqual(bob.joinResponse.otherParticipants.first?.sid, alice.sid)
        XCTAssertEqual(bob.joinResponse.otherParticipants.first?.name, "Alice")
        XCTAssertEqual(bob.joinResponse.room.numParticipants, 2)
        XCTAssertEqual(bob.joinResponse.room.sid, alice.joinResponse.room.sid)

        // Alice is told about Bob with a ParticipantUpdate.
        let info = try await alice.inbox.first("update(bob)") { $0.update(for: "bob") }
        XCTAssertEqual(info.sid, bob.sid)
        XCTAssertEqual(info.name, "Bob")
        XCTAssertEqual(info.state, .joined)
        // Bob does not get an update about himself at join.
        try await bob.inbox.expectNothing(matching: { $0.asUpdate != nil })
        // Nor a second subscriber offer (nothing to subscribe to).
        try await alice.inbox.expectNothing(matching: { $0.asOffer != nil })
    }

    func testHiddenParticipantIsNotAnnounced() async throws {
        let alice = try await join("alice")
        let ghost = try await join("ghost", grant: grant(hidden: true))
        XCTAssertTrue(ghost.joinResponse.participant.permission.hidden)
        try await alice.inbox.expectNothing(matching: { $0.asUpdate != nil }, "hidden participants are not broadcast")

        let carol = try await join("carol")
        XCTAssertEqual(carol.joinResponse.otherParticipants.map(\.identity), ["alice"],
                       "hidden participants are not listed in other_participants")
        XCTAssertEqual(carol.joinResponse.room.numParticipants, 2, "hidden participants are not counted")
    }

    func testDuplicateIdentityReplacesTheOldParticipant() async throws {
        let old = try await join("alice")
        let bob = try await join("bob")
        _ = try await old.inbox.drain()
        let new = try await join("alice")

        // The old connection is told why, then its stream ends.
        let leave = try await old.inbox.first("leave") { $0.asLeave }
        XCTAssertEqual(leave.reason, .duplicateIdentity)
        XCTAssertEqual(leave.action, .disconnect)
        XCTAssertFalse(leave.canReconnect)
        try await old.inbox.waitFinished()

        XCTAssertNotEqual(new.sid, old.sid)
        XCTAssertEqual(new.joinResponse.otherParticipants.map(\.identity), ["bob"],
                       "the replaced session must not be listed")

        // Bob sees the old session disconnect and the new one join.
        let gone = try await bob.inbox.first("update(old alice disconnected)") { r in
            r.asUpdate?.participants.first { $0.sid == old.sid }
        }
        XCTAssertEqual(gone.state, .disconnected)
        XCTAssertEqual(gone.disconnectReason, .duplicateIdentity)
        let joined = try await bob.inbox.first("update(new alice)") { r in
            r.asUpdate?.participants.first { $0.sid == new.sid }
        }
        XCTAssertEqual(joined.state, .joined)

        let count = await new.room.participantCount
        XCTAssertEqual(count, 2)
        let aliceInfo = await new.room.participantInfo(identity: "alice")
        XCTAssertEqual(aliceInfo?.sid, new.sid)

        let oldSession = try XCTUnwrap(try store.session(sid: old.sid))
        XCTAssertEqual(oldSession.leaveReason, StoreReason.duplicateIdentity)
        XCTAssertNotNil(oldSession.leftAt)
        let newSession = try XCTUnwrap(try store.session(sid: new.sid))
        XCTAssertNil(newSession.leftAt)

        // The new session works.
        let pong = try await new.ping(99)
        XCTAssertEqual(pong.lastPingTimestamp, 99)
    }

    func testRoomFullRefusesJoin() async throws {
        _ = try await manager.createRoom(name: "small", emptyTimeout: nil, departureTimeout: nil, maxParticipants: 1,
                                         metadata: "")
        _ = try await join("alice", room: "small", grant: grant(room: "small"))
        let room = try await manager.roomForJoin(named: "small")
        do {
            _ = try await room.join(JoinRequest(identity: "bob", grant: grant(room: "small")), sink: SignalSink())
            XCTFail("second join must be refused")
        } catch {
            XCTAssertEqual(error, .roomFull)
        }
        // Replacing the same identity is not "full".
        _ = try await join("alice", room: "small", grant: grant(room: "small"))
    }

    func testResumeWithOfferInFlightStillReoffers() async throws {
        // The connection dropped before the client answered the first offer.
        let alice = try await join("alice", answerFirstOffer: false)
        await alice.room.signalClosed(sid: alice.sid, sink: alice.sink)
        let sink = SignalSink()
        let inbox = Inbox(sink, label: "alice-resumed")
        _ = try await alice.room.join(JoinRequest(identity: "alice", grant: grant(), resumeSid: alice.sid), sink: sink)
        _ = try await inbox.first("reconnect") { $0.asReconnect }
        let offer = try await inbox.first("subscriber offer after resume") { $0.asOffer }
        XCTAssertNoThrow(try SessionDescription(parsing: offer.sdp))
    }

    func testResumeKeepsSessionAndReoffers() async throws {
        let alice = try await join("alice")
        let sink = SignalSink()
        let inbox = Inbox(sink, label: "alice-resumed")
        await alice.room.signalClosed(sid: alice.sid, sink: alice.sink)
        let sid = try await alice.room.join(JoinRequest(identity: "alice", grant: grant(), resumeSid: alice.sid), sink: sink)
        XCTAssertEqual(sid, alice.sid)
        _ = try await inbox.first("reconnect") { $0.asReconnect }
        let offer = try await inbox.first("subscriber re-offer") { $0.asOffer }
        XCTAssertNoThrow(try SessionDescription(parsing: offer.sdp))
        try await alice.inbox.waitFinished()

        do {
            _ = try await alice.room.join(JoinRequest(identity: "alice", grant: grant(), resumeSid: "PA_unknown"),
                                          sink: SignalSink())
            XCTFail("unknown resume sid must be refused")
        } catch {
            XCTAssertEqual(error, .resumeUnknown)
        }
    }
}
