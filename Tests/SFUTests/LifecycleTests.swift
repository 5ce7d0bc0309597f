import AccessTokens
import Foundation
import LiveKitProtocol
@testable import SFU
import Store
import XCTest

/// leave, departure/empty timeouts, the manager's sweep, and what the store records.
final class LifecycleTests: SFUTestCase {
    override var roomDefaults: RoomDefaults {
        var defaults = RoomDefaults()
        defaults.departureTimeout = 1
        defaults.emptyTimeout = 1
        return defaults
    }

    func testLeaveRemovesParticipantAndTellsOthers() async throws {
        let alice = try await join("alice")
        let bob = try await join("bob")
        _ = try await alice.inbox.drain()

        var leave = Livekit_LeaveRequest()
        leave.reason = .clientInitiated
        leave.action = .disconnect
        await bob.send(.leave(leave))

        let gone = try await alice.inbox.first("update(bob disconnected)") { $0.update(for: "bob") }
        XCTAssertEqual(gone.state, .disconnected)
        XCTAssertEqual(gone.disconnectReason, .clientInitiated)
        XCTAssertEqual(gone.sid, bob.sid)
        try await bob.inbox.waitFinished()

        let count = await alice.room.participantCount
        XCTAssertEqual(count, 1)
        let info = await alice.room.participantInfo(identity: "bob")
        XCTAssertNil(info)

        let session = try XCTUnwrap(try store.session(sid: bob.sid))
        XCTAssertEqual(session.leaveReason, StoreReason.clientInitiated)
        XCTAssertNotNil(session.leftAt)

        // Requests from a participant that left are ignored.
        await bob.send(.ping(1))
        try await alice.inbox.expectNothing()
    }

    func testRoomClosesAfterDepartureTimeout() async throws {
        let alice = try await join("alice")
        let roomSid = alice.room.sid
        await alice.send(.leave(Livekit_LeaveRequest()))
        try await alice.inbox.waitFinished()

        // Not yet: the departure timeout (1 s) has not passed.
        await manager.sweep(now: Date())
        let stillOpen = await manager.room(named: Self.roomName)
        XCTAssertNotNil(stillOpen, "room must stay open for departure_timeout")

        await manager.sweep(now: Date().addingTimeInterval(2))
        let closed = await manager.room(named: Self.roomName)
        XCTAssertNil(closed)

        let record = try XCTUnwrap(try store.room(sid: roomSid))
        XCTAssertFalse(record.isOpen)
        XCTAssertNotNil(record.closedAt)
        let sessions = try store.sessions(roomSid: roomSid)
        XCTAssertEqual(sessions.map(\.identity), ["alice"])
        XCTAssertEqual(sessions.first?.leaveReason, StoreReason.clientInitiated)
        // The room had participants: it closed because of the departure timeout, not the empty timeout.
        XCTAssertEqual(record.closeReason, StoreReason.departureTimeout,
                       "a room that had participants closes with departure_timeout")

        // A join with the same name makes a new room.
        let again = try await join("alice")
        XCTAssertNotEqual(again.room.sid, roomSid)
    }

    func testRoomNobodyJoinedClosesAfterEmptyTimeout() async throws {
        let room = try await manager.createRoom(name: "unused", emptyTimeout: 1, departureTimeout: 60, maxParticipants: nil,
                                                metadata: "")
        await manager.sweep(now: Date())
        let open = await manager.room(named: "unused")
        XCTAssertNotNil(open)
        await manager.sweep(now: Date().addingTimeInterval(2))
        let gone = await manager.room(named: "unused")
        XCTAssertNil(gone)
        let record = try XCTUnwrap(try store.room(sid: room.sid))
        XCTAssertEqual(record.closeReason, StoreReason.emptyTimeout)
    }

    func testOccupiedRoomDoesNotExpire() async throws {
        _ = try await join("alice")
        await manager.sweep(now: Date().addingTimeInterval(3600))
        let open = await manager.room(named: Self.roomName)
        XCTAssertNotNil(open)
    }

    func testBackgroundSweeperClosesTheRoom() async throws {
        await manager.start()
        let alice = try await join("alice")
        let roomSid = alice.room.sid
        await alice.send(.leave(Livekit_LeaveRequest()))
        let deadline = Date().addingTimeInterval(5)
        var open = await manager.room(named: Self.roomName)
        while open != nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(100))
            open = await manager.room(named: Self.roomName)
        }
        XCTAssertNil(open, "the manager's sweeper should close the room after departure_timeout (1 s)")
        XCTAssertEqual(try store.room(sid: roomSid)?.isOpen, false)
    }

    func testSignalCloseKeepsSessionUntilPingTimeout() async throws {
        let alice = try await join("alice")
        let bob = try await join("bob")
        _ = try await alice.inbox.drain()

        await bob.room.signalClosed(sid: bob.sid, sink: bob.sink)
        await manager.sweep(now: Date())
        let kept = await bob.room.participantInfo(identity: "bob")
        XCTAssertNotNil(kept, "kept for a resume")
        try await alice.inbox.expectNothing()

        // A stale sink closing does nothing.
        await bob.room.signalClosed(sid: alice.sid, sink: SignalSink())

        let grace = Double(context.pingTimeout)
        await manager.sweep(now: Date().addingTimeInterval(grace + 1))
        let gone = try await alice.inbox.first("update(bob disconnected)") { $0.update(for: "bob") }
        XCTAssertEqual(gone.state, .disconnected)
        XCTAssertEqual(gone.disconnectReason, .signalClose)
        let aliceStill = await alice.room.participantInfo(identity: "alice")
        XCTAssertNotNil(aliceStill, "alice's signal is open: she stays")
        XCTAssertEqual(try store.session(sid: bob.sid)?.leaveReason, StoreReason.signalClosed)
    }

    func testSilentClientIsDroppedAfterPingTimeout() async throws {
        let bob = try await join("bob")
        let silence = Double(context.pingTimeout + context.pingInterval) + 1

        // Bob says nothing (no ping, no request) for longer than ping timeout + interval.
        let later = Date().addingTimeInterval(silence)
        await manager.sweep(now: later)
        // His signal is closed (as if the connection dropped) but the session is kept for a resume.
        try await bob.inbox.waitFinished()
        let kept = await bob.room.participantInfo(identity: "bob")
        XCTAssertNotNil(kept)

        await manager.sweep(now: later.addingTimeInterval(Double(context.pingTimeout) + 1))
        let gone = await bob.room.participantInfo(identity: "bob")
        XCTAssertNil(gone)
        XCTAssertEqual(try store.session(sid: bob.sid)?.leaveReason, StoreReason.signalClosed)
    }

    func testSlowConsumerIsDisconnected() async throws {
        let talker = try await join("talker", grant: grant(canUpdateOwnMetadata: true))
        // A participant whose signal writer never reads: its sink fills up.
        let room = talker.room
        let stuckSink = SignalSink()
        let stuckSid = try await room.join(JoinRequest(identity: "stuck", grant: grant()), sink: stuckSink)
        var update = Livekit_UpdateParticipantMetadata()
        for i in 0...SignalSink.capacity {
            update.metadata = "m\(i)"
            await talker.send(.updateMetadata(update))
        }
        let deadline = Date().addingTimeInterval(3)
        var stuck = await room.participantInfo(identity: "stuck")
        while stuck != nil && Date() < deadline {
            try await Task.sleep(for: .milliseconds(10))
            stuck = await room.participantInfo(identity: "stuck")
        }
        XCTAssertNil(stuck, "a participant that does not read its signal queue is disconnected")
        XCTAssertEqual(try store.session(sid: stuckSid)?.leaveReason, StoreReason.signalClosed)
        let talkerStill = await room.participantInfo(identity: "talker")
        XCTAssertNotNil(talkerStill)
    }

    func testDeleteRoomDisconnectsEveryone() async throws {
        let alice = try await join("alice")
        let bob = try await join("bob")
        let deleted = await manager.deleteRoom(named: Self.roomName)
        XCTAssertTrue(deleted)
        for client in [alice, bob] {
            let leave = try await client.inbox.first("leave") { $0.asLeave }
            XCTAssertEqual(leave.reason, .roomDeleted)
            XCTAssertEqual(leave.action, .disconnect)
            try await client.inbox.waitFinished()
        }
        let record = try XCTUnwrap(try store.room(sid: alice.room.sid))
        XCTAssertFalse(record.isOpen)
        XCTAssertEqual(record.closeReason, StoreReason.roomDeleted, "store reasons are the StoreReason constants")
        XCTAssertEqual(try store.session(sid: bob.sid)?.leaveReason, StoreReason.roomDeleted)
        do {
            _ = try await alice.room.join(JoinRequest(identity: "carol", grant: grant()), sink: SignalSink())
            XCTFail("a closed room refuses joins")
        } catch {
            XCTAssertEqual(error, .roomClosed)
        }
    }

    func testManagerStopClosesRoomsWithServerShutdown() async throws {
        let alice = try await join("alice")
        await manager.stop()
        let leave = try await alice.inbox.first("leave") { $0.asLeave }
        XCTAssertEqual(leave.reason, .serverShutdown)
        try await alice.inbox.waitFinished()
        XCTAssertEqual(try store.session(sid: alice.sid)?.leaveReason, StoreReason.serverShutdown)
        XCTAssertEqual(try store.room(sid: alice.room.sid)?.isOpen, false)
    }
}
