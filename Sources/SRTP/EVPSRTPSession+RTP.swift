import COpenSSL

/// SRTP packet processing (RFC 3711 §3.3; AEAD per RFC 7714 §8). The RTP header, CSRCs and header
/// extension stay in the clear and are authenticated; the payload (with any padding) is encrypted.
extension EVPSRTPSession {
    /// Protects in place: encrypts the payload and appends the tag (RFC 3711 §3.3, RFC 7714 §8).
    func sealRTP(_ p: UnsafeMutableRawPointer, _ length: Int) throws(SRTPError) -> Int {
        guard let header = SRTPPacketLayout.rtpHeaderLength(p, length: length) else { throw .malformed }
        let ssrc = SRTPPacketLayout.be32(p, 8), seq = SRTPPacketLayout.be16(p, 2)
        guard let slot = streams.find(ssrc) ?? streams.insert(ssrc) else {
            throw .library(code: Self.streamLimitErrorCode)
        }
        // The sender's ROC follows its own sequence numbers the way the receiver will estimate them
        // (RFC 3711 §3.3.1): a retransmitted old sequence number keeps its old ROC.
        let state = streams.state(slot)
        let (index, delta) = SRTPIndex.estimate(highest: state.pointee.rtpIndex, seq: seq)
        if delta > 0 { state.pointee.rtpIndex = index }

        switch rtp.cipher {
        case .counter(let aes, let mac):
            rtp.counterIV(ssrc: ssrc, index: index, into: scratch)
            guard aes.apply(iv: scratch, to: p + header, count: length - header) else { throw .library(code: Self.cipherErrorCode) }
            // Authenticated portion || ROC (RFC 3711 §4.2), tag = first 80 bits.
            SRTPPacketLayout.storeBE32(UInt32(truncatingIfNeeded: index >> 16), scratch, 16)
            guard mac.authenticate(p, length, scratch + 16, 4, into: scratch + 32) else { throw .library(code: Self.cipherErrorCode) }
            (p + length).copyMemory(from: scratch + 32, byteCount: 10)
            return length + 10
        case .gcm(let gcm):
            rtp.gcmIV(ssrc: ssrc, index: index, into: scratch)
            // AAD = the RTP header with CSRCs and extension (RFC 7714 §8).
            guard gcm.seal(iv: scratch, aad1: p, header, aad2: nil, 0, data: p + header, count: length - header,
                           tag: p + length) else { throw .library(code: Self.cipherErrorCode) }
            return length + EVPAESGCM.tagLength
        }
    }

    /// Unprotects in place: replay check, authentication, decryption; state changes only for a
    /// packet that authenticated (RFC 3711 §3.3, RFC 7714 §8).
    func openRTP(_ p: UnsafeMutableRawPointer, _ length: Int) throws(SRTPError) -> Int {
        let tag = tagLength
        guard length >= SRTPPacketLayout.rtpFixedHeader + tag else { throw .malformed }
        let body = length - tag
        guard let header = SRTPPacketLayout.rtpHeaderLength(p, length: body) else { throw .malformed }
        let ssrc = SRTPPacketLayout.be32(p, 8), seq = SRTPPacketLayout.be16(p, 2)

        // An unknown SSRC starts at ROC 0 with an empty window, as libsrtp's "any inbound" template.
        let known = streams.find(ssrc)
        if known == nil && streams.isFull { throw .library(code: Self.streamLimitErrorCode) }
        let highest = known.map { streams.state($0).pointee.rtpIndex } ?? 0
        let (index, delta) = SRTPIndex.estimate(highest: highest, seq: seq)
        if let known, !SRTPReplayWindow.isFresh(streams.rtpWindow(known), wordCount: SRTPReplayWindow.rtpWords,
                                                highest: highest, index: index) {
            throw .replayed
        }

        switch rtp.cipher {
        case .counter(let aes, let mac):
            SRTPPacketLayout.storeBE32(UInt32(truncatingIfNeeded: index >> 16), scratch, 16)
            guard mac.authenticate(p, body, scratch + 16, 4, into: scratch + 32) else { throw .library(code: Self.cipherErrorCode) }
            guard CRYPTO_memcmp(scratch + 32, p + body, 10) == 0 else { throw .authenticationFailed }
            rtp.counterIV(ssrc: ssrc, index: index, into: scratch)
            guard aes.apply(iv: scratch, to: p + header, count: body - header) else { throw .library(code: Self.cipherErrorCode) }
        case .gcm(let gcm):
            rtp.gcmIV(ssrc: ssrc, index: index, into: scratch)
            guard gcm.open(iv: scratch, aad1: p, header, aad2: nil, 0, data: p + header, count: body - header,
                           tag: p + body) else { throw .authenticationFailed }
        }

        guard let slot = known ?? streams.insert(ssrc) else { throw .library(code: Self.streamLimitErrorCode) }
        SRTPReplayWindow.accept(streams.rtpWindow(slot), wordCount: SRTPReplayWindow.rtpWords, highest: highest, index: index)
        if delta > 0 { streams.state(slot).pointee.rtpIndex = index }
        return body
    }
}
