import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import Recording
import SFU
import Store
import Synchronization
import XCTest

/// The egress webhook events: `egress_started`, `egress_updated` (ending) and `egress_ended`,
/// each carrying the recording's EgressInfo as stored at that moment.
final class EgressEventTests: XCTestCase {
    private final class Events: RoomEventSink {
        let received = Mutex<[Livekit_WebhookEvent]>([])
        func record(_ event: Livekit_WebhookEvent) { received.withLock { $0.append(event) } }
    }

    func testARecordingReportsItsStartUpdatesAndEnd() async throws {
        let directory = try makeTemporaryDirectory("egress-events")
        defer { try? FileManager.default.removeItem(at: directory) }
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        defer { server.stop() }
        let logger = Logger(label: "egress-events", factory: { _ in SwiftLogNoOpLogHandler() })
        let store = try SwitchboardStore.inMemory()
        let sink = Events()
        let events = RoomEvents(sink: sink)
        let egress = try EgressManager(configuration: .init(recordingsDirectory: directory.appendingPathComponent("r").path),
                                       store: store, logger: logger, events: events)
        let rooms = RoomManager(context: SFUContext(transports: server, store: store, logger: logger, serverVersion: "test"))
        let room = try await rooms.roomForJoin(named: "r1")
        let signal = SignalSink()
        defer { signal.finish() }
        _ = try await room.join(JoinRequest(identity: "alice", grant: VideoGrant(roomJoin: true, room: "r1")), sink: signal)

        var request = Livekit_ParticipantEgressRequest()
        request.roomName = "r1"
        request.identity = "alice"
        let started = try await egress.startParticipantEgress(request, room: room)
        _ = try egress.stop(egressID: started.egressID)
        // No media came: the recording ends failed once its writer finished.
        let deadline = Date().addingTimeInterval(5)
        while Date() < deadline, !sink.received.withLock({ $0.contains { $0.event == "egress_ended" } }) {
            events.drain()
            try await Task.sleep(for: .milliseconds(20))
        }
        events.drain()

        let received = sink.received.withLock { $0 }
        XCTAssertEqual(received.map(\.event), ["egress_started", "egress_updated", "egress_ended"])
        XCTAssertTrue(received.allSatisfy { $0.egressInfo.egressID == started.egressID && $0.egressInfo.roomName == "r1" })
        XCTAssertEqual(received.map(\.egressInfo.status), [.egressStarting, .egressEnding, .egressFailed])
        await rooms.stop()
        await egress.shutdown()
    }
}
