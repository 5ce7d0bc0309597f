import LoadPeer

/// The client-side peer of the in-process transport tests is the load generator's `LoadPeer`
/// (a real UDP socket, a controlling ICE check, a DTLS client, SRTP). Interop with stacks we did
/// not write is proven by the aiortc and livekit SDK tests; this drives edge cases those stacks
/// won't produce on demand.
typealias TestPeer = LoadPeer

extension LoadPeer {
    static func rtp(seq: UInt16, ssrc: UInt32, payloadType: UInt8 = 96, payload: Int = 1000) -> [UInt8] {
        var p: [UInt8] = [0x80, payloadType, UInt8(seq >> 8), UInt8(seq & 0xff), 0, 0, 0x30, 0x39,
                          UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xff), UInt8((ssrc >> 8) & 0xff), UInt8(ssrc & 0xff)]
        p += (0..<payload).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ Int(seq)) }
        return p
    }
}
