/// SRTP packet index estimation (RFC 3711 §3.3.1, Appendix A), made the way libsrtp makes it
/// (`srtp_rdbx_estimate_index`) so both ends agree on the ROC in every corner case: while the
/// highest index is at most 2^15 the ROC is taken as 0 (never "-1" for an early reordered packet).
enum SRTPIndex {
    static let mask: UInt64 = 0xFFFF_FFFF_FFFF  // 48-bit index = ROC (32) || SEQ (16)

    /// The estimated 48-bit index of `seq` and its distance from `highest` (positive: newer).
    @inline(__always)
    static func estimate(highest: UInt64, seq: UInt16) -> (index: UInt64, delta: Int64) {
        let s = Int64(seq)
        guard highest > 0x8000 else { return (UInt64(seq), s - Int64(highest)) }
        let roc = highest >> 16, local = Int64(highest & 0xFFFF)
        var guessROC = roc, delta = s - local
        if local < 0x8000 {
            if s - local > 0x8000 { guessROC = roc - 1; delta = s - local - 0x10000 }
        } else if local - 0x8000 > s {
            guessROC = roc + 1; delta = s - local + 0x10000
        }
        return (((guessROC << 16) | UInt64(seq)) & mask, delta)
    }
}

/// Replay lists (RFC 3711 §3.3.2) as ring bitmaps over caller-owned words (the stream table): the
/// bit of index i is bit (i mod size), valid for indices within `size` of the highest accepted one.
/// Advancing the highest index clears only the slots advanced over, so the common case (next
/// packet) touches one word, and checking or updating allocates nothing.
enum SRTPReplayWindow {
    /// RTP: 1024 packets, as the libsrtp sessions are configured (16 words).
    static let rtpWords = 16
    /// SRTCP: 128 indices (2 words), libsrtp's fixed SRTCP window size.
    static let rtcpWords = 2

    /// Whether `index` may be accepted given the highest accepted index: newer, or within the
    /// window and not seen. An index `size` or more behind the highest counts as a replay.
    /// `wordCount` must be a power of two.
    @inline(__always)
    static func isFresh(_ words: UnsafePointer<UInt64>, wordCount: Int, highest: UInt64, index: UInt64) -> Bool {
        if index > highest { return true }
        let size = UInt64(wordCount &* 64)
        guard highest &- index < size else { return false }
        let bit = Int(truncatingIfNeeded: index & (size &- 1))
        return words[bit &>> 6] & (1 &<< UInt64(bit & 63)) == 0
    }

    /// Records `index` as accepted; when it is newer than `highest`, first clears the slots of the
    /// indices advanced over (they still hold bits from `size` indices earlier).
    @inline(__always)
    static func accept(_ words: UnsafeMutablePointer<UInt64>, wordCount: Int, highest: UInt64, index: UInt64) {
        let size = UInt64(wordCount &* 64)
        if index > highest { clear(words, wordCount: wordCount, after: highest, through: index) }
        let bit = Int(truncatingIfNeeded: index & (size &- 1))
        words[bit &>> 6] |= 1 &<< UInt64(bit & 63)
    }

    private static func clear(_ words: UnsafeMutablePointer<UInt64>, wordCount: Int, after highest: UInt64,
                              through index: UInt64) {
        let size = UInt64(wordCount &* 64)
        guard index - highest < size else {
            words.update(repeating: 0, count: wordCount)
            return
        }
        var i = highest + 1
        while i <= index {
            let bit = Int(truncatingIfNeeded: i & (size &- 1)), offset = bit & 63
            let n = min(64 - offset, Int(truncatingIfNeeded: index - i) + 1)
            let mask: UInt64 = n == 64 ? ~0 : ((1 &<< UInt64(n)) &- 1) &<< UInt64(offset)
            words[bit &>> 6] &= ~mask
            i += UInt64(n)
        }
    }
}
