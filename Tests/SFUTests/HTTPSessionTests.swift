import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import XCTest

/// WHIP and WHEP sessions on the room: the same participants, tracks and consumers as the
/// signalling path, negotiated by one client offer.
final class HTTPSessionTests: SFUTestCase {
    private func whepOffer(audioPT: UInt8 = 109, videoPT: UInt8 = 120, rtxPT: UInt8? = 121, absCaptureID: UInt16 = 9) throws -> String {
        let opus = Codec(payloadType: audioPT, name: "opus", clockRate: 48000, channels: 2)
        let vp8 = Codec(payloadType: videoPT, name: "VP8", clockRate: 90000,
                        feedback: [RTCPFeedback(payloadType: videoPT, type: "nack")])
        let rtx = rtxPT.map { [Codec.rtx(payloadType: $0, primary: videoPT)] } ?? []
        let ext = [ExtMap(id: absCaptureID, uri: SubscriberConnection.absCaptureTimeURI)]
        var options = SDPOfferOptions(iceUfrag: "vIeW", icePwd: "viewerPasswordViewerPass",
                                      fingerprint: Fingerprint(sha256: (0..<32).map { UInt8($0) }),
                                      sections: [OfferSection(kind: .audio, mid: "a", direction: .recvonly, codecs: [opus], extensions: ext),
                                                 OfferSection(kind: .video, mid: "v", direction: .recvonly, codecs: [vp8] + rtx, extensions: ext),
                                                 OfferSection(kind: .video, mid: "extra", direction: .recvonly, codecs: [vp8], extensions: ext)])
        options.iceLite = false
        return try makeOffer(options: options).serialized()
    }

    private func whipPublish(_ room: Room, identity: String = "obs") async throws -> HTTPSessionAnswer {
        try await room.startHTTPSession(.whip, request: JoinRequest(identity: identity, grant: grant(canPublish: true)),
                                        offer: try ChromeOffer.text(audioCID: "whip-a", videoCID: "whip-v"))
    }

    func testWHIPPublisherIsAnOrdinaryParticipant() async throws {
        let sam = try await join("sam")
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        let answer = try await whipPublish(room)
        XCTAssertEqual(answer.trackSids.count, 2)
        let sdp = try SessionDescription(parsing: answer.sdp)
        XCTAssertEqual(sdp.media.filter { $0.isRTP && $0.port != 0 }.map(\.direction), [.recvonly, .recvonly])
        // Sam is offered both tracks, as for any publisher.
        let (_, offer) = try await nextOffer(sam)
        for sid in answer.trackSids { XCTAssertNotNil(section(carrying: sid, in: offer), sid) }
        let maybeInfo = await room.participantInfo(identity: "obs")
        let info = try XCTUnwrap(maybeInfo)
        XCTAssertEqual(info.tracks.map(\.source).sorted { $0.rawValue < $1.rawValue }, [.camera, .microphone])
        XCTAssertEqual(answer.sessionID.count, 32, "a 128-bit resource id")
        XCTAssertNotEqual(answer.sessionID, answer.participantSid)
        let obs = HTTPSessionCaller(identity: "obs", isAdmin: false)
        let asWHIP = await room.checkHTTPSession(.whip, id: answer.sessionID, caller: obs, ifMatch: answer.etag)
        let asWHEP = await room.checkHTTPSession(.whep, id: answer.sessionID, caller: obs, ifMatch: nil)
        let bySid = await room.checkHTTPSession(.whip, id: answer.participantSid, caller: obs, ifMatch: nil)
        let staleTag = await room.checkHTTPSession(.whip, id: answer.sessionID, caller: obs, ifMatch: "\"old\"")
        XCTAssertNil(failure(asWHIP))
        XCTAssertEqual(failure(asWHEP), .notFound)
        XCTAssertEqual(failure(bySid), .notFound, "the participant sid, which everyone sees, is not the session id")
        XCTAssertEqual(failure(staleTag), .preconditionFailed)

        // Someone else in the room cannot end it; its participant or a room admin can.
        let byOther = await room.endHTTPSession(.whip, id: answer.sessionID, caller: HTTPSessionCaller(identity: "sam", isAdmin: false))
        XCTAssertEqual(failure(byOther), .forbidden)
        let ended = await room.endHTTPSession(.whip, id: answer.sessionID, caller: obs)
        let endedAgain = await room.endHTTPSession(.whip, id: answer.sessionID, caller: obs)
        XCTAssertNil(failure(ended))
        XCTAssertEqual(failure(endedAgain), .notFound)
        _ = try await sam.inbox.first("obs left") { r in r.update(for: "obs").flatMap { $0.state == .disconnected ? $0 : nil } }
    }

    func testWHIPSimulcastOfferPublishesLayersForDynacast() async throws {
        // Chrome's own simulcast offer (a=rid f/h/q send, a=simulcast:send f;h;q), POSTed as WHIP.
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        let answer = try await room.startHTTPSession(.whip, request: JoinRequest(identity: "obs", grant: grant(canPublish: true)),
                                                     offer: try SDPFixture.chromeSimulcastOffer.text())
        let sdp = try SessionDescription(parsing: answer.sdp)
        let video = try XCTUnwrap(sdp.media.first { $0.kind == .video && $0.port != 0 })
        XCTAssertEqual(video.simulcast?.recv.map { $0.map(\.rid) }, [["f"], ["h"], ["q"]], "simulcast accepted (RFC 8853 §5.3)")
        let maybeInfo = await room.participantInfo(identity: "obs")
        let info = try XCTUnwrap(maybeInfo)
        let camera = try XCTUnwrap(info.tracks.first { $0.type == .video })
        XCTAssertEqual(camera.layers.map(\.quality), [.low, .medium, .high], "the layers a LiveKit SDK would announce")
        XCTAssertEqual(camera.layers.map(\.rid), ["q", "h", "f"])
        XCTAssertTrue(camera.simulcast)
        let audio = try XCTUnwrap(info.tracks.first { $0.type == .audio })
        XCTAssertTrue(audio.layers.isEmpty)
    }

    func testSimulcastLayersFromRIDs() throws {
        func layers(_ lines: String) throws -> [Livekit_VideoLayer] {
            let text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\n"
                + "a=mid:0\r\na=sendonly\r\na=rtpmap:96 VP8/90000\r\n" + lines
            return Room.simulcastLayers(of: try XCTUnwrap(try SessionDescription(parsing: text).media.first))
        }
        let named = try layers("a=rid:0 send max-width=320;max-height=180;max-br=300000\r\na=rid:2 send\r\na=rid:1 send\r\na=simulcast:send 0;2;1\r\n")
        XCTAssertEqual(named.map(\.quality), [.low, .medium, .high], "ranked by rid, lowest first")
        XCTAssertEqual(named.map(\.rid), ["0", "1", "2"])
        XCTAssertEqual(named.first.map { [$0.width, $0.height, $0.bitrate] }, [320, 180, 300_000], "RFC 8851 restrictions")
        XCTAssertTrue(try layers("a=rid:f send\r\na=simulcast:send f\r\n").isEmpty, "one stream is not simulcast")
        XCTAssertTrue(try layers("a=rid:a send\r\na=rid:b send\r\na=simulcast:send a;b\r\n").isEmpty, "rids of no known rank")
        XCTAssertTrue(try layers("a=rid:f send\r\na=rid:high send\r\na=simulcast:send f;high\r\n").isEmpty, "two rids of one rank")
        XCTAssertTrue(try layers("").isEmpty)
    }

    func testWHEPAnswerKeepsTheViewersNumbersAndMapsThePublishers() async throws {
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        let published = try await whipPublish(room)
        let answer = try await room.startHTTPSession(.whep, request: JoinRequest(identity: "viewer", grant: grant(canPublish: false)),
                                                     offer: try whepOffer())
        XCTAssertEqual(answer.trackSids.sorted(), published.trackSids.sorted())
        let sdp = try SessionDescription(parsing: answer.sdp)
        let audio = try XCTUnwrap(sdp.media(mid: "a")), video = try XCTUnwrap(sdp.media(mid: "v"))
        XCTAssertEqual(audio.direction, .sendonly)
        XCTAssertEqual(video.direction, .sendonly)
        XCTAssertEqual(audio.codecs.map(\.payloadType), [109])
        XCTAssertEqual(video.codecs.map(\.payloadType), [120, 121])
        XCTAssertEqual(video.ssrcGroups.first?.semantics, "FID", "RTX offered by both sides is used")
        XCTAssertEqual(audio.extMaps.map(\.id), [9])
        XCTAssertFalse(audio.ssrcs.isEmpty)
        // Two video publishers' worth of sections, one video track: the extra one is inactive.
        XCTAssertEqual(sdp.media(mid: "extra")?.direction, .inactive)

        let viewerSections = try await room.subscriberSections(of: answer.participantSid)
        let videoSection = try XCTUnwrap(viewerSections.first { $0.mid == "v" })
        let map = Dictionary(videoSection.payloadMap ?? [], uniquingKeysWith: { a, _ in a })
        XCTAssertEqual(map[96], 120, "Chrome's VP8 (96) goes out as the viewer's 120")
        XCTAssertEqual(map[97], 121, "and its RTX (97) as the viewer's 121")
        XCTAssertEqual(videoSection.extensionIDs?[SubscriberConnection.absCaptureTimeURI], 9)
    }

    /// The error a session start ends in, or nil if it started.
    private func refusal(_ room: Room, _ kind: HTTPSessionKind, _ identity: String, _ grant: VideoGrant,
                         offer: String) async -> HTTPSessionError? {
        do {
            _ = try await room.startHTTPSession(kind, request: JoinRequest(identity: identity, grant: grant), offer: offer)
            return nil
        } catch {
            return error
        }
    }

    func testRefusals() async throws {
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        let chrome = try ChromeOffer.text(audioCID: "a", videoCID: "v")
        var error = await refusal(room, .whep, "early", grant(), offer: try whepOffer())
        guard case .unsatisfiable? = error else { return XCTFail("nothing is published yet: \(String(describing: error))") }
        error = await refusal(room, .whip, "nope", grant(canPublish: false), offer: chrome)
        guard case .notAllowed? = error else { return XCTFail("publishing without canPublish: \(String(describing: error))") }
        error = await refusal(room, .whip, "bad", grant(canPublish: true), offer: "v=0\r\nnonsense")
        guard case .badOffer? = error else { return XCTFail("unparsable offer: \(String(describing: error))") }
        // A WHIP offer that only receives publishes nothing.
        error = await refusal(room, .whip, "recv", grant(canPublish: true), offer: try whepOffer())
        guard case .unsatisfiable? = error else { return XCTFail("an offer that sends nothing: \(String(describing: error))") }
        // Failed sessions leave nobody behind.
        let census = await manager.census()
        XCTAssertEqual(census.participants, 0)
    }

    func testARefusedStartReplacesNobody() async throws {
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        let viewer = try await join("viewer")
        // Nothing published: the WHEP POST of the same identity is refused before joining, so the
        // signalling participant "viewer" stays and is told nothing.
        let error = await refusal(room, .whep, "viewer", grant(), offer: try whepOffer())
        guard case .unsatisfiable? = error else { return XCTFail("\(String(describing: error))") }
        let census = await manager.census()
        XCTAssertEqual(census.participants, 1)
        try await viewer.inbox.expectNothing(matching: { $0.asLeave != nil }, "no duplicate-identity leave")
    }

    func testNoRTXGroupWhenTheViewerOffersNoRTX() async throws {
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        _ = try await whipPublish(room)
        let answer = try await room.startHTTPSession(.whep, request: JoinRequest(identity: "viewer", grant: grant()),
                                                     offer: try whepOffer(rtxPT: nil))
        let video = try XCTUnwrap(try SessionDescription(parsing: answer.sdp).media(mid: "v"))
        XCTAssertEqual(video.codecs.map(\.payloadType), [120])
        XCTAssertTrue(video.ssrcGroups.isEmpty)
        XCTAssertEqual(video.ssrcs.count, 1)
    }

    func testCensusCountsSessionsAndTracks() async throws {
        let room = try await manager.roomForJoin(named: SFUTestCase.roomName)
        _ = try await whipPublish(room)
        _ = try await room.startHTTPSession(.whep, request: JoinRequest(identity: "viewer", grant: grant()), offer: try whepOffer())
        let census = await manager.census()
        XCTAssertEqual(census.rooms, 1)
        XCTAssertEqual(census.participants, 2)
        XCTAssertEqual(census.tracks, ["audio": 1, "video": 1])
        XCTAssertEqual(census.httpSessions, ["whip": 1, "whep": 1])
    }
}

/// The error of a session lookup, nil on success.
func failure(_ result: Result<Void, HTTPSessionLookupError>) -> HTTPSessionLookupError? {
    if case .failure(let error) = result { return error }
    return nil
}

extension Room {
    func subscriberSections(of sid: String) -> [SubscriberConnection.Section] {
        participants[sid]?.subscriber.sections ?? []
    }
}
