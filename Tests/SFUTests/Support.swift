import AccessTokens
import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import SDP
@testable import SFU
import Store
import XCTest

// MARK: - Inbox: what the server sent one participant

/// Collects a participant's SignalSink output on a background task so tests can wait for a
/// message (with a timeout) or assert that nothing (more) arrives.
///
/// Room methods are synchronous on the room's actor and yield into the sink before they
/// return, so a message caused by an awaited call is already queued; the collector picks it up
/// within microseconds. "Nothing arrives" is checked after a short settle time.
final class Inbox: @unchecked Sendable {
    private let lock = NSLock()
    private var buffer: [Livekit_SignalResponse] = []
    private var finishedFlag = false
    private var collector: Task<Void, Never>?
    let label: String

    init(_ sink: SignalSink, label: String) {
        self.label = label
        collector = Task { [weak self] in
            for await signal in sink.stream {
                self?.append(signal.response)
            }
            self?.markFinished()
        }
    }

    deinit { collector?.cancel() }

    private func append(_ response: Livekit_SignalResponse) { lock.withLock { buffer.append(response) } }
    private func markFinished() { lock.withLock { finishedFlag = true } }

    /// True once the sink's stream ended (server finished the sink) and everything was read.
    var isFinished: Bool { lock.withLock { finishedFlag } }

    private func popFirst(where predicate: (Livekit_SignalResponse) -> Bool) -> Livekit_SignalResponse? {
        lock.withLock {
            guard let i = buffer.firstIndex(where: predicate) else { return nil }
            return buffer.remove(at: i)
        }
    }

    /// The next message in order (strict: whatever it is).
    func next(timeout: Double = 3, file: StaticString = #filePath, line: UInt = #line) async throws -> Livekit_SignalResponse {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let first = popFirst(where: { _ in true }) { return first }
            if isFinished, let first = popFirst(where: { _ in true }) { return first }
            if isFinished { break }
            try await Task.sleep(for: .milliseconds(2))
        }
        XCTFail("\(label): no message within \(timeout)s (finished: \(isFinished))", file: file, line: line)
        throw TestFailure.timeout(label)
    }

    /// The first message `extract` accepts, waiting up to `timeout`. Only that message is
    /// removed; others stay queued in order.
    func first<T>(_ what: String, timeout: Double = 3, file: StaticString = #filePath, line: UInt = #line,
                  _ extract: @escaping (Livekit_SignalResponse) -> T?) async throws -> T {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            let found: T? = lock.withLock {
                guard let i = buffer.firstIndex(where: { extract($0) != nil }) else { return nil }
                return extract(buffer.remove(at: i))
            }
            if let found { return found }
            if Date() >= deadline || isFinished {
                // One last look: the stream may have finished right after a yield.
                if isFinished, let late: T = lock.withLock({
                    guard let i = buffer.firstIndex(where: { extract($0) != nil }) else { return nil }
                    return extract(buffer.remove(at: i))
                }) { return late }
                XCTFail("\(label): no \(what) within \(timeout)s; queued: \(describe(snapshot())) finished: \(isFinished)",
                        file: file, line: line)
                throw TestFailure.timeout("\(label): \(what)")
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }

    func snapshot() -> [Livekit_SignalResponse] { lock.withLock { buffer } }

    /// Waits `settle` seconds and returns (and removes) everything queued.
    @discardableResult
    func drain(settle: Double = 0.05) async throws -> [Livekit_SignalResponse] {
        try await Task.sleep(for: .milliseconds(Int(settle * 1000)))
        return lock.withLock {
            let all = buffer
            buffer.removeAll()
            return all
        }
    }

    /// Asserts nothing is queued after `settle` seconds (or nothing matching `filter`).
    func expectNothing(settle: Double = 0.12, matching filter: ((Livekit_SignalResponse) -> Bool)? = nil,
                       _ message: String = "", file: StaticString = #filePath, line: UInt = #line) async throws {
        try await Task.sleep(for: .milliseconds(Int(settle * 1000)))
        let queued = snapshot().filter { filter?($0) ?? true }
        XCTAssertTrue(queued.isEmpty, "\(label): expected nothing\(message.isEmpty ? "" : " (\(message))"), got \(describe(queued))",
                      file: file, line: line)
    }

    /// Waits until the server finished this participant's sink.
    func waitFinished(timeout: Double = 3, file: StaticString = #filePath, line: UInt = #line) async throws {
        let deadline = Date().addingTimeInterval(timeout)
        while !isFinished {
            if Date() >= deadline {
                XCTFail("\(label): stream did not finish within \(timeout)s", file: file, line: line)
                return
            }
            try await Task.sleep(for: .milliseconds(2))
        }
    }
}

enum TestFailure: Error { case timeout(String) }

func describe(_ responses: [Livekit_SignalResponse]) -> String {
    "[" + responses.map { r -> String in
        guard let m = r.message else { return "nil" }
        return String("\(m)".prefix(while: { $0 != "(" }))
    }.joined(separator: ", ") + "]"
}

// MARK: - Typed views of a response

extension Livekit_SignalResponse {
    var asJoin: Livekit_JoinResponse? { if case .join(let v)? = message { v } else { nil } }
    var asOffer: Livekit_SessionDescription? { if case .offer(let v)? = message { v } else { nil } }
    var asAnswer: Livekit_SessionDescription? { if case .answer(let v)? = message { v } else { nil } }
    var asUpdate: Livekit_ParticipantUpdate? { if case .update(let v)? = message { v } else { nil } }
    var asTrackPublished: Livekit_TrackPublishedResponse? { if case .trackPublished(let v)? = message { v } else { nil } }
    var asTrackUnpublished: Livekit_TrackUnpublishedResponse? { if case .trackUnpublished(let v)? = message { v } else { nil } }
    var asLeave: Livekit_LeaveRequest? { if case .leave(let v)? = message { v } else { nil } }
    var asMute: Livekit_MuteTrackRequest? { if case .mute(let v)? = message { v } else { nil } }
    var asRequestResponse: Livekit_RequestResponse? { if case .requestResponse(let v)? = message { v } else { nil } }
    var asPongResp: Livekit_Pong? { if case .pongResp(let v)? = message { v } else { nil } }
    var asPong: Int64? { if case .pong(let v)? = message { v } else { nil } }
    var asReconnect: Livekit_ReconnectResponse? { if case .reconnect(let v)? = message { v } else { nil } }
    var asRoomUpdate: Livekit_RoomUpdate? { if case .roomUpdate(let v)? = message { v } else { nil } }

    /// A ParticipantUpdate carrying `identity`'s info.
    func update(for identity: String) -> Livekit_ParticipantInfo? {
        asUpdate?.participants.first { $0.identity == identity }
    }
}

// MARK: - A test participant

final class TestClient: @unchecked Sendable {
    let room: Room
    let identity: String
    let sid: String
    let sink: SignalSink
    let inbox: Inbox
    let joinResponse: Livekit_JoinResponse
    /// The subscriber offer that came right after the JoinResponse.
    let firstOffer: Livekit_SessionDescription

    init(room: Room, identity: String, sid: String, sink: SignalSink, inbox: Inbox,
         joinResponse: Livekit_JoinResponse, firstOffer: Livekit_SessionDescription) {
        self.room = room
        self.identity = identity
        self.sid = sid
        self.sink = sink
        self.inbox = inbox
        self.joinResponse = joinResponse
        self.firstOffer = firstOffer
    }

    func send(_ message: Livekit_SignalRequest.OneOf_Message) async {
        var request = Livekit_SignalRequest()
        request.message = message
        await room.handle(request, from: sid)
    }

    /// Answers a subscriber offer as a browser would (recvonly for each sendonly section).
    func answer(_ offer: Livekit_SessionDescription) async throws {
        var answer = Livekit_SessionDescription()
        answer.type = "answer"
        answer.sdp = try clientAnswer(to: offer.sdp)
        await send(.answer(answer))
    }

    func addTrack(cid: String, type: Livekit_TrackType, source: Livekit_TrackSource, name: String = "",
                  muted: Bool = false) async {
        var add = Livekit_AddTrackRequest()
        add.cid = cid
        add.type = type
        add.source = source
        add.name = name.isEmpty ? cid : name
        add.muted = muted
        await send(.addTrack(add))
    }

    func ping(_ timestamp: Int64) async throws -> Livekit_Pong {
        var ping = Livekit_Ping()
        ping.timestamp = timestamp
        ping.rtt = 12
        await send(.pingReq(ping))
        return try await inbox.first("pongResp") { $0.asPongResp }
    }
}

// MARK: - SDP helpers

/// A client's answer to the server's subscriber offer (SDP module's answerer, mirror directions).
func clientAnswer(to offerText: String) throws -> String {
    let offer = try SessionDescription(parsing: offerText)
    let options = try SDPAnswerOptions(
        iceUfrag: "cLiE", icePwd: "clientPasswordClientPasswd",
        fingerprintSHA256: (0..<32).map { UInt8(($0 * 11 + 3) & 0xFF) },
        candidates: ["candidate:1 1 udp 2130706431 127.0.0.1 9 typ host generation 0"])
    return try makeAnswer(to: offer, options: options).serialized()
}

enum SDPFixture: String {
    case chromeOffer = "chrome-offer"
    case libwebrtcLiveKitOffer = "libwebrtc-livekit-offer"
    case chromeSimulcastOffer = "chrome-simulcast-offer"

    /// Real browser offers, shared with SDPTests (read from the source tree: this target has
    /// no resources).
    func text(file: StaticString = #filePath, line: UInt = #line) throws -> String {
        let url = URL(fileURLWithPath: "\(#filePath)")
            .deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("SDPTests/Fixtures/\(rawValue).sdp")
        return try String(contentsOf: url, encoding: .utf8)
    }
}

/// chrome-offer.sdp's msid track ids (audio mid 0, video mid 1; mid 2 is the data channel).
enum ChromeOffer {
    static let audioTrackID = "0b6e3c52-8a14-4f3d-b7e9-5d2c1a9f6e30"
    static let videoTrackID = "c9a4f1d0-2e7b-4c58-8f36-71b0d5e2a6c3"

    /// The fixture with its msid track ids replaced by the given AddTrack cids.
    static func text(audioCID: String, videoCID: String) throws -> String {
        try SDPFixture.chromeOffer.text()
            .replacingOccurrences(of: audioTrackID, with: audioCID)
            .replacingOccurrences(of: videoTrackID, with: videoCID)
    }

    /// The fixture with the given sections' direction changed (e.g. a track stopped).
    static func text(audioCID: String, videoCID: String, audioDirection: String) throws -> String {
        let original = try text(audioCID: audioCID, videoCID: videoCID)
        // The audio section is the first m-section; its direction line is the first a=sendrecv.
        guard let range = original.range(of: "a=sendrecv") else { return original }
        return original.replacingCharacters(in: range, with: "a=\(audioDirection)")
    }
}

func offerDescription(_ sdp: String) -> Livekit_SessionDescription {
    var offer = Livekit_SessionDescription()
    offer.type = "offer"
    offer.sdp = sdp
    return offer
}

/// RTP (audio/video) m-sections of a parsed description.
extension SessionDescription {
    var rtpMedia: [MediaDescription] { media.filter { $0.isRTP } }
}

// MARK: - Base test case

class SFUTestCase: XCTestCase {
    var server: TransportServer!
    private var storage: SwitchboardStore!
    /// The store, after every queued session write has run (rooms write through a journal).
    var store: SwitchboardStore! {
        context?.journal.drain()
        return storage
    }
    var manager: RoomManager!
    var context: SFUContext!

    /// Override to change room defaults (timeouts) for a test class.
    var roomDefaults: RoomDefaults { RoomDefaults() }

    override func setUp() async throws {
        server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        server.start()
        storage = try SwitchboardStore.inMemory()
        let store = storage!
        let logger = Logger(label: "sfu-tests", factory: { _ in SwiftLogNoOpLogHandler() })
        context = SFUContext(transports: server, store: store, logger: logger, roomDefaults: roomDefaults,
                             serverVersion: "test-1.0")
        manager = RoomManager(context: context)
    }

    override func tearDown() async throws {
        await manager?.stop()
        server?.stop()
        manager = nil
        context = nil
        storage = nil
        server = nil
    }

    static let roomName = "lobby"

    func grant(room: String = SFUTestCase.roomName, canPublish: Bool? = nil, canSubscribe: Bool? = nil,
               canPublishSources: [String]? = nil, canUpdateOwnMetadata: Bool? = nil, hidden: Bool? = nil) -> VideoGrant {
        VideoGrant(roomJoin: true, room: room, canPublish: canPublish, canSubscribe: canSubscribe,
                   canPublishSources: canPublishSources, canUpdateOwnMetadata: canUpdateOwnMetadata, hidden: hidden)
    }

    /// Joins `identity`, checks the first two messages are the JoinResponse and the subscriber
    /// offer, and (by default) answers that offer so later re-offers are not held back.
    func join(_ identity: String, room roomName: String = SFUTestCase.roomName, grant: VideoGrant? = nil,
              name: String = "", metadata: String = "", autoSubscribe: Bool = true, answerFirstOffer: Bool = true,
              file: StaticString = #filePath, line: UInt = #line) async throws -> TestClient {
        let room = try await manager.roomForJoin(named: roomName)
        let sink = SignalSink()
        let inbox = Inbox(sink, label: identity)
        let request = JoinRequest(identity: identity, name: name, metadata: metadata,
                                  grant: grant ?? self.grant(room: roomName), autoSubscribe: autoSubscribe)
        let sid = try await room.join(request, sink: sink)
        let first = try await inbox.next(file: file, line: line)
        let join = try XCTUnwrap(first.asJoin, "first message must be the JoinResponse, got \(describe([first]))",
                                 file: file, line: line)
        let second = try await inbox.next(file: file, line: line)
        let offer = try XCTUnwrap(second.asOffer, "second message must be the subscriber offer, got \(describe([second]))",
                                  file: file, line: line)
        let client = TestClient(room: room, identity: identity, sid: sid, sink: sink, inbox: inbox,
                                joinResponse: join, firstOffer: offer)
        if answerFirstOffer { try await client.answer(offer) }
        return client
    }

    /// `publisher` requests audio+video and sends chrome-offer.sdp; returns the track sids
    /// (audio, video) once the answer arrived. Other participants' messages are left queued.
    @discardableResult
    func publishChromeTracks(_ publisher: TestClient, audioCID: String = "mic-cid", videoCID: String = "cam-cid",
                             file: StaticString = #filePath, line: UInt = #line) async throws -> (audio: String, video: String) {
        await publisher.addTrack(cid: audioCID, type: .audio, source: .microphone)
        let audio = try await publisher.inbox.first("trackPublished(audio)", file: file, line: line) { $0.asTrackPublished }
        await publisher.addTrack(cid: videoCID, type: .video, source: .camera)
        let video = try await publisher.inbox.first("trackPublished(video)", file: file, line: line) { $0.asTrackPublished }
        await publisher.send(.offer(offerDescription(try ChromeOffer.text(audioCID: audioCID, videoCID: videoCID))))
        _ = try await publisher.inbox.first("publisher answer", file: file, line: line) { $0.asAnswer }
        return (audio.track.sid, video.track.sid)
    }

    /// `publisher` requests only audio and sends chrome-offer.sdp (its video section matches no
    /// request and is ignored); returns the audio track sid.
    func publishAudio(_ publisher: TestClient, cid: String = "mic-cid",
                      file: StaticString = #filePath, line: UInt = #line) async throws -> String {
        await publisher.addTrack(cid: cid, type: .audio, source: .microphone)
        let published = try await publisher.inbox.first("trackPublished", file: file, line: line) { $0.asTrackPublished }
        await publisher.send(.offer(offerDescription(try ChromeOffer.text(audioCID: cid, videoCID: "unrequested-video"))))
        _ = try await publisher.inbox.first("publisher answer", file: file, line: line) { $0.asAnswer }
        return published.track.sid
    }

    /// Waits for the next subscriber offer to `client` and parses it.
    func nextOffer(_ client: TestClient, file: StaticString = #filePath, line: UInt = #line) async throws
        -> (Livekit_SessionDescription, SessionDescription) {
        let offer = try await client.inbox.first("subscriber offer", file: file, line: line) { $0.asOffer }
        XCTAssertEqual(offer.type, "offer", file: file, line: line)
        return (offer, try SessionDescription(parsing: offer.sdp))
    }
}

/// The section of a subscriber offer carrying `trackSid` (by its msid), if any.
func section(carrying trackSid: String, in sdp: SessionDescription) -> MediaDescription? {
    sdp.media.first { m in m.msids.contains { $0.trackID == trackSid } }
}
