import Foundation
import LiveKitProtocol
@testable import SFU
import XCTest

/// A stand-in recording: remembers what the room offered and how it was detached.
final class FakeRecorder: RoomRecorder, @unchecked Sendable {
    final class Tap: RecordingTap, @unchecked Sendable {
        func rtp(_ packet: UnsafeRawBufferPointer, arrival: Int64, muted: Bool) {}
        func senderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32, arrival: Int64) {}
    }

    let egressID: String
    let source: RecordingSource
    private let lock = NSLock()
    private var offeredTracks: [RecordedTrack] = []
    private var removed: [String] = []
    private var detachReasons: [RecordingEndReason] = []

    init(_ id: String = "EG_" + UUID().uuidString.prefix(12), source: RecordingSource) {
        egressID = id
        self.source = source
    }

    func tap(for track: RecordedTrack) -> (any RecordingTap)? {
        lock.withLock { offeredTracks.append(track) }
        return Tap()
    }

    func trackRemoved(_ trackSid: String) { lock.withLock { removed.append(trackSid) } }
    func detached(_ reason: RecordingEndReason) { lock.withLock { detachReasons.append(reason) } }

    var offered: [RecordedTrack] { lock.withLock { offeredTracks } }
    var removedTracks: [String] { lock.withLock { removed } }
    var reasons: [RecordingEndReason] { lock.withLock { detachReasons } }
}

func eventually(_ what: String, timeout: Double = 3, file: StaticString = #filePath, line: UInt = #line,
                _ condition: () -> Bool) async throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        if Date() > deadline {
            XCTFail("timed out waiting for \(what)", file: file, line: line)
            return
        }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// Recordings attached to a room: which tracks they are offered, when they are detached, and
/// what participants are told (`Room.active_recording`).
final class RecordingRoomTests: SFUTestCase {
    func testTrackRecorderGetsItsTrackAndParticipantsSeeActiveRecording() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        let (audio, video) = try await publishChromeTracks(alice)
        _ = try await bob.inbox.drain()

        let recorder = FakeRecorder(source: .track(sid: audio))
        try await alice.room.addRecorder(recorder)
        XCTAssertEqual(recorder.offered.map(\.trackSid), [audio])
        XCTAssertEqual(recorder.offered.first?.mimeType.lowercased(), "audio/opus")
        XCTAssertEqual(recorder.offered.first?.participantIdentity, "alice")
        let update = try await bob.inbox.first("room update") { $0.asRoomUpdate }
        XCTAssertTrue(update.room.activeRecording)
        let isRecording = await alice.room.isRecording
        XCTAssertTrue(isRecording)
        let taps = await alice.room.recorders[recorder.egressID]?.taps.count
        XCTAssertEqual(taps, 1)
        let described = await alice.room.publishedTrackDescription(sid: video)
        XCTAssertEqual(described?.mimeType.lowercased(), "video/vp8")

        // A late joiner learns it from its JoinResponse.
        let carol = try await join("carol")
        XCTAssertTrue(carol.joinResponse.room.activeRecording)

        let removed = await alice.room.removeRecorder(egressID: recorder.egressID, reason: .stopped)
        XCTAssertTrue(removed)
        try await eventually("detached on the media loop") { recorder.reasons == [.stopped] }
        let off = try await bob.inbox.first("room update") { $0.asRoomUpdate.flatMap { $0.room.activeRecording ? nil : $0 } }
        XCTAssertFalse(off.room.activeRecording)
        let again = await alice.room.removeRecorder(egressID: recorder.egressID, reason: .stopped)
        XCTAssertFalse(again)
    }

    func testParticipantRecorderIsOfferedBothTracksAndEndsWhenTheParticipantLeaves() async throws {
        let alice = try await join("alice")
        let recorder = FakeRecorder(source: .participant(identity: "alice", screenShare: false))
        try await alice.room.addRecorder(recorder)
        XCTAssertEqual(recorder.offered.count, 0, "nothing published yet")
        let (audio, video) = try await publishChromeTracks(alice)
        XCTAssertEqual(Set(recorder.offered.map(\.trackSid)), [audio, video], "offered as they are published")

        await alice.send(.leave(Livekit_LeaveRequest()))
        try await eventually("detached") { recorder.reasons == [.participantLeft] }
        let isRecording = await alice.room.isRecording
        XCTAssertFalse(isRecording)
    }

    func testScreenShareRecorderIgnoresCameraAndMicrophone() async throws {
        let alice = try await join("alice")
        let recorder = FakeRecorder(source: .participant(identity: "alice", screenShare: true))
        try await alice.room.addRecorder(recorder)
        _ = try await publishChromeTracks(alice)
        XCTAssertEqual(recorder.offered.count, 0)
    }

    func testTrackRecorderEndsWhenItsTrackIsUnpublished() async throws {
        let alice = try await join("alice")
        let (audio, _) = try await publishChromeTracks(alice)
        let recorder = FakeRecorder(source: .track(sid: audio))
        let participant = FakeRecorder(source: .participant(identity: "alice", screenShare: false))
        try await alice.room.addRecorder(recorder)
        try await alice.room.addRecorder(participant)
        // The client stops its audio sender: the track is unpublished.
        await alice.send(.offer(offerDescription(try ChromeOffer.text(audioCID: "mic-cid", videoCID: "cam-cid",
                                                                      audioDirection: "recvonly"))))
        _ = try await alice.inbox.first("trackUnpublished") { $0.asTrackUnpublished }
        try await eventually("detached") { recorder.reasons == [.trackUnpublished] }
        // The participant recording loses the track but goes on.
        XCTAssertEqual(participant.removedTracks, [audio])
        XCTAssertEqual(participant.reasons, [])
    }

    func testRecordersEndWhenTheRoomCloses() async throws {
        let alice = try await join("alice")
        let (audio, _) = try await publishChromeTracks(alice)
        let track = FakeRecorder(source: .track(sid: audio))
        try await alice.room.addRecorder(track)
        _ = await manager.deleteRoom(named: SFUTestCase.roomName)
        try await eventually("detached") { track.reasons.count == 1 }
        let closed = FakeRecorder(source: .participant(identity: "alice", screenShare: false))
        do {
            try await alice.room.addRecorder(closed)
            XCTFail("a closed room takes no recorder")
        } catch {
            XCTAssertEqual(error, .roomClosed)
        }
    }

    func testUnknownSourcesAreRefused() async throws {
        let alice = try await join("alice")
        do {
            try await alice.room.addRecorder(FakeRecorder(source: .track(sid: "TR_nothere")))
            XCTFail("unknown track accepted")
        } catch {
            XCTAssertEqual(error, .trackNotFound)
        }
        do {
            try await alice.room.addRecorder(FakeRecorder(source: .participant(identity: "nobody", screenShare: false)))
            XCTFail("unknown participant accepted")
        } catch {
            XCTAssertEqual(error, .participantNotFound)
        }
        let isRecording = await alice.room.isRecording
        XCTAssertFalse(isRecording)
    }
}

/// `auto_record`: the first camera or microphone track of a participant starts its
/// participant recording, which then gets its other tracks too.
final class AutoRecordTests: SFUTestCase {
    final class Factory: AutoRecorderFactory, @unchecked Sendable {
        private let lock = NSLock()
        private var made: [FakeRecorder] = []
        func makeParticipantRecorder(room: Room, identity: String) -> (any RoomRecorder)? {
            let recorder = FakeRecorder(source: .participant(identity: identity, screenShare: false))
            lock.withLock { made.append(recorder) }
            return recorder
        }
        var recorders: [FakeRecorder] { lock.withLock { made } }
    }

    override var roomDefaults: RoomDefaults {
        var defaults = RoomDefaults()
        defaults.autoRecord = true
        return defaults
    }

    private let factory = Factory()

    override func setUp() async throws {
        try await super.setUp()
        context.autoRecorderFactory = factory
        manager = RoomManager(context: context)
    }

    func testPublishingStartsOneParticipantRecording() async throws {
        let bob = try await join("bob")
        XCTAssertFalse(bob.joinResponse.room.activeRecording)
        let alice = try await join("alice")
        let (audio, video) = try await publishChromeTracks(alice)
        XCTAssertEqual(factory.recorders.count, 1, "one recording per participant, not per track")
        let recorder = try XCTUnwrap(factory.recorders.first)
        XCTAssertEqual(recorder.source, .participant(identity: "alice", screenShare: false))
        XCTAssertEqual(Set(recorder.offered.map(\.trackSid)), [audio, video])
        _ = try await bob.inbox.first("room update (recording)") { $0.asRoomUpdate.flatMap { $0.room.activeRecording ? $0 : nil } }
        XCTAssertEqual(factory.recorders.count, 1, "bob published nothing: not recorded")
    }
}
