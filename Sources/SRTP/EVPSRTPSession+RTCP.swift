import COpenSSL

/// SRTCP packet processing (RFC 3711 §3.4; AEAD per RFC 7714 §9, §17). The first 8 bytes (header
/// and sender SSRC) stay in the clear; the E flag and 31-bit SRTCP index follow the payload. For
/// AES-CM the 80-bit tag comes after the index; for AEAD the 16-byte tag comes before it.
extension EVPSRTPSession {
    /// Protects in place: always encrypts (E = 1), with the SSRC's next SRTCP index.
    func sealRTCP(_ p: UnsafeMutableRawPointer, _ length: Int) throws(SRTPError) -> Int {
        let ssrc = SRTPPacketLayout.be32(p, 4)
        guard let slot = streams.find(ssrc) ?? streams.insert(ssrc) else {
            throw .library(code: Self.streamLimitErrorCode)
        }
        let state = streams.state(slot)
        // Like libsrtp, the first index sent is 1; after 2^31 - 1 the SSRC must be rekeyed.
        guard state.pointee.rtcpIndex < SRTPPacketLayout.maxSRTCPIndex else { throw .library(code: Self.keyExpiredErrorCode) }
        let index = state.pointee.rtcpIndex + 1
        state.pointee.rtcpIndex = index
        let word = SRTPPacketLayout.srtcpEncryptedFlag | index
        let header = SRTPPacketLayout.rtcpHeader

        switch rtcp.cipher {
        case .counter(let aes, let mac):
            rtcp.counterIV(ssrc: ssrc, index: UInt64(index), into: scratch)
            guard aes.apply(iv: scratch, to: p + header, count: length - header) else { throw .library(code: Self.cipherErrorCode) }
            // Authenticated portion: packet || E || index (RFC 3711 §3.4), then the tag.
            SRTPPacketLayout.storeBE32(word, p, length)
            guard mac.authenticate(p, length + 4, nil, 0, into: scratch + 32) else { throw .library(code: Self.cipherErrorCode) }
            (p + length + 4).copyMemory(from: scratch + 32, byteCount: 10)
            return length + 4 + 10
        case .gcm(let gcm):
            rtcp.gcmIV(ssrc: ssrc, index: UInt64(index), into: scratch)
            // AAD = header || E || index; the index word goes after the tag (RFC 7714 §9, §17).
            let trailer = p + length + EVPAESGCM.tagLength
            SRTPPacketLayout.storeBE32(word, trailer, 0)
            guard gcm.seal(iv: scratch, aad1: p, header, aad2: trailer, 4, data: p + header, count: length - header,
                           tag: p + length) else { throw .library(code: Self.cipherErrorCode) }
            return length + EVPAESGCM.tagLength + 4
        }
    }

    /// Unprotects in place. A packet with E = 0 (authenticated, not encrypted, RFC 3711 §3.4) is
    /// refused like libsrtp refuses it under an encrypting policy, unless `acceptsUnencryptedSRTCP`.
    func openRTCP(_ p: UnsafeMutableRawPointer, _ length: Int) throws(SRTPError) -> Int {
        let tag = tagLength, header = SRTPPacketLayout.rtcpHeader
        guard length >= header + SRTPPacketLayout.srtcpIndexLength + tag else { throw .malformed }
        let ssrc = SRTPPacketLayout.be32(p, 4)
        // AES-CM: ... || E+index || tag. AEAD: ... || tag || E+index.
        let wordAt = profile == .aeadAes128Gcm ? length - 4 : length - tag - 4
        let word = SRTPPacketLayout.be32(p, wordAt)
        let index = word & SRTPPacketLayout.maxSRTCPIndex
        let encrypted = word & SRTPPacketLayout.srtcpEncryptedFlag != 0
        guard encrypted || acceptsUnencryptedSRTCP else { throw .library(code: Self.unencryptedSRTCPErrorCode) }

        let known = streams.find(ssrc)
        if known == nil && streams.isFull { throw .library(code: Self.streamLimitErrorCode) }
        let highest = UInt64(known.map { streams.state($0).pointee.rtcpIndex } ?? 0)
        if let known, !SRTPReplayWindow.isFresh(streams.rtcpWindow(known), wordCount: SRTPReplayWindow.rtcpWords,
                                                highest: highest, index: UInt64(index)) {
            throw .replayed
        }

        let plainLength: Int
        switch rtcp.cipher {
        case .counter(let aes, let mac):
            let authenticated = length - tag  // packet || E+index
            guard mac.authenticate(p, authenticated, nil, 0, into: scratch + 32) else { throw .library(code: Self.cipherErrorCode) }
            guard CRYPTO_memcmp(scratch + 32, p + authenticated, 10) == 0 else { throw .authenticationFailed }
            plainLength = wordAt
            if encrypted {
                rtcp.counterIV(ssrc: ssrc, index: UInt64(index), into: scratch)
                guard aes.apply(iv: scratch, to: p + header, count: plainLength - header) else { throw .library(code: Self.cipherErrorCode) }
            }
        case .gcm(let gcm):
            plainLength = length - 4 - tag
            rtcp.gcmIV(ssrc: ssrc, index: UInt64(index), into: scratch)
            // E = 0: the whole packet is AAD and nothing is encrypted (RFC 7714 §9).
            let aadLength = encrypted ? header : plainLength
            guard gcm.open(iv: scratch, aad1: p, aadLength, aad2: p + wordAt, 4, data: p + aadLength,
                           count: plainLength - aadLength, tag: p + plainLength) else { throw .authenticationFailed }
        }

        guard let slot = known ?? streams.insert(ssrc) else { throw .library(code: Self.streamLimitErrorCode) }
        SRTPReplayWindow.accept(streams.rtcpWindow(slot), wordCount: SRTPReplayWindow.rtcpWords,
                                highest: highest, index: UInt64(index))
        if UInt64(index) > highest { streams.state(slot).pointee.rtcpIndex = index }
        return plainLength
    }
}
