import RTP

/// Turns an RTX packet (RFC 4588 §4) back into the original in place: the first two payload
/// bytes are the original sequence number; SSRC and payload type become the repaired stream's.
/// Returns the original packet's length, or nil for a padding-only probe (no OSN).
func unwrapRTX(_ packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, ssrc: UInt32,
               payloadType: UInt8) -> Int? {
    guard header.payloadLength >= 2, let base = packet.baseAddress else { return nil }
    let start = header.payloadOffset
    let originalSequence = UInt16(packet[start]) << 8 | UInt16(packet[start + 1])
    let length = header.payloadLength - 2
    (base + start).copyMemory(from: base + start + 2, byteCount: length)
    packet[0] &= ~0x20 // padding dropped with the move
    let original = UnsafeMutableRawBufferPointer(rebasing: packet[0..<(start + length)])
    _ = RTPHeaderView.setSequenceNumber(originalSequence, in: original)
    _ = RTPHeaderView.setSSRC(ssrc, in: original)
    _ = RTPHeaderView.setPayloadType(payloadType, in: original)
    return start + length
}
