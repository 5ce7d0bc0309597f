import XCTest
@testable import SRTP

/// Published test vectors: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key derivation),
/// RFC 7714 §16 (SRTP AEAD_AES_128_GCM) and §17 (SRTCP, encrypted and tag-only).
final class EVPSRTPVectorTests: XCTestCase {
    private let hex = EVPTestSupport.hex

    func testRFC3711AppendixB3KeyDerivation() throws {
        let key = hex("E1F97A0D3E018BE0D64FA32C06DE4139"), salt = hex("0EC675AD498AFEEBB6960B3AABE6")
        XCTAssertEqual(SRTPKeyDerivation.derive(masterKey: key, masterSalt: salt, label: .rtpEncryption, length: 16),
                       hex("C61E7A93744F39EE10734AFE3FF7A087"))
        XCTAssertEqual(SRTPKeyDerivation.derive(masterKey: key, masterSalt: salt, label: .rtpSalt, length: 14),
                       hex("30CBBC08863D8C85D49DB34A9AE1"))
        XCTAssertEqual(SRTPKeyDerivation.derive(masterKey: key, masterSalt: salt, label: .rtpAuthentication, length: 94),
                       hex("""
                           CEBE321F6FF7716B6FD4AB49AF256A15 6D38BAA48F0A0ACF3C34E2359E6CDBCE
                           E049646C43D9327AD175578EF7227098 6371C10C9A369AC2F94A8C5FBCDDDC25
                           6D6E919A48B610EF17C2041E47403576 6B68642C59BBFC2F34DB60DBDFB2
                           """))
        let keys = try XCTUnwrap(SRTPKeyDerivation.sessionKeys(profile: .aes128CmHmacSha1_80, masterKeyAndSalt: key + salt))
        XCTAssertEqual(keys.rtpKey, hex("C61E7A93744F39EE10734AFE3FF7A087"))
        XCTAssertEqual(keys.rtpSalt, hex("30CBBC08863D8C85D49DB34A9AE1"))
        XCTAssertEqual(keys.rtpAuthKey, hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"))
        XCTAssertEqual(keys.rtcpKey.count, 16)
        XCTAssertNotEqual(keys.rtcpKey, keys.rtpKey)
        XCTAssertNil(SRTPKeyDerivation.sessionKeys(profile: .aeadAes128Gcm, masterKeyAndSalt: key + salt))
    }

    /// RFC 2202 §3 test cases 1 and 2, with the message split across the two parts as SRTP does.
    func testHMACSHA1RFC2202() throws {
        let cases: [(key: [UInt8], message: [UInt8], digest: String)] = [
            ([UInt8](repeating: 0x0B, count: 20), Array("Hi There".utf8), "b617318655057264e28bc0b6fb378c8ef146be00"),
            (Array("Jefe".utf8), Array("what do ya want for nothing?".utf8), "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"),
        ]
        for c in cases {
            let mac = try XCTUnwrap(c.key.withUnsafeBytes { SRTPHMACSHA1(key: $0) })
            defer { mac.free() }
            for split in [0, 3, c.message.count] {
                var out = [UInt8](repeating: 0, count: 20)
                let head = Array(c.message[0..<split]), tail = Array(c.message[split...])
                head.withUnsafeBytes { h in
                    tail.withUnsafeBytes { t in
                        out.withUnsafeMutableBytes { o in
                            XCTAssertTrue(mac.authenticate(h.baseAddress ?? t.baseAddress!, h.count, t.baseAddress, t.count,
                                                           into: o.baseAddress!))
                        }
                    }
                }
                XCTAssertEqual(out, hex(c.digest), "split \(split)")
            }
        }
    }

    /// B.2: with SSRC 0 and index 0 the AES-CM IV is the session salt · 2^16, so encrypting zeros
    /// through the SRTP path yields the published keystream.
    func testRFC3711AppendixB2KeystreamThroughSRTP() throws {
        let keys = SRTPSessionKeys(rtpKey: hex("2B7E151628AED2A6ABF7158809CF4F3C"), rtpSalt: hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD"),
                                   rtpAuthKey: [UInt8](repeating: 1, count: 20), rtcpKey: [UInt8](repeating: 2, count: 16),
                                   rtcpSalt: [UInt8](repeating: 3, count: 14), rtcpAuthKey: [UInt8](repeating: 4, count: 20))
        let session = try EVPSRTPSession(profile: .aes128CmHmacSha1_80, sessionKeys: keys, direction: .outbound, maxStreams: nil)
        var packet: [UInt8] = [0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0] + [UInt8](repeating: 0, count: 48)
        try session.protectRTP(&packet)
        XCTAssertEqual(Array(packet[12..<60]), hex("""
            E03EAD0935C95E80E166B16DD92B4EB4 D23513162B02D0F72A43A2FE4A5F97AB 41E95B3BB0A2E8DD477901E4FCA894C0
            """))
    }

    // MARK: RFC 7714 (vectors are given with session keys: key 00..0f, salt "Quid pro quo")

    private func gcmKeys() -> SRTPSessionKeys {
        let key = hex("000102030405060708090a0b0c0d0e0f"), salt = hex("517569642070726f2071756f")
        return SRTPSessionKeys(rtpKey: key, rtpSalt: salt, rtpAuthKey: [], rtcpKey: key, rtcpSalt: salt, rtcpAuthKey: [])
    }

    private let rtpPlain = EVPTestSupport.hex("""
        8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465 73207472 6573
        """)
    private let rtpProtected = EVPTestSupport.hex("""
        8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf
        8833899d 7f27beb1 6a9152cf 765ee439 0cce
        """)
    private let rtcpPlain = EVPTestSupport.hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef deadbeef
        """)
    private let rtcpProtected = EVPTestSupport.hex("""
        81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda 4ce09b46 86303ded
        0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4
        """)
    private let rtcpTagOnly = EVPTestSupport.hex("""
        81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef deadbeef
        deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4
        """)

    func testRFC7714Section16_1SRTPEncryptAndDecrypt() throws {
        let sender = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .outbound, maxStreams: nil)
        var packet = rtpPlain
        try sender.protectRTP(&packet)
        XCTAssertEqual(packet, rtpProtected)

        let receiver = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .inbound, maxStreams: nil)
        var wire = rtpProtected
        try receiver.unprotectRTP(&wire)
        XCTAssertEqual(wire, rtpPlain)

        var tampered = rtpProtected
        tampered[20] ^= 0x01
        let fresh = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .inbound, maxStreams: nil)
        XCTAssertEqual(EVPTestSupport.error { try fresh.unprotectRTP(&tampered) }, .authenticationFailed)
    }

    func testRFC7714Section17_1SRTCPEncryptAndDecrypt() throws {
        let receiver = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .inbound, maxStreams: nil)
        var wire = rtcpProtected
        try receiver.unprotectRTCP(&wire)
        XCTAssertEqual(wire, rtcpPlain)

        // Wind the sender's SRTCP index for SSRC "Mars" to just before the vector's 0x5d4.
        let sender = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .outbound, maxStreams: nil)
        let slot = try XCTUnwrap(sender.streams.insert(0x4d61_7273))
        sender.streams.state(slot).pointee.rtcpIndex = 0x5d3
        var packet = rtcpPlain
        try sender.protectRTCP(&packet)
        XCTAssertEqual(packet, rtcpProtected)
    }

    /// Tag-only SRTCP (E = 0): refused by default as libsrtp does; when allowed, verified per §17.3.
    func testRFC7714Section17_3SRTCPTagOnly() throws {
        let receiver = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .inbound, maxStreams: nil)
        var refused = rtcpTagOnly
        XCTAssertEqual(EVPTestSupport.error { try receiver.unprotectRTCP(&refused) },
                       .library(code: EVPSRTPSession.unencryptedSRTCPErrorCode))
        receiver.acceptsUnencryptedSRTCP = true
        var wire = rtcpTagOnly
        try receiver.unprotectRTCP(&wire)
        XCTAssertEqual(wire, rtcpPlain)

        var tampered = rtcpTagOnly
        tampered[12] ^= 0x40  // in the clear, but authenticated
        let fresh = try EVPSRTPSession(profile: .aeadAes128Gcm, sessionKeys: gcmKeys(), direction: .inbound, maxStreams: nil)
        fresh.acceptsUnencryptedSRTCP = true
        XCTAssertEqual(EVPTestSupport.error { try fresh.unprotectRTCP(&tampered) }, .authenticationFailed)
    }

    func testRFC7714IVFormation() {
        let keys = gcmKeys()
        let transform = SRTPTransform(profile: .aeadAes128Gcm, key: keys.rtpKey, salt: keys.rtpSalt, authKey: [], encrypt: true)!
        defer { transform.free() }
        var iv = [UInt8](repeating: 0, count: 16)
        iv.withUnsafeMutableBytes { transform.gcmIV(ssrc: 0x5501_a0b2, index: 0xf17b, into: $0.baseAddress!) }
        XCTAssertEqual(Array(iv[0..<12]), hex("51753c6580c2726f20718414"))  // §16
        iv.withUnsafeMutableBytes { transform.gcmIV(ssrc: 0x4d61_7273, index: 0x5d4, into: $0.baseAddress!) }
        XCTAssertEqual(Array(iv[0..<12]), hex("517524055203726f207170bb"))  // §17
    }
}
