import Foundation
import LiveKitProtocol
@testable import SFU
import Synchronization
import XCTest

/// The webhook events a room emits (through `RoomEvents`), in the order LiveKit sends them.
final class RoomEventTests: SFUTestCase {
    private let sink = CollectingEventSink()
    private var events: RoomEvents!

    override func setUp() async throws {
        try await super.setUp()
        events = RoomEvents(sink: sink)
        context.events = events
        manager = RoomManager(context: context)
    }

    func testRoomLifecycleEventsInOrder() async throws {
        let alice = try await join("alice")
        let (audio, video) = try await publishChromeTracks(alice)
        let bob = try await join("bob")
        await alice.send(.leave(Livekit_LeaveRequest()))
        try await alice.inbox.waitFinished()
        _ = await manager.deleteRoom(named: Self.roomName)
        try await bob.inbox.waitFinished()
        events.drain()

        let received = sink.events
        let names = received.map(\.event)
        XCTAssertEqual(names, ["room_started", "participant_joined", "track_published", "track_published",
                               "participant_joined", "track_unpublished", "track_unpublished", "participant_left",
                               "participant_left", "room_finished"])
        XCTAssertTrue(received.allSatisfy { $0.room.name == Self.roomName && $0.room.sid == alice.room.sid })
        XCTAssertEqual(received[1].participant.identity, "alice")
        XCTAssertEqual(received[1].participant.sid, alice.sid)
        XCTAssertEqual(Set(received[2...3].map(\.track.sid)), [audio, video])
        XCTAssertTrue(received[2...3].allSatisfy { $0.participant.identity == "alice" })
        XCTAssertEqual(Set(received[5...6].map(\.track.sid)), [audio, video])
        XCTAssertEqual(received[7].participant.identity, "alice")
        XCTAssertEqual(received[7].participant.disconnectReason, .clientInitiated)
        XCTAssertEqual(received[8].participant.identity, "bob")
        XCTAssertEqual(received[8].participant.disconnectReason, .roomDeleted)
    }

    func testNoSinkNoEvents() async throws {
        context.events = nil
        manager = RoomManager(context: context)
        _ = try await join("alice")
        _ = await manager.deleteRoom(named: Self.roomName)
        events.drain()
        XCTAssertEqual(sink.events.count, 0)
    }
}

/// Keeps every event it is given.
final class CollectingEventSink: RoomEventSink {
    private let received = Mutex<[Livekit_WebhookEvent]>([])

    var events: [Livekit_WebhookEvent] { received.withLock { $0 } }

    func record(_ event: Livekit_WebhookEvent) { received.withLock { $0.append(event) } }
}
