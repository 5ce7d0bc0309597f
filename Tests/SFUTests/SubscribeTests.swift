import AccessTokens
import Foundation
import LiveKitProtocol
import SDP
@testable import SFU
import XCTest

final class SubscribeTests: SFUTestCase {
    func testOneSubscriberOfferInFlightAtATime() async throws {
        let sam = try await join("sam")
        let p1 = try await join("p1")
        let p2 = try await join("p2")
        _ = try await sam.inbox.drain()

        // p1 publishes: Sam gets offer #1 and does not answer yet.
        let t1 = try await publishAudio(p1)
        let (offer1, sdp1) = try await nextOffer(sam)
        XCTAssertNotNil(section(carrying: t1, in: sdp1))

        // p2 publishes while offer #1 is in flight: Sam hears about it but gets no second offer.
        let t2 = try await publishAudio(p2)
        _ = try await sam.inbox.first("update(p2 with track)") { r in
            r.update(for: "p2").flatMap { $0.tracks.isEmpty ? nil : $0 }
        }
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil }, "an offer is in flight")

        // The answer releases the held change as one new offer with both tracks.
        try await sam.answer(offer1)
        let (offer2, sdp2) = try await nextOffer(sam)
        XCTAssertNotNil(section(carrying: t1, in: sdp2))
        XCTAssertNotNil(section(carrying: t2, in: sdp2))
        // m-line order never changes between offers.
        XCTAssertEqual(Array(sdp2.media.compactMap(\.mid).prefix(sdp1.media.count)), sdp1.media.compactMap(\.mid))
        XCTAssertEqual(section(carrying: t1, in: sdp2)?.mid, section(carrying: t1, in: sdp1)?.mid)
        let version1 = sdp1.origin.sessionVersion
        let version2 = sdp2.origin.sessionVersion
        XCTAssertGreaterThan(version2, version1, "o= session version must increase")
        XCTAssertEqual(sdp2.origin.sessionID, sdp1.origin.sessionID)

        try await sam.answer(offer2)
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil }, "nothing pending after the answer")
    }

    func testUnsubscribeAndResubscribe() async throws {
        let sam = try await join("sam")
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        let (offer, sdp) = try await nextOffer(sam)
        let mid = try XCTUnwrap(section(carrying: track, in: sdp)?.mid)
        try await sam.answer(offer)

        // Unsubscribe: the section stays (same mid) but goes inactive without msid.
        var update = Livekit_UpdateSubscription()
        update.trackSids = [track]
        update.subscribe = false
        await sam.send(.subscription(update))
        let (offer2, sdp2) = try await nextOffer(sam)
        XCTAssertNil(section(carrying: track, in: sdp2))
        let slot = try XCTUnwrap(sdp2.media(mid: mid))
        XCTAssertEqual(slot.direction, .inactive)
        XCTAssertTrue(slot.msids.isEmpty)
        try await sam.answer(offer2)

        // Unsubscribing again changes nothing: no offer.
        await sam.send(.subscription(update))
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil })

        // Subscribe through participant_tracks: the slot is reused.
        var subscribe = Livekit_UpdateSubscription()
        var entry = Livekit_ParticipantTracks()
        entry.participantSid = pat.sid
        entry.trackSids = [track]
        subscribe.participantTracks = [entry]
        subscribe.subscribe = true
        await sam.send(.subscription(subscribe))
        let (offer3, sdp3) = try await nextOffer(sam)
        let again = try XCTUnwrap(section(carrying: track, in: sdp3))
        XCTAssertEqual(again.mid, mid, "the stopped slot of the same kind is reused")
        XCTAssertEqual(again.direction, .sendonly)
        XCTAssertEqual(again.msids.first?.streamID, "\(pat.sid)|\(track)")
        XCTAssertEqual(sdp3.media.count, sdp.media.count)
        try await sam.answer(offer3)
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil })
    }

    func testManualSubscriptionWithoutAutoSubscribe() async throws {
        let sam = try await join("sam", autoSubscribe: false)
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        _ = try await sam.inbox.first("update(pat with track)") { r in
            r.update(for: "pat").flatMap { $0.tracks.isEmpty ? nil : $0 }
        }
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil }, "auto_subscribe=0: wait for a subscription")

        var subscribe = Livekit_UpdateSubscription()
        subscribe.trackSids = [track]
        subscribe.subscribe = true
        await sam.send(.subscription(subscribe))
        let (_, sdp) = try await nextOffer(sam)
        XCTAssertEqual(section(carrying: track, in: sdp)?.direction, .sendonly)

        // Unknown track sids and own tracks are ignored.
        var bogus = Livekit_UpdateSubscription()
        bogus.trackSids = ["TR_doesnotexist"]
        bogus.subscribe = true
        await sam.send(.subscription(bogus))
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil || $0.asRequestResponse != nil })
    }

    func testSubscribeWithoutPermissionIsRefused() async throws {
        let sam = try await join("sam", grant: grant(canSubscribe: false))
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil }, "canSubscribe=false: no auto-subscribe")

        var subscribe = Livekit_UpdateSubscription()
        subscribe.trackSids = [track]
        subscribe.subscribe = true
        await sam.send(.subscription(subscribe))
        let refused = try await sam.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertEqual(refused.reason, .notAllowed)
        try await sam.inbox.expectNothing(matching: { $0.asOffer != nil })
    }

    func testSubscriberAnswerIsApplied() async throws {
        let sam = try await join("sam", answerFirstOffer: false)
        try await sam.answer(sam.firstOffer)
        try await sam.inbox.expectNothing("a good answer produces no response")

        // A bad answer is refused with an error; the session survives.
        var bad = Livekit_SessionDescription()
        bad.type = "answer"
        bad.sdp = "garbage"
        await sam.send(.answer(bad))
        let refused = try await sam.inbox.first("requestResponse") { $0.asRequestResponse }
        XCTAssertNotEqual(refused.reason, .ok)
        let pong = try await sam.ping(1)
        XCTAssertEqual(pong.lastPingTimestamp, 1)
    }

    func testPublisherLeavingRemovesTracksFromSubscribers() async throws {
        let sam = try await join("sam")
        let pat = try await join("pat")
        let track = try await publishAudio(pat)
        let (offer, _) = try await nextOffer(sam)
        try await sam.answer(offer)

        await pat.send(.leave(Livekit_LeaveRequest()))
        let (_, sdp) = try await nextOffer(sam)
        XCTAssertNil(section(carrying: track, in: sdp))
        XCTAssertTrue(sdp.rtpMedia.allSatisfy { $0.direction == .inactive })
    }
}
