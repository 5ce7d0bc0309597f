/// The session keys and salts of one SRTP/SRTCP session, derived once from the master key.
struct SRTPSessionKeys {
    var rtpKey: [UInt8]
    var rtpSalt: [UInt8]
    /// HMAC-SHA1 key (20 bytes) for AES-CM; empty for AEAD, which authenticates with GCM.
    var rtpAuthKey: [UInt8]
    var rtcpKey: [UInt8]
    var rtcpSalt: [UInt8]
    var rtcpAuthKey: [UInt8]

    /// Best-effort wipe of the key bytes once the EVP contexts hold their own copies.
    mutating func wipe() {
        for i in rtpKey.indices { rtpKey[i] = 0 }
        for i in rtpSalt.indices { rtpSalt[i] = 0 }
        for i in rtpAuthKey.indices { rtpAuthKey[i] = 0 }
        for i in rtcpKey.indices { rtcpKey[i] = 0 }
        for i in rtcpSalt.indices { rtcpSalt[i] = 0 }
        for i in rtcpAuthKey.indices { rtcpAuthKey[i] = 0 }
    }
}

/// SRTP key derivation (RFC 3711 §4.3) with key derivation rate 0, as DTLS-SRTP uses it: the
/// AES-CM PRF (§4.3.3) keyed with the master key, run once per label at session set-up.
enum SRTPKeyDerivation {
    /// Key derivation labels (RFC 3711 §4.3.1, §4.3.2).
    enum Label: UInt8 {
        case rtpEncryption = 0, rtpAuthentication, rtpSalt, rtcpEncryption, rtcpAuthentication, rtcpSalt
    }

    /// HMAC-SHA1 session authentication key length, n_a = 160 bits (RFC 3711 §8.2).
    static let authKeyLength = 20

    /// PRF_n(k_master, x) with x = key_id XOR master_salt, key_id = label || r and r = 0 (kdr 0):
    /// the first `length` bytes of the AES-CM keystream with IV = x · 2^16 (RFC 3711 §4.3.1, §4.3.3).
    /// A 12-byte AEAD master salt is zero-padded to 112 bits first (RFC 7714 §11, as libsrtp does).
    static func derive(masterKey: [UInt8], masterSalt: [UInt8], label: Label, length: Int) -> [UInt8]? {
        guard masterKey.count == 16, masterSalt.count <= 14, length > 0 else { return nil }
        var iv = [UInt8](repeating: 0, count: 16)
        for (i, byte) in masterSalt.enumerated() { iv[i] = byte }
        iv[7] ^= label.rawValue  // the label sits just above the 48 bits of r (all zero here)
        var output = [UInt8](repeating: 0, count: length)
        let ok = masterKey.withUnsafeBytes { key -> Bool in
            guard let prf = EVPAESCounter(key: key) else { return false }
            defer { prf.free() }
            return iv.withUnsafeBytes { ivBytes in
                output.withUnsafeMutableBytes { out in prf.apply(iv: ivBytes.baseAddress!, to: out.baseAddress!, count: length) }
            }
        }
        return ok ? output : nil
    }

    /// All six session keys for `profile` from `masterKeyAndSalt` (key || salt, as SRTPKeyingMaterial
    /// hands it out). Salts are 14 bytes for AES-CM (RFC 3711 §8.2) and 12 for AEAD (RFC 7714 §12).
    static func sessionKeys(profile: SRTPProfile, masterKeyAndSalt: [UInt8]) -> SRTPSessionKeys? {
        guard masterKeyAndSalt.count == profile.keyLength + profile.saltLength else { return nil }
        var key = Array(masterKeyAndSalt[0..<profile.keyLength])
        var salt = Array(masterKeyAndSalt[profile.keyLength...])
        defer {
            for i in key.indices { key[i] = 0 }
            for i in salt.indices { salt[i] = 0 }
        }
        let authLength = profile == .aes128CmHmacSha1_80 ? authKeyLength : 0
        func make(_ label: Label, _ length: Int) -> [UInt8]? {
            length == 0 ? [] : derive(masterKey: key, masterSalt: salt, label: label, length: length)
        }
        guard let rtpKey = make(.rtpEncryption, profile.keyLength),
              let rtpAuthKey = make(.rtpAuthentication, authLength),
              let rtpSalt = make(.rtpSalt, profile.saltLength),
              let rtcpKey = make(.rtcpEncryption, profile.keyLength),
              let rtcpAuthKey = make(.rtcpAuthentication, authLength),
              let rtcpSalt = make(.rtcpSalt, profile.saltLength)
        else { return nil }
        return SRTPSessionKeys(rtpKey: rtpKey, rtpSalt: rtpSalt, rtpAuthKey: rtpAuthKey,
                               rtcpKey: rtcpKey, rtcpSalt: rtcpSalt, rtcpAuthKey: rtcpAuthKey)
    }
}
