import COpenSSL

// The three OpenSSL 3 primitives SRTP needs, each keyed once when a session is made. Per packet
// the ciphers only reset the IV on an existing context: `EVP_CipherInit_ex` with a NULL cipher
// and NULL key reuses the provider context fetched at set-up, so the packet path neither
// allocates nor takes a lock (no implicit fetch, no ENGINE lookup). HMAC-SHA1: see below.
//
// They are plain structs over C pointers (no reference counting on the packet path): the owner
// (`SRTPTransform`, for `EVPSRTPSession`) calls `free()` once, and shares the session's
// single-thread ownership rule.

/// AES-128 in counter mode: the AES-CM keystream of RFC 3711 §4.1.1 (and the PRF of §4.3.3).
struct EVPAESCounter {
    private let ctx: OpaquePointer

    init?(key: UnsafeRawBufferPointer) {
        guard key.count == 16, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        guard EVP_EncryptInit_ex(ctx, EVP_aes_128_ctr(), nil, key.assumingMemoryBound(to: UInt8.self).baseAddress, nil) == 1
        else {
            EVP_CIPHER_CTX_free(ctx)
            return nil
        }
        self.ctx = ctx
    }

    func free() { EVP_CIPHER_CTX_free(ctx) }

    /// XORs `count` bytes at `data` with the keystream whose first counter block is `iv` (16 bytes).
    @inline(__always)
    func apply(iv: UnsafeRawPointer, to data: UnsafeMutableRawPointer, count: Int) -> Bool {
        guard EVP_EncryptInit_ex(ctx, nil, nil, nil, iv.assumingMemoryBound(to: UInt8.self)) == 1 else { return false }
        guard count > 0 else { return true }
        var written: Int32 = 0
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        return EVP_EncryptUpdate(ctx, bytes, &written, bytes, Int32(count)) == 1 && Int(written) == count
    }
}

/// AES-128-GCM with a 12-byte IV and 16-byte tag (RFC 7714 §5, §8, §9). One context per session
/// direction: sealing for an outbound session, opening for an inbound one.
struct EVPAESGCM {
    static let tagLength = 16
    private let ctx: OpaquePointer
    private let encrypting: Int32

    init?(key: UnsafeRawBufferPointer, encrypt: Bool) {
        guard key.count == 16, let ctx = EVP_CIPHER_CTX_new() else { return nil }
        let enc: Int32 = encrypt ? 1 : 0
        guard EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), nil, nil, nil, enc) == 1,
              EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, nil) == 1,
              EVP_CipherInit_ex(ctx, nil, nil, key.assumingMemoryBound(to: UInt8.self).baseAddress, nil, enc) == 1
        else {
            EVP_CIPHER_CTX_free(ctx)
            return nil
        }
        self.ctx = ctx
        encrypting = enc
    }

    func free() { EVP_CIPHER_CTX_free(ctx) }

    /// Encrypts `data` in place and writes the tag to `tag`. The AAD is `aad1 || aad2`.
    @inline(__always)
    func seal(iv: UnsafeRawPointer, aad1: UnsafeRawPointer, _ aad1Count: Int, aad2: UnsafeRawPointer?, _ aad2Count: Int,
              data: UnsafeMutableRawPointer, count: Int, tag: UnsafeMutableRawPointer) -> Bool {
        guard encrypting == 1, begin(iv: iv, aad1, aad1Count, aad2, aad2Count), crypt(data, count) else { return false }
        var written: Int32 = 0  // GCM's final writes no bytes (only computes the tag)
        guard EVP_CipherFinal_ex(ctx, tag.assumingMemoryBound(to: UInt8.self), &written) == 1 else { return false }
        return EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, Int32(Self.tagLength), tag) == 1
    }

    /// Decrypts `data` in place and checks `tag`; false on authentication failure (the buffer then
    /// holds garbage, which the caller drops).
    @inline(__always)
    func open(iv: UnsafeRawPointer, aad1: UnsafeRawPointer, _ aad1Count: Int, aad2: UnsafeRawPointer?, _ aad2Count: Int,
              data: UnsafeMutableRawPointer, count: Int, tag: UnsafeRawPointer) -> Bool {
        guard encrypting == 0, begin(iv: iv, aad1, aad1Count, aad2, aad2Count), crypt(data, count) else { return false }
        guard EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, Int32(Self.tagLength), UnsafeMutableRawPointer(mutating: tag)) == 1
        else { return false }
        var written: Int32 = 0, sink: UInt8 = 0  // GCM's final writes no bytes (only checks the tag)
        return EVP_CipherFinal_ex(ctx, &sink, &written) == 1
    }

    @inline(__always)
    private func begin(iv: UnsafeRawPointer, _ aad1: UnsafeRawPointer, _ aad1Count: Int,
                       _ aad2: UnsafeRawPointer?, _ aad2Count: Int) -> Bool {
        guard EVP_CipherInit_ex(ctx, nil, nil, nil, iv.assumingMemoryBound(to: UInt8.self), encrypting) == 1 else { return false }
        var written: Int32 = 0
        guard EVP_CipherUpdate(ctx, nil, &written, aad1.assumingMemoryBound(to: UInt8.self), Int32(aad1Count)) == 1
        else { return false }
        if let aad2, aad2Count > 0 {
            return EVP_CipherUpdate(ctx, nil, &written, aad2.assumingMemoryBound(to: UInt8.self), Int32(aad2Count)) == 1
        }
        return true
    }

    @inline(__always)
    private func crypt(_ data: UnsafeMutableRawPointer, _ count: Int) -> Bool {
        guard count > 0 else { return true }
        var written: Int32 = 0
        let bytes = data.assumingMemoryBound(to: UInt8.self)
        return EVP_CipherUpdate(ctx, bytes, &written, bytes, Int32(count)) == 1 && Int(written) == count
    }
}

/// HMAC-SHA1 (RFC 2104) for SRTP's authentication (RFC 3711 §4.2.1), with the keyed inner and
/// outer SHA-1 states computed once: per packet, copy a state, hash the message, finish.
///
/// Not EVP: in OpenSSL 3.0 `EVP_DigestInit_ex` frees and re-creates the provider digest context on
/// every call, and `HMAC_Init_ex` / `EVP_MAC_init` re-initialise through `EVP_MD_CTX_copy_ex`
/// (`dupctx`): an allocation per packet either way. `SHA_CTX` is a plain struct, so the low-level
/// SHA1_* functions (deprecated in 3.0, still shipped; same SHA-NI/AVX2 code as EVP) allocate nothing.
struct SRTPHMACSHA1 {
    static let digestLength = 20
    private static let blockLength = 64
    /// Inner start state, outer start state, working state.
    private let states: UnsafeMutablePointer<SHA_CTX>
    private let innerDigest: UnsafeMutablePointer<UInt8>

    init?(key: UnsafeRawBufferPointer) {
        guard key.count <= Self.blockLength else { return nil }
        let states = UnsafeMutablePointer<SHA_CTX>.allocate(capacity: 3)
        states.initialize(repeating: SHA_CTX(), count: 3)
        self.states = states
        innerDigest = .allocate(capacity: Self.digestLength)
        var pad = [UInt8](repeating: 0, count: Self.blockLength)
        defer { for i in pad.indices { pad[i] = 0 } }
        for (state, byte) in [(states, UInt8(0x36)), (states + 1, UInt8(0x5C))] {
            for i in 0..<Self.blockLength { pad[i] = (i < key.count ? key[i] : 0) ^ byte }
            guard SRTPLowLevelSHA1.start(state), SRTPLowLevelSHA1.update(state, pad, pad.count) else {
                free()
                return nil
            }
        }
    }

    func free() {
        OPENSSL_cleanse(states, 3 * MemoryLayout<SHA_CTX>.stride)
        states.deallocate()
        OPENSSL_cleanse(innerDigest, Self.digestLength)
        innerDigest.deallocate()
    }

    /// Writes HMAC-SHA1(key, part1 || part2) (20 bytes) to `output`.
    @inline(__always)
    func authenticate(_ part1: UnsafeRawPointer, _ count1: Int, _ part2: UnsafeRawPointer?, _ count2: Int,
                      into output: UnsafeMutableRawPointer) -> Bool {
        let work = states + 2
        work.update(from: states, count: 1)
        guard SRTPLowLevelSHA1.update(work, part1, count1),
              count2 == 0 || SRTPLowLevelSHA1.update(work, part2, count2),
              SRTPLowLevelSHA1.finish(work, into: innerDigest) else { return false }
        work.update(from: states + 1, count: 1)
        return SRTPLowLevelSHA1.update(work, innerDigest, Self.digestLength)
            && SRTPLowLevelSHA1.finish(work, into: output.assumingMemoryBound(to: UInt8.self))
    }
}
