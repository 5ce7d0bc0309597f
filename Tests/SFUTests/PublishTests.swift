import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import Store
import XCTest

final class PublishTests: SFUTestCase {
    // MARK: AddTrack

    func testAddTrackAnswersTrackPublished() async throws {
        let alice = try await join("alice")
        let bob = try await join("bob")
        _ = try await alice.inbox.drain()

        await alice.addTrack(cid: "mic-1", type: .audio, source: .microphone, name: "Mic")
        let published = try await alice.inbox.first("trackPublished") { $0.asTrackPublished }
        XCTAssertEqual(published.cid, "mic-1")
        XCTAssertTrue(published.track.sid.hasPrefix("TR_"), published.track.sid)
        XCTAssertEqual(published.track.type, .audio)
        XCTAssertEqual(published.track.source, .microphone)
        XCTAssertEqual(published.track.name, "Mic")
        XCTAssertFalse(published.track.muted)

        // A retry with the same cid gets the same track.
        await alice.addTrack(cid: "mic-1", type: .audio, source: .microphone, name: "Mic")
        let again = try await alice.inbox.first("trackPublished (retry)") { $0.asTrackPublished }
        XCTAssertEqual(again.track.sid, published.track.sid)
        XCTAssertEqual(again.cid, "mic-1")

        // A second track gets another sid.
        await alice.addTrack(cid: "cam-1", type: .video, source: .camera)
        let video = try await alice.inbox.first("trackPublished (video)") { $0.asTrackPublished }
        XCTAssertEqual(video.cid, "cam-1")
        XCTAssertNotEqual(video.track.sid, published.track.sid)
        XCTAssertEqual(video.track.type, .video)

        // Requested, not negotiated: nobody is told yet, nothing to subscribe to.
        try await bob.inbox.expectNothing("a track is announced once the publisher's offer carries it")
        let info = await alice.room.participantInfo(identity: "alice")
        XCTAssertEqual(info?.tracks.count, 0)
    }

    func testAddTrackWithoutCanPublishIsRefused() async throws {
        let viewer = try await join("viewer", grant: grant(canPublish: false))
        await viewer.addTrack(cid: "cam-x", type: .video, source: .camera)
        let response = try await viewer.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(response.reason, .notAllowed)
        XCTAssertFalse(response.message.isEmpty)
        if case .addTrack(let request)? = response.request {
            XCTAssertEqual(request.cid, "cam-x")
        } else {
            XCTFail("the refused AddTrack should be echoed, got \(String(describing: response.request))")
        }
        try await viewer.inbox.expectNothing(matching: { $0.asTrackPublished != nil })
    }

    func testAddTrackOfDisallowedSourceIsRefused() async throws {
        let speaker = try await join("speaker", grant: grant(canPublishSources: ["microphone"]))
        await speaker.addTrack(cid: "cam-1", type: .video, source: .camera)
        let refused = try await speaker.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(refused.reason, .notAllowed)
        try await speaker.inbox.expectNothing(matching: { $0.asTrackPublished != nil })

        await speaker.addTrack(cid: "screen-1", type: .video, source: .screenShare)
        let refusedScreen = try await speaker.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(refusedScreen.reason, .notAllowed)

        // The allowed source works.
        await speaker.addTrack(cid: "mic-1", type: .audio, source: .microphone)
        let published = try await speaker.inbox.first("trackPublished") { $0.asTrackPublished }
        XCTAssertEqual(published.cid, "mic-1")
    }

    func testAddTrackOfDataTypeIsRefused() async throws {
        let alice = try await join("alice")
        await alice.addTrack(cid: "data-1", type: .data, source: .unknown)
        let refused = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertNotEqual(refused.reason, .ok)
        try await alice.inbox.expectNothing(matching: { $0.asTrackPublished != nil })
    }

    // MARK: Publisher offer

    func testPublisherOfferIsAnsweredAndTracksReachSubscribers() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        _ = try await bob.inbox.drain()

        await alice.addTrack(cid: ChromeOffer.audioTrackID, type: .audio, source: .microphone)
        let audio = try await alice.inbox.first("trackPublished(audio)") { $0.asTrackPublished }
        await alice.addTrack(cid: ChromeOffer.videoTrackID, type: .video, source: .camera)
        let video = try await alice.inbox.first("trackPublished(video)") { $0.asTrackPublished }

        var offer = offerDescription(try SDPFixture.chromeOffer.text())
        offer.id = 7
        await alice.send(.offer(offer))
        let answer = try await alice.inbox.first("answer") { $0.asAnswer }
        XCTAssertEqual(answer.type, "answer")
        XCTAssertEqual(answer.id, 7, "the answer echoes the offer id")

        // The answer: parseable, ICE-lite, recvonly media, data section accepted, bundled.
        let sdp = try SessionDescription(parsing: answer.sdp)
        XCTAssertTrue(sdp.isICELite)
        XCTAssertEqual(sdp.media.map(\.mid), ["0", "1", "2"], "one answer section per offered section, same order")
        for m in sdp.rtpMedia {
            XCTAssertNotEqual(m.port, 0, "mid \(m.mid ?? "?") rejected")
            XCTAssertEqual(m.direction, .recvonly, "mid \(m.mid ?? "?")")
            XCTAssertFalse(m.codecs.isEmpty)
        }
        let application = try XCTUnwrap(sdp.media.first { $0.kind == .application })
        XCTAssertNotEqual(application.port, 0, "the data section must be accepted")
        XCTAssertNotNil(application.sctpPort)
        XCTAssertEqual(Set(try XCTUnwrap(sdp.bundleGroup).mids), ["0", "1", "2"])
        XCTAssertTrue(sdp.fingerprints(for: application).contains { $0.algorithm.lowercased() == "sha-256" })
        XCTAssertNotEqual(sdp.setup(for: application), .actpass, "the answerer picks a DTLS role")
        XCTAssertTrue(answer.sdp.contains("127.0.0.1"), "answer carries the server's candidates")

        // Bob is told about Alice's tracks (mime type and mid set) ...
        let info = try await bob.inbox.first("update(alice with tracks)") { r in
            r.update(for: "alice").flatMap { $0.tracks.isEmpty ? nil : $0 }
        }
        XCTAssertTrue(info.isPublisher)
        XCTAssertEqual(Set(info.tracks.map(\.sid)), [audio.track.sid, video.track.sid])
        let audioInfo = try XCTUnwrap(info.tracks.first { $0.sid == audio.track.sid })
        let videoInfo = try XCTUnwrap(info.tracks.first { $0.sid == video.track.sid })
        XCTAssertEqual(audioInfo.mimeType.lowercased(), "audio/opus")
        XCTAssertTrue(videoInfo.mimeType.lowercased().hasPrefix("video/"), videoInfo.mimeType)
        XCTAssertEqual(audioInfo.mid, "0")
        XCTAssertEqual(videoInfo.mid, "1")

        // ... and gets a subscriber offer with one sendonly section per track,
        // msid "<PA_sid>|<TR_sid> <TR_sid>".
        let (rawOffer, subscriberOffer) = try await nextOffer(bob)
        XCTAssertTrue(subscriberOffer.isICELite)
        XCTAssertEqual(subscriberOffer.media.first?.kind, .application, "the data section stays first")
        XCTAssertEqual(subscriberOffer.media.first?.mid, "0")
        for (track, kind) in [(audio.track.sid, MediaKind.audio), (video.track.sid, MediaKind.video)] {
            let m = try XCTUnwrap(section(carrying: track, in: subscriberOffer), "no section for \(track)")
            XCTAssertEqual(m.kind, kind)
            XCTAssertEqual(m.direction, .sendonly)
            XCTAssertEqual(m.msids.first?.streamID, "\(alice.sid)|\(track)")
            XCTAssertEqual(m.msids.first?.trackID, track)
            XCTAssertFalse(m.ssrcs.isEmpty, "a sendonly section announces its SSRC")
            XCTAssertFalse(m.codecs.isEmpty)
        }
        let bundle = try XCTUnwrap(subscriberOffer.bundleGroup)
        XCTAssertEqual(Set(bundle.mids), Set(subscriberOffer.media.compactMap(\.mid)))

        // Bob answers; nothing else pending.
        let bobOffer = try await bob.inbox.drain()
        XCTAssertTrue(bobOffer.filter { $0.asOffer != nil }.isEmpty, "only one offer per change")
        try await bob.answer(rawOffer)
        try await bob.inbox.expectNothing(matching: { $0.asOffer != nil })

        // The publisher sees its own update too (LiveKit broadcasts to everyone).
        let own = try await alice.inbox.first("own update") { $0.update(for: "alice") }
        XCTAssertEqual(own.tracks.count, 2)
        let roomInfo = await alice.room.info
        XCTAssertEqual(roomInfo.numPublishers, 1)
    }

    func testOfferSectionsAreMatchedToRequestsByCid() async throws {
        // libwebrtc-livekit-offer.sdp: data mid 0, audio mid 1 (msid track TR_AMkR8pXq2vNz),
        // video mid 2 with simulcast (msid track TR_VCt4WnYh8sKd).
        let bob = try await join("bob")
        let alice = try await join("alice")
        _ = try await bob.inbox.drain()

        // A decoy video request that the offer does not carry.
        await alice.addTrack(cid: "decoy-video", type: .video, source: .screenShare)
        let decoy = try await alice.inbox.first("trackPublished(decoy)") { $0.asTrackPublished }
        await alice.addTrack(cid: "TR_VCt4WnYh8sKd", type: .video, source: .camera)
        let camera = try await alice.inbox.first("trackPublished(camera)") { $0.asTrackPublished }
        await alice.addTrack(cid: "TR_AMkR8pXq2vNz", type: .audio, source: .microphone)
        let mic = try await alice.inbox.first("trackPublished(mic)") { $0.asTrackPublished }

        await alice.send(.offer(offerDescription(try SDPFixture.libwebrtcLiveKitOffer.text())))
        let answer = try await alice.inbox.first("answer") { $0.asAnswer }
        let sdp = try SessionDescription(parsing: answer.sdp)
        XCTAssertEqual(sdp.media.first?.kind, .application)
        XCTAssertNotEqual(sdp.media.first?.port, 0)

        let info = try await bob.inbox.first("update(alice with tracks)") { r in
            r.update(for: "alice").flatMap { $0.tracks.isEmpty ? nil : $0 }
        }
        XCTAssertEqual(Set(info.tracks.map(\.sid)), [camera.track.sid, mic.track.sid],
                       "the section must go to the request with its cid, not the decoy")
        XCTAssertFalse(info.tracks.contains { $0.sid == decoy.track.sid })
        XCTAssertEqual(info.tracks.first { $0.sid == camera.track.sid }?.mid, "2")
        XCTAssertEqual(info.tracks.first { $0.sid == mic.track.sid }?.mid, "1")

        let (_, offer) = try await nextOffer(bob)
        XCTAssertNotNil(section(carrying: camera.track.sid, in: offer))
        XCTAssertNotNil(section(carrying: mic.track.sid, in: offer))
        XCTAssertNil(section(carrying: decoy.track.sid, in: offer))
    }

    func testBadOfferIsRefusedAndSessionSurvives() async throws {
        let alice = try await join("alice")
        await alice.addTrack(cid: "mic", type: .audio, source: .microphone)
        _ = try await alice.inbox.first("trackPublished") { $0.asTrackPublished }

        await alice.send(.offer(offerDescription("this is not SDP\r\n")))
        let refused = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertNotEqual(refused.reason, .ok)
        XCTAssertFalse(refused.message.isEmpty)
        try await alice.inbox.expectNothing(matching: { $0.asAnswer != nil }, "no answer to a bad offer")

        // Parseable but without ICE credentials / fingerprint.
        let stripped = try SDPFixture.chromeOffer.text()
            .components(separatedBy: "\r\n") // "\r\n" is one Character: split(separator: "\n") would not cut
            .filter { !$0.hasPrefix("a=fingerprint") }
            .joined(separator: "\r\n")
        XCTAssertFalse(stripped.contains("fingerprint"))
        await alice.send(.offer(offerDescription(stripped)))
        let refused2 = try await alice.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertNotEqual(refused2.reason, .ok)

        // Still in the room, still answering.
        let pong = try await alice.ping(4242)
        XCTAssertEqual(pong.lastPingTimestamp, 4242)
        XCTAssertFalse(alice.inbox.isFinished)
        let count = await alice.room.participantCount
        XCTAssertEqual(count, 1)

        // And a good offer afterwards still works.
        await alice.send(.offer(offerDescription(try ChromeOffer.text(audioCID: "mic", videoCID: "none"))))
        _ = try await alice.inbox.first("answer") { $0.asAnswer }
    }

    func testLateJoinerGetsPublishedTracksInFirstOffer() async throws {
        let alice = try await join("alice")
        let tracks = try await publishChromeTracks(alice)

        let carol = try await join("carol", answerFirstOffer: false)
        let other = try XCTUnwrap(carol.joinResponse.otherParticipants.first { $0.identity == "alice" })
        XCTAssertEqual(Set(other.tracks.map(\.sid)), [tracks.audio, tracks.video])
        XCTAssertTrue(other.tracks.allSatisfy { !$0.mimeType.isEmpty })

        let sdp = try SessionDescription(parsing: carol.firstOffer.sdp)
        for track in [tracks.audio, tracks.video] {
            let m = try XCTUnwrap(section(carrying: track, in: sdp))
            XCTAssertEqual(m.direction, .sendonly)
            XCTAssertEqual(m.msids.first?.streamID, "\(alice.sid)|\(track)")
        }

        // Without auto-subscribe the first offer carries no tracks.
        let dave = try await join("dave", autoSubscribe: false, answerFirstOffer: false)
        let daveSDP = try SessionDescription(parsing: dave.firstOffer.sdp)
        XCTAssertTrue(daveSDP.rtpMedia.isEmpty)
    }

    func testRenegotiationWithStoppedSectionUnpublishes() async throws {
        let bob = try await join("bob")
        let alice = try await join("alice")
        let tracks = try await publishChromeTracks(alice)
        let (first, _) = try await nextOffer(bob)
        try await bob.answer(first)
        _ = try await bob.inbox.drain()

        // The client stops the audio sender: its section turns inactive (recvonly here).
        await alice.send(.offer(offerDescription(try ChromeOffer.text(audioCID: "mic-cid", videoCID: "cam-cid",
                                                                      audioDirection: "recvonly"))))
        let answer = try await alice.inbox.first("answer") { $0.asAnswer }
        XCTAssertNoThrow(try SessionDescription(parsing: answer.sdp))
        let unpublished = try await alice.inbox.first("trackUnpublished") { $0.asTrackUnpublished }
        XCTAssertEqual(unpublished.trackSid, tracks.audio)

        let info = try await bob.inbox.first("update(alice without audio)") { r in
            r.update(for: "alice").flatMap { $0.tracks.count == 1 ? $0 : nil }
        }
        XCTAssertEqual(info.tracks.map(\.sid), [tracks.video])
        let (_, reoffer) = try await nextOffer(bob)
        XCTAssertNil(section(carrying: tracks.audio, in: reoffer))
        XCTAssertNotNil(section(carrying: tracks.video, in: reoffer))
        XCTAssertTrue(reoffer.rtpMedia.contains { $0.kind == .audio && $0.direction == .inactive },
                      "the stopped slot is kept inactive so m-line order never changes")
    }
}
