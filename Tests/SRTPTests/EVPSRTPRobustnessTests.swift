import XCTest
@testable import SRTP

/// Hostile and malformed input, limits, and the index/replay arithmetic on its own.
final class EVPSRTPRobustnessTests: XCTestCase {
    private typealias T = EVPTestSupport

    func testGarbageOfEveryShortLengthIsRejectedNotCrashing() throws {
        var rng = SystemRandomNumberGenerator()
        for profile in SRTPProfile.allCases {
            let inbound = try EVPSRTPSession(profile: profile, masterKeyAndSalt: T.masterKey(profile), direction: .inbound)
            let outbound = try EVPSRTPSession(profile: profile, masterKeyAndSalt: T.masterKey(profile), direction: .outbound)
            for length in 0..<200 {
                for _ in 0..<20 {
                    var junk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
                    if length > 0 && Bool.random(using: &rng) { junk[0] = 0x80 | (junk[0] & 0x3F) }
                    var a = junk, b = junk
                    XCTAssertNotNil(T.error { try inbound.unprotectRTP(&a) }, "\(profile) length \(length)")
                    XCTAssertNotNil(T.error { try inbound.unprotectRTCP(&b) }, "\(profile) length \(length)")
                    // Protect accepts any well-formed RTP header; garbage must fail cleanly or succeed.
                    var c = junk, d = junk
                    _ = T.error { try outbound.protectRTP(&c) }
                    _ = T.error { try outbound.protectRTCP(&d) }
                }
            }
            // None of that authenticated, so no SSRC was admitted inbound.
            XCTAssertEqual(inbound.streams.count, 0)
        }
    }

    func testHeadersClaimingMoreThanThePacketAreMalformed() throws {
        let session = try EVPSRTPSession(profile: .aeadAes128Gcm, masterKeyAndSalt: T.masterKey(.aeadAes128Gcm), direction: .outbound)
        var fifteenCSRCs = T.rtp(seq: 1, payload: 20)
        fifteenCSRCs[0] = 0x8F  // 60 bytes of CSRCs claimed, 20 present
        XCTAssertEqual(T.error { try session.protectRTP(&fifteenCSRCs) }, .malformed)
        var hugeExtension = T.rtp(seq: 1, extensionWords: 1, payload: 20)
        hugeExtension[14] = 0xFF; hugeExtension[15] = 0xFF
        XCTAssertEqual(T.error { try session.protectRTP(&hugeExtension) }, .malformed)
        var cutExtension = Array(T.rtp(seq: 1, extensionWords: 1, payload: 0)[0..<14])
        XCTAssertEqual(T.error { try session.protectRTP(&cutExtension) }, .malformed)
        var version1 = T.rtp(seq: 1)
        version1[0] = 0x40
        XCTAssertEqual(T.error { try session.protectRTP(&version1) }, .malformed)
    }

    func testBufferBoundsAndDirectionMatchSRTPSession() throws {
        let outbound = try EVPSRTPSession(profile: .aeadAes128Gcm, masterKeyAndSalt: T.masterKey(.aeadAes128Gcm), direction: .outbound)
        let inbound = try EVPSRTPSession(profile: .aeadAes128Gcm, masterKeyAndSalt: T.masterKey(.aeadAes128Gcm), direction: .inbound)
        var storage = T.rtp(seq: 1, payload: 88)
        XCTAssertEqual(storage.count, 100)
        let cases: [(EVPSRTPSession, Int, Bool)] = [(outbound, 100, true), (outbound, 101, true), (inbound, 7, false),
                                                     (inbound, -1, false), (inbound, 101, false)]
        for (session, length, protect) in cases {
            XCTAssertThrowsError(try storage.withUnsafeMutableBytes {
                protect ? try session.protectRTP($0, length: length) : try session.unprotectRTP($0, length: length)
            }) { XCTAssertEqual($0 as? SRTPError, .bufferTooSmall, "length \(length)") }
        }
        XCTAssertEqual(T.error { try inbound.protectRTP(&storage) }, .library(code: EVPSRTPSession.wrongDirectionErrorCode))
        XCTAssertEqual(T.error { try outbound.unprotectRTCP(&storage) }, .library(code: EVPSRTPSession.wrongDirectionErrorCode))
        XCTAssertThrowsError(try EVPSRTPSession(profile: .aeadAes128Gcm, masterKeyAndSalt: [1, 2, 3], direction: .inbound)) {
            XCTAssertEqual($0 as? SRTPError, .malformed)
        }
    }

    /// SSRCs are admitted inbound only after authentication, up to the limit; then refused.
    func testStreamLimitInboundAndOutbound() throws {
        for profile in SRTPProfile.allCases {
            let key = T.masterKey(profile)
            let sender = try EVPSRTPSession(profile: profile, masterKeyAndSalt: key, direction: .outbound, maxStreams: 5)
            let receiver = try EVPSRTPSession(profile: profile, masterKeyAndSalt: key, direction: .inbound, maxStreams: 4)
            var protected: [[UInt8]] = []
            for ssrc in UInt32(1)...5 {
                var p = T.rtp(seq: 10, ssrc: ssrc)
                try sender.protectRTP(&p)
                protected.append(p)
            }
            var sixth = T.rtp(seq: 10, ssrc: 6)
            XCTAssertEqual(T.error { try sender.protectRTP(&sixth) }, .library(code: EVPSRTPSession.streamLimitErrorCode))

            // A flood of forged packets from new SSRCs admits none of them.
            for ssrc in UInt32(100)..<1100 {
                var forged = T.rtp(seq: 1, ssrc: ssrc, payload: 40)
                XCTAssertEqual(T.error { try receiver.unprotectRTP(&forged) }, .authenticationFailed)
            }
            XCTAssertEqual(receiver.streams.count, 0)
            for i in 0..<4 { try receiver.unprotectRTP(&protected[i]) }
            XCTAssertEqual(T.error { try receiver.unprotectRTP(&protected[4]) }, .library(code: EVPSRTPSession.streamLimitErrorCode))
            // Known SSRCs keep working.
            var next = T.rtp(seq: 11, ssrc: 2)
            try sender.protectRTP(&next)
            try receiver.unprotectRTP(&next)
        }
    }

    func testTableGrowsPastItsInitialCapacityKeepingState() throws {
        let profile = SRTPProfile.aes128CmHmacSha1_80
        let s = try T.Sessions(profile)
        for round in UInt16(0)..<3 {
            for ssrc in UInt32(0)..<60 {
                var p = T.rtp(seq: 65_534 &+ round, ssrc: ssrc &* 0x0101_0101, payload: 10)
                try s.evpOut.protectRTP(&p)
                try s.libIn.unprotectRTP(&p)
            }
        }
        XCTAssertEqual(s.evpOut.streams.count, 60)
        for ssrc in UInt32(0)..<60 {
            let slot = try XCTUnwrap(s.evpOut.streams.find(ssrc &* 0x0101_0101))
            XCTAssertEqual(s.evpOut.streams.state(slot).pointee.rtpIndex, 0x1_0000, "ROC 1, seq 0")
        }
    }

    func testSRTCPIndexExhaustionNeedsRekey() throws {
        let session = try EVPSRTPSession(profile: .aeadAes128Gcm, masterKeyAndSalt: T.masterKey(.aeadAes128Gcm), direction: .outbound)
        let slot = try XCTUnwrap(session.streams.insert(0xDEAD_BEEF))
        session.streams.state(slot).pointee.rtcpIndex = 0x7FFF_FFFE
        var last = T.rtcp()
        try session.protectRTCP(&last)
        XCTAssertEqual(Array(last.suffix(4)), [0xFF, 0xFF, 0xFF, 0xFF])  // E = 1, index 2^31 - 1
        var more = T.rtcp()
        XCTAssertEqual(T.error { try session.protectRTCP(&more) }, .library(code: EVPSRTPSession.keyExpiredErrorCode))
    }

    // MARK: Arithmetic

    func testIndexEstimationFollowsRFC3711AppendixA() {
        // Early in a stream ROC stays 0, even for a sequence number "behind" zero.
        XCTAssertEqual(SRTPIndex.estimate(highest: 0, seq: 500).index, 500)
        XCTAssertEqual(SRTPIndex.estimate(highest: 10, seq: 65_530).index, 65_530)
        // Forward over the wrap, and a late packet from before it.
        XCTAssertEqual(SRTPIndex.estimate(highest: 65_530, seq: 3).index, 0x1_0003)
        XCTAssertEqual(SRTPIndex.estimate(highest: 65_530, seq: 3).delta, 9)
        XCTAssertEqual(SRTPIndex.estimate(highest: 0x1_0003, seq: 65_530).index, 65_530)
        XCTAssertEqual(SRTPIndex.estimate(highest: 0x1_0003, seq: 65_530).delta, -9)
        // ROC at its maximum wraps to 0 (48-bit index).
        XCTAssertEqual(SRTPIndex.estimate(highest: 0xFFFF_FFFF_FFF0, seq: 5).index, 5)
    }

    func testReplayWindowSlidesAndForgets() {
        var words = [UInt64](repeating: 0, count: SRTPReplayWindow.rtpWords)
        words.withUnsafeMutableBufferPointer { w in
            let p = w.baseAddress!, n = SRTPReplayWindow.rtpWords
            var highest: UInt64 = 0
            func fresh(_ i: UInt64) -> Bool { SRTPReplayWindow.isFresh(p, wordCount: n, highest: highest, index: i) }
            func accept(_ i: UInt64) {
                SRTPReplayWindow.accept(p, wordCount: n, highest: highest, index: i)
                highest = max(highest, i)
            }
            accept(100)
            XCTAssertFalse(fresh(100))
            XCTAssertTrue(fresh(99))
            XCTAssertTrue(fresh(0))
            accept(170)  // 100 is now 70 behind
            XCTAssertFalse(fresh(100))
            XCTAssertTrue(fresh(101))
            accept(101)
            XCTAssertFalse(fresh(101))
            accept(1123)  // 100 is 1023 behind: still remembered; 99 is out of the window
            XCTAssertFalse(fresh(100))
            XCTAssertFalse(fresh(99))
            XCTAssertTrue(fresh(150))
            XCTAssertFalse(fresh(170))
            accept(1124)  // 100's slot is reused by 1124
            XCTAssertFalse(fresh(100))
            XCTAssertFalse(fresh(1124))
            XCTAssertTrue(fresh(1100))
            XCTAssertTrue(fresh(1125))
            accept(highest + 5000)
            XCTAssertEqual(Array(w).map(\.nonzeroBitCount).reduce(0, +), 1)
            XCTAssertFalse(fresh(highest))
            XCTAssertTrue(fresh(highest - 1))
        }
    }

    /// The ring windows against a set-of-accepted-indices model, under random jumps and reordering.
    func testReplayWindowsMatchAReferenceModel() {
        var rng = SystemRandomNumberGenerator()
        for wordCount in [SRTPReplayWindow.rtpWords, SRTPReplayWindow.rtcpWords] {
            let size = UInt64(wordCount * 64)
            var words = [UInt64](repeating: 0, count: wordCount)
            var accepted = Set<UInt64>(), highest: UInt64 = 0
            words.withUnsafeMutableBufferPointer { w in
                let p = w.baseAddress!
                for _ in 0..<20_000 {
                    let jump = [1, 1, 1, 2, 63, 64, 65, 100, size - 1, size, size + 3][Int.random(in: 0..<11, using: &rng)]
                    let candidate = Bool.random(using: &rng) ? highest + jump
                                                             : highest - min(highest, UInt64.random(in: 0...(size + 10), using: &rng))
                    let modelFresh = candidate > highest || (highest - candidate < size && !accepted.contains(candidate))
                    let fresh = SRTPReplayWindow.isFresh(p, wordCount: wordCount, highest: highest, index: candidate)
                    XCTAssertEqual(fresh, modelFresh, "index \(candidate), highest \(highest)")
                    guard fresh else { continue }
                    SRTPReplayWindow.accept(p, wordCount: wordCount, highest: highest, index: candidate)
                    accepted.insert(candidate)
                    highest = max(highest, candidate)
                }
            }
        }
    }
}
