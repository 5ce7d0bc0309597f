/// The keyed cipher and salt of one half of an SRTP session: SRTP or SRTCP (they have separate
/// session keys, RFC 3711 §4.3.2). Built once per session from its derived keys.
struct SRTPTransform {
    enum Cipher {
        /// AES_CM_128_HMAC_SHA1_80: AES-CM (RFC 3711 §4.1.1) and HMAC-SHA1 tag of 80 bits (§4.2.1).
        case counter(EVPAESCounter, SRTPHMACSHA1)
        /// AEAD_AES_128_GCM (RFC 7714).
        case gcm(EVPAESGCM)
    }

    let cipher: Cipher
    /// The session salt as two big-endian words (bytes 0..<8, 8..<16), zero-padded to 16 bytes.
    let saltHigh: UInt64
    let saltLow: UInt64

    /// The EVP contexts and HMAC states are released by `free()`, which the owner calls once.
    init?(profile: SRTPProfile, key: [UInt8], salt: [UInt8], authKey: [UInt8], encrypt: Bool) {
        guard salt.count == profile.saltLength else { return nil }
        switch profile {
        case .aes128CmHmacSha1_80:
            guard let aes = key.withUnsafeBytes({ EVPAESCounter(key: $0) }) else { return nil }
            guard let mac = authKey.withUnsafeBytes({ SRTPHMACSHA1(key: $0) }) else {
                aes.free()
                return nil
            }
            cipher = .counter(aes, mac)
        case .aeadAes128Gcm:
            guard let gcm = key.withUnsafeBytes({ EVPAESGCM(key: $0, encrypt: encrypt) }) else { return nil }
            cipher = .gcm(gcm)
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for i in 0..<8 {
            high = high << 8 | UInt64(i < salt.count ? salt[i] : 0)
            low = low << 8 | UInt64(i + 8 < salt.count ? salt[i + 8] : 0)
        }
        saltHigh = high
        saltLow = low
    }

    func free() {
        switch cipher {
        case .counter(let aes, let mac):
            aes.free()
            mac.free()
        case .gcm(let gcm):
            gcm.free()
        }
    }

    /// AES-CM IV (RFC 3711 §4.1.1): (k_s · 2^16) XOR (SSRC · 2^64) XOR (i · 2^16), where i is the
    /// 48-bit SRTP index or the 31-bit SRTCP index. Writes 16 bytes.
    @inline(__always)
    func counterIV(ssrc: UInt32, index: UInt64, into iv: UnsafeMutableRawPointer) {
        SRTPPacketLayout.storeBE64(saltHigh ^ UInt64(ssrc), iv, 0)
        SRTPPacketLayout.storeBE64(saltLow ^ (index << 16), iv, 8)
    }

    /// AEAD IV (RFC 7714 §8.1, §9.1): salt XOR (00 00 || SSRC || ROC || SEQ) for SRTP, salt XOR
    /// (00 00 || SSRC || 00 00 || 0 || SRTCP index) for SRTCP — in both cases 00 00 || SSRC ||
    /// the 48-bit index. Writes 16 bytes, of which GCM uses the first 12.
    @inline(__always)
    func gcmIV(ssrc: UInt32, index: UInt64, into iv: UnsafeMutableRawPointer) {
        SRTPPacketLayout.storeBE64(saltHigh ^ (UInt64(ssrc) << 16 | index >> 32), iv, 0)
        SRTPPacketLayout.storeBE64(saltLow ^ (index << 32), iv, 8)
    }
}
