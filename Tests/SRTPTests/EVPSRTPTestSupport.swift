@testable import SRTP

/// Packet builders and key material shared by the EVP SRTP tests.
enum EVPTestSupport {
    static func hex(_ text: String) -> [UInt8] {
        let digits = text.filter { !$0.isWhitespace }.map { UInt8(String($0), radix: 16)! }
        return stride(from: 0, to: digits.count, by: 2).map { digits[$0] << 4 | digits[$0 + 1] }
    }

    /// Master key || salt for `profile`, deterministic per seed.
    static func masterKey(_ profile: SRTPProfile, seed: UInt8 = 3) -> [UInt8] {
        (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: $0 &* 29 &+ Int(seed) &* 7 &+ 1) }
    }

    /// An RTP packet (RFC 3550 §5.1) with `csrcs` CSRCs, a one-byte-header extension (RFC 8285) of
    /// `extensionWords` words when non-zero, and `payload` bytes.
    static func rtp(seq: UInt16, ssrc: UInt32 = 0x1122_3344, csrcs: Int = 0, extensionWords: Int = 0,
                    payload: Int = 160, marker: Bool = false) -> [UInt8] {
        var p: [UInt8] = [0x80 | UInt8(csrcs) | (extensionWords > 0 ? 0x10 : 0), (marker ? 0x80 : 0) | 96,
                          UInt8(seq >> 8), UInt8(seq & 0xFF), 0x00, 0x01, 0xE2, 0x40]
        p += be32(ssrc)
        for i in 0..<csrcs { p += be32(0xC000_0000 | UInt32(i)) }
        if extensionWords > 0 {
            p += [0xBE, 0xDE, UInt8(extensionWords >> 8), UInt8(extensionWords & 0xFF)]
            p += (0..<(4 * extensionWords)).map { UInt8(truncatingIfNeeded: 0x10 &+ $0) }
        }
        p += (0..<payload).map { UInt8(truncatingIfNeeded: Int(seq) &+ $0 &* 13) }
        return p
    }

    /// A receiver report (RFC 3550 §6.4.2) with one report block, plus `extra` bytes of an SDES-ish tail.
    static func rtcp(ssrc: UInt32 = 0xDEAD_BEEF, extra: Int = 0) -> [UInt8] {
        var p: [UInt8] = [0x81, 201, 0x00, 0x07] + be32(ssrc)
        p += be32(0x1122_3344) + [0, 0, 0, 1] + be32(0x0001_0203) + [0, 0, 0, 20] + be32(0xAABB_CCDD) + [0, 0, 0, 5]
        p += (0..<extra).map { UInt8(truncatingIfNeeded: $0) }
        return p
    }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// The libsrtp-backed and EVP-backed sessions of one key, in both directions.
    struct Sessions {
        let libOut: SRTPSession, libIn: SRTPSession
        let evpOut: EVPSRTPSession, evpIn: EVPSRTPSession

        init(_ profile: SRTPProfile, seed: UInt8 = 3) throws {
            let key = EVPTestSupport.masterKey(profile, seed: seed)
            libOut = try SRTPSession(profile: profile, masterKeyAndSalt: key, direction: .outbound)
            libIn = try SRTPSession(profile: profile, masterKeyAndSalt: key, direction: .inbound)
            evpOut = try EVPSRTPSession(profile: profile, masterKeyAndSalt: key, direction: .outbound)
            evpIn = try EVPSRTPSession(profile: profile, masterKeyAndSalt: key, direction: .inbound)
        }
    }

    /// Runs `body` and returns its error (nil if it succeeded; `.library(code: -999)` if not an SRTPError).
    static func error(_ body: () throws -> Void) -> SRTPError? {
        do { try body(); return nil } catch { return (error as? SRTPError) ?? .library(code: -999) }
    }
}
