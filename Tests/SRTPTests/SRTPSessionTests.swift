import XCTest
@testable import SRTP

final class SRTPSessionTests: XCTestCase {
    private func keys(_ profile: SRTPProfile, seed: UInt8 = 1) throws -> SRTPKeyingMaterial {
        let material = (0..<profile.keyingMaterialLength).map { UInt8(truncatingIfNeeded: Int($0) * 7 + Int(seed)) }
        return try SRTPKeyingMaterial(profile: profile, exported: material)
    }

    private func rtp(seq: UInt16, ssrc: UInt32 = 0x1122_3344, payload: Int = 1200) -> [UInt8] {
        var p: [UInt8] = [0x80, 96, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x10, 0x00,
                          UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0) }
        return p
    }

    private let rtcpRR: [UInt8] = [0x80, 201, 0x00, 0x01, 0xde, 0xad, 0xbe, 0xef]

    func testKeyingMaterialSplitFollowsRFC5764Order() throws {
        let k = try keys(.aes128CmHmacSha1_80)
        let all = (0..<60).map { UInt8(truncatingIfNeeded: $0 * 7 + 1) }
        XCTAssertEqual(k.clientKey, Array(all[0..<16]))
        XCTAssertEqual(k.serverKey, Array(all[16..<32]))
        XCTAssertEqual(k.clientSalt, Array(all[32..<46]))
        XCTAssertEqual(k.serverSalt, Array(all[46..<60]))
        XCTAssertThrowsError(try SRTPKeyingMaterial(profile: .aeadAes128Gcm, exported: all))
    }

    func testRoundTripBothProfiles() throws {
        for profile in SRTPProfile.allCases {
            let k = try keys(profile)
            let server = try SRTPContext(keys: k, isDTLSClient: false)
            let client = try SRTPContext(keys: k, isDTLSClient: true)
            for seq in UInt16(1)...50 {
                let plain = rtp(seq: seq)
                var packet = plain
                try server.outbound.protectRTP(&packet)
                XCTAssertNotEqual(packet, plain, "\(profile)")
                XCTAssertEqual(packet.count, plain.count + (profile == .aeadAes128Gcm ? 16 : 10))
                XCTAssertEqual(Array(packet[0..<12]), Array(plain[0..<12]), "RTP header stays in the clear")
                try client.inbound.unprotectRTP(&packet)
                XCTAssertEqual(packet, plain)
            }
            var report = rtcpRR
            try client.outbound.protectRTCP(&report)
            try server.inbound.unprotectRTCP(&report)
            XCTAssertEqual(report, rtcpRR)
        }
    }

    func testTamperedPacketFailsAuthentication() throws {
        for profile in SRTPProfile.allCases {
            let k = try keys(profile)
            let sender = try SRTPContext(keys: k, isDTLSClient: true)
            let receiver = try SRTPContext(keys: k, isDTLSClient: false)
            var packet = rtp(seq: 7)
            try sender.outbound.protectRTP(&packet)
            packet[40] ^= 0x01
            XCTAssertThrowsError(try receiver.inbound.unprotectRTP(&packet)) {
                XCTAssertEqual($0 as? SRTPError, .authenticationFailed)
            }
        }
    }

    func testWrongKeyFailsAuthentication() throws {
        let sender = try SRTPContext(keys: try keys(.aeadAes128Gcm, seed: 1), isDTLSClient: true)
        let receiver = try SRTPContext(keys: try keys(.aeadAes128Gcm, seed: 2), isDTLSClient: false)
        var packet = rtp(seq: 1)
        try sender.outbound.protectRTP(&packet)
        XCTAssertThrowsError(try receiver.inbound.unprotectRTP(&packet))
    }

    func testReplayIsRejectedButRetransmissionCanBeSent() throws {
        let k = try keys(.aes128CmHmacSha1_80)
        let sender = try SRTPContext(keys: k, isDTLSClient: true)
        let receiver = try SRTPContext(keys: k, isDTLSClient: false)
        var first = rtp(seq: 100)
        try sender.outbound.protectRTP(&first)
        var copy = first
        try receiver.inbound.unprotectRTP(&first)
        XCTAssertThrowsError(try receiver.inbound.unprotectRTP(&copy)) { XCTAssertEqual($0 as? SRTPError, .replayed) }
        // The forwarder resends packets on NACK: protecting the same sequence number again works.
        var again = rtp(seq: 100)
        XCTAssertNoThrow(try sender.outbound.protectRTP(&again))
    }

    func testReorderedPacketsWithinWindowAreAccepted() throws {
        let k = try keys(.aeadAes128Gcm)
        let sender = try SRTPContext(keys: k, isDTLSClient: true)
        let receiver = try SRTPContext(keys: k, isDTLSClient: false)
        var packets: [[UInt8]] = []
        for seq in UInt16(1)...20 {
            var p = rtp(seq: seq, payload: 100)
            try sender.outbound.protectRTP(&p)
            packets.append(p)
        }
        for i in [0, 2, 1, 5, 3, 4] + Array(6..<20) {
            var p = packets[i]
            XCTAssertNoThrow(try receiver.inbound.unprotectRTP(&p), "packet \(i)")
        }
    }

    func testGarbageAndTruncatedInputIsRejectedNotCrashing() throws {
        let receiver = try SRTPContext(keys: try keys(.aes128CmHmacSha1_80), isDTLSClient: false)
        var rng = SystemRandomNumberGenerator()
        for length in 0..<64 {
            var junk = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if length > 0 { junk[0] = 0x80 }
            XCTAssertThrowsError(try receiver.inbound.unprotectRTP(&junk))
            var junk2 = junk
            XCTAssertThrowsError(try receiver.inbound.unprotectRTCP(&junk2))
        }
    }

    func testInPlaceAPIRequiresTrailerSpace() throws {
        let session = try SRTPContext(keys: try keys(.aeadAes128Gcm), isDTLSClient: true).outbound
        var storage = [UInt8](repeating: 0, count: 100)
        let plain = rtp(seq: 1, payload: 88)
        storage.replaceSubrange(0..<100, with: plain)
        XCTAssertThrowsError(try storage.withUnsafeMutableBytes { try session.protectRTP($0, length: 100) }) {
            XCTAssertEqual($0 as? SRTPError, .bufferTooSmall)
        }
    }
}
