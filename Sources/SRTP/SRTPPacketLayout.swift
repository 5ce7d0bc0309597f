/// Header arithmetic for the EVP SRTP transforms: where the encrypted part of an RTP or RTCP
/// packet starts, and big-endian loads/stores on raw buffers. Nothing here allocates.
enum SRTPPacketLayout {
    /// RTP fixed header (RFC 3550 §5.1).
    static let rtpFixedHeader = 12
    /// RTCP header plus sender SSRC: the part SRTCP leaves in the clear (RFC 3711 §3.4).
    static let rtcpHeader = 8
    /// The E flag and 31-bit SRTCP index that follow an SRTCP payload (RFC 3711 §3.4).
    static let srtcpIndexLength = 4
    static let srtcpEncryptedFlag: UInt32 = 0x8000_0000
    /// Largest SRTCP index; libsrtp refuses to go past it as well (RFC 3711 §9.2: rekey first).
    static let maxSRTCPIndex: UInt32 = 0x7FFF_FFFF
    /// Lengths are passed to EVP as `Int32`; refuse anything close to that (no real datagram is).
    static let maxPacketLength = 1 << 20

    /// Length of the RTP header including CSRCs and the header extension (RFC 3550 §5.1, §5.3.1),
    /// which SRTP leaves in the clear; nil when `length` bytes cannot hold it or the version is not 2.
    @inline(__always)
    static func rtpHeaderLength(_ packet: UnsafeRawPointer, length: Int) -> Int? {
        guard length >= rtpFixedHeader else { return nil }
        let first = packet.load(as: UInt8.self)
        guard first >> 6 == 2 else { return nil }
        var header = rtpFixedHeader + 4 * Int(first & 0x0F)
        if first & 0x10 != 0 {
            guard length >= header + 4 else { return nil }
            header += 4 + 4 * Int(be16(packet, header + 2))
        }
        return header <= length ? header : nil
    }

    @inline(__always)
    static func be16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always)
    static func be32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    @inline(__always)
    static func storeBE32(_ value: UInt32, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt32.self)
    }

    @inline(__always)
    static func storeBE64(_ value: UInt64, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: value.bigEndian, toByteOffset: offset, as: UInt64.self)
    }
}
