import XCTest
@testable import SRTP

/// EVPSRTPSession against the libsrtp-backed SRTPSession with the same master key, both profiles:
/// identical bytes out of protect, and each side unprotects what the other protected.
final class EVPSRTPInteropTests: XCTestCase {
    private typealias T = EVPTestSupport

    /// Packet shapes: CSRCs, header extensions, empty to 1200-byte payloads, odd lengths.
    private let shapes: [(csrcs: Int, ext: Int, payload: Int)] = [
        (0, 0, 0), (0, 0, 1), (0, 0, 15), (0, 0, 16), (0, 0, 17), (0, 0, 160), (0, 0, 1200),
        (1, 0, 33), (15, 0, 100), (0, 1, 50), (0, 3, 1187), (2, 2, 1200), (4, 255, 300),
    ]

    func testRTPProtectIsByteIdenticalAndBothSidesUnprotect() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var seq: UInt16 = 1000
            for shape in shapes {
                seq &+= 1
                let plain = T.rtp(seq: seq, csrcs: shape.csrcs, extensionWords: shape.ext, payload: shape.payload)
                var ours = plain, theirs = plain
                try s.evpOut.protectRTP(&ours)
                try s.libOut.protectRTP(&theirs)
                XCTAssertEqual(ours, theirs, "\(profile) \(shape)")
                XCTAssertEqual(ours.count, plain.count + (profile == .aeadAes128Gcm ? 16 : 10))

                var intoLib = ours, intoOurs = theirs
                try s.libIn.unprotectRTP(&intoLib)
                try s.evpIn.unprotectRTP(&intoOurs)
                XCTAssertEqual(intoLib, plain, "\(profile) \(shape)")
                XCTAssertEqual(intoOurs, plain, "\(profile) \(shape)")
            }
        }
    }

    /// Sequence numbers wrapping (ROC 0 -> 3) with jumps of 37, several SSRCs interleaved.
    func testSequenceWrapAroundAcrossSSRCs() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            let ssrcs: [UInt32] = [0xAAAA_0001, 0x0000_0000, 0xFFFF_FFFF]
            var index: [UInt64] = [65_000, 40_000, 1]
            for step in 0..<4_300 {
                for (i, ssrc) in ssrcs.enumerated() {
                    let plain = T.rtp(seq: UInt16(truncatingIfNeeded: index[i]), ssrc: ssrc, payload: 20 + step % 50)
                    var ours = plain, theirs = plain
                    try s.evpOut.protectRTP(&ours)
                    try s.libOut.protectRTP(&theirs)
                    XCTAssertEqual(ours, theirs, "\(profile) ssrc \(ssrc) index \(index[i])")
                    try s.libIn.unprotectRTP(&ours)
                    try s.evpIn.unprotectRTP(&theirs)
                    XCTAssertEqual(ours, plain)
                    XCTAssertEqual(theirs, plain)
                    if step < 4_299 { index[i] += step < 3_600 ? 37 : 1 }
                }
            }
            for (i, ssrc) in ssrcs.enumerated() {
                let slot = try XCTUnwrap(s.evpIn.streams.find(ssrc))
                XCTAssertEqual(s.evpIn.streams.state(slot).pointee.rtpIndex, index[i], "\(profile) ssrc \(ssrc)")
            }
            XCTAssertEqual(index[0] >> 16, 3)  // ROC 3 after three wraps
        }
    }

    /// Reordering across the wrap within the window: everything is accepted once, on both sides.
    func testReorderedPacketsAcrossWrap() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var fromLib: [[UInt8]] = [], fromOurs: [[UInt8]] = [], plains: [[UInt8]] = []
            var seq: UInt16 = 65_400
            for _ in 0..<400 {
                let plain = T.rtp(seq: seq, payload: 64)
                var a = plain, b = plain
                try s.libOut.protectRTP(&a)
                try s.evpOut.protectRTP(&b)
                fromLib.append(a)
                fromOurs.append(b)
                plains.append(plain)
                seq &+= 1
            }
            // Deliver in blocks of 50, each block reversed, with the first 10 packets held back to the end.
            var order: [Int] = []
            for block in stride(from: 10, to: 400, by: 50) { order += (block..<min(block + 50, 400)).reversed() }
            order += (0..<10).reversed()
            for i in order {
                var a = fromLib[i], b = fromOurs[i]
                XCTAssertNoThrow(try s.evpIn.unprotectRTP(&a), "\(profile) #\(i)")
                XCTAssertNoThrow(try s.libIn.unprotectRTP(&b), "\(profile) #\(i)")
                XCTAssertEqual(a, plains[i])
                XCTAssertEqual(b, plains[i])
            }
            // Every one of them again: replays, on both sides.
            for i in order {
                var a = fromLib[i], b = fromOurs[i]
                XCTAssertEqual(T.error { try s.evpIn.unprotectRTP(&a) }, .replayed, "\(profile) #\(i)")
                XCTAssertEqual(T.error { try s.libIn.unprotectRTP(&b) }, .replayed, "\(profile) #\(i)")
            }
        }
    }

    func testPacketsOlderThanTheWindowAreRejectedLikeLibsrtp() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var held: [UInt8] = [], heldTheirs: [UInt8] = []
            for seq in UInt16(1)...1100 {
                var ours = T.rtp(seq: seq, payload: 8), theirs = ours
                try s.evpOut.protectRTP(&ours)
                try s.libOut.protectRTP(&theirs)
                if seq == 50 { held = theirs; heldTheirs = ours; continue }
                try s.evpIn.unprotectRTP(&theirs)
                try s.libIn.unprotectRTP(&ours)
            }
            // Index 50 is 1050 behind the highest (1100): outside the 1024-packet window on both.
            XCTAssertEqual(T.error { try s.evpIn.unprotectRTP(&held) }, .replayed)
            XCTAssertEqual(T.error { try s.libIn.unprotectRTP(&heldTheirs) }, .replayed)
        }
    }

    func testTamperedPacketsFailAuthenticationOnBothSides() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var original = T.rtp(seq: 7, csrcs: 1, extensionWords: 2, payload: 100)
            try s.libOut.protectRTP(&original)
            // Header byte, CSRC, extension, payload, tag: flipping any bit must fail.
            for position in [1, 3, 5, 9, 14, 20, 30, 60, original.count - 1] {
                var a = original, b = original
                a[position] ^= 0x04
                b[position] ^= 0x04
                let ours = T.error { try s.evpIn.unprotectRTP(&a) }
                let theirs = T.error { try s.libIn.unprotectRTP(&b) }
                XCTAssertNotNil(ours, "\(profile) byte \(position)")
                XCTAssertNotNil(theirs)
                XCTAssertEqual(ours, .authenticationFailed, "\(profile) byte \(position)")
            }
            // The untouched packet still goes through after all those failures.
            var good = original
            try s.evpIn.unprotectRTP(&good)
            XCTAssertEqual(good, T.rtp(seq: 7, csrcs: 1, extensionWords: 2, payload: 100))
        }
    }

    func testTruncatedPacketsAreRejected() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var rtp = T.rtp(seq: 9, csrcs: 2, extensionWords: 1, payload: 40)
            try s.evpOut.protectRTP(&rtp)
            var rtcp = T.rtcp(extra: 12)
            try s.evpOut.protectRTCP(&rtcp)
            for cut in 0..<rtp.count {
                var a = Array(rtp[0..<cut])
                XCTAssertNotNil(T.error { try s.evpIn.unprotectRTP(&a) }, "\(profile) RTP cut \(cut)")
            }
            for cut in 0..<rtcp.count {
                var a = Array(rtcp[0..<cut])
                XCTAssertNotNil(T.error { try s.evpIn.unprotectRTCP(&a) }, "\(profile) RTCP cut \(cut)")
            }
            // Intact packets still authenticate afterwards (failures changed no state).
            try s.evpIn.unprotectRTP(&rtp)
            try s.evpIn.unprotectRTCP(&rtcp)
        }
    }

    // MARK: SRTCP

    func testRTCPProtectIsByteIdenticalAndBothSidesUnprotect() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            for round in 0..<40 {
                let ssrc: UInt32 = round % 3 == 0 ? 0x0102_0304 : 0xDEAD_BEEF
                let plain = T.rtcp(ssrc: ssrc, extra: (round * 7) % 61)
                var ours = plain, theirs = plain
                try s.evpOut.protectRTCP(&ours)
                try s.libOut.protectRTCP(&theirs)
                XCTAssertEqual(ours, theirs, "\(profile) round \(round)")
                XCTAssertEqual(ours.count, plain.count + (profile == .aeadAes128Gcm ? 20 : 14))
                var intoLib = ours, intoOurs = theirs
                try s.libIn.unprotectRTCP(&intoLib)
                try s.evpIn.unprotectRTCP(&intoOurs)
                XCTAssertEqual(intoLib, plain)
                XCTAssertEqual(intoOurs, plain)
                // Replays are refused by both.
                XCTAssertEqual(T.error { try s.evpIn.unprotectRTCP(&theirs) }, .replayed)
                XCTAssertEqual(T.error { try s.libIn.unprotectRTCP(&ours) }, .replayed)
            }
        }
    }

    func testRTCPReorderTamperAndReplay() throws {
        for profile in SRTPProfile.allCases {
            let s = try T.Sessions(profile)
            var packets: [[UInt8]] = []
            for _ in 0..<30 {
                var p = T.rtcp(extra: 4)
                try s.libOut.protectRTCP(&p)
                packets.append(p)
            }
            for i in [5, 4, 0, 29, 10, 11, 3] {
                var p = packets[i]
                XCTAssertNoThrow(try s.evpIn.unprotectRTCP(&p), "\(profile) #\(i)")
                XCTAssertEqual(p, T.rtcp(extra: 4))
            }
            var again = packets[4]
            XCTAssertEqual(T.error { try s.evpIn.unprotectRTCP(&again) }, .replayed)
            for position in [1, 6, 9, 20, packets[12].count - 1, packets[12].count - 12] {
                var p = packets[12]
                p[position] ^= 0x10
                XCTAssertNotNil(T.error { try s.evpIn.unprotectRTCP(&p) }, "\(profile) byte \(position)")
            }
            var intact = packets[12]
            try s.evpIn.unprotectRTCP(&intact)
        }
    }

    /// An AES-CM SRTCP packet sent without encryption (E = 0), built by hand: libsrtp refuses it
    /// under its encrypting policy (cant_check) and so do we by default; allowed, we verify it.
    func testUnencryptedSRTCPIsRefusedLikeLibsrtp() throws {
        let profile = SRTPProfile.aes128CmHmacSha1_80
        let s = try T.Sessions(profile)
        let keys = try XCTUnwrap(SRTPKeyDerivation.sessionKeys(profile: profile, masterKeyAndSalt: T.masterKey(profile)))
        let plain = T.rtcp(extra: 8)
        var packet = plain + [0x00, 0x00, 0x00, 0x2A]  // E = 0, index 42
        var mac = [UInt8](repeating: 0, count: 20)
        let hmac = try XCTUnwrap(keys.rtcpAuthKey.withUnsafeBytes { SRTPHMACSHA1(key: $0) })
        defer { hmac.free() }
        packet.withUnsafeBytes { p in
            mac.withUnsafeMutableBytes { XCTAssertTrue(hmac.authenticate(p.baseAddress!, p.count, nil, 0, into: $0.baseAddress!)) }
        }
        packet += mac[0..<10]
        var forLib = packet, forUs = packet
        XCTAssertEqual(T.error { try s.libIn.unprotectRTCP(&forLib) }, .library(code: 14))
        XCTAssertEqual(T.error { try s.evpIn.unprotectRTCP(&forUs) }, .library(code: EVPSRTPSession.unencryptedSRTCPErrorCode))
        s.evpIn.acceptsUnencryptedSRTCP = true
        var tampered = packet
        tampered[9] ^= 1
        XCTAssertEqual(T.error { try s.evpIn.unprotectRTCP(&tampered) }, .authenticationFailed)
        forUs = packet
        try s.evpIn.unprotectRTCP(&forUs)
        XCTAssertEqual(forUs, plain)
    }
}
