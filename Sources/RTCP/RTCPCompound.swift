/// Parsing and serializing compound RTCP packets (RFC 3550 section 6.1).
///
/// The parser walks the packets header by header. It does not insist that a compound
/// starts with SR/RR, because reduced-size RTCP (RFC 5506), which browsers negotiate with
/// `a=rtcp-rsize`, sends feedback alone.
///
/// Error policy: `parse` is all-or-nothing and throws the first error. A framing error (a
/// bad version, a length running past the buffer, bad padding) makes the remainder of the
/// buffer unreadable; a malformed body of a known type is reported the same way, since a
/// packet that lies about its contents makes the rest of the compound suspect.
/// `parsePrefix` returns the packets decoded before the first error together with that
/// error, for callers that want to act on valid feedback that preceded garbage.
/// Unknown packet types and FMTs are never errors: they come back as `.unknown`.
public enum RTCPCompound {
    /// Packets accepted in one compound; a 64 KiB datagram holds at most 16384 headers,
    /// and real compounds hold a handful.
    public static let maxPackets = 1024

    /// Parses every packet in `bytes`, throwing on the first malformed one.
    public static func parse(_ bytes: [UInt8]) throws(RTCPError) -> [RTCPPacket] {
        try parse(bytes[...])
    }

    /// Parses every packet in `bytes`, throwing on the first malformed one.
    public static func parse(_ bytes: ArraySlice<UInt8>) throws(RTCPError) -> [RTCPPacket] {
        let (packets, error) = parsePrefix(bytes)
        if let error { throw error }
        return packets
    }

    /// Parses packets until the end of `bytes` or the first error, returning the packets
    /// decoded so far and the error (nil when the whole buffer parsed). An empty buffer is
    /// `.truncated`.
    public static func parsePrefix(_ bytes: [UInt8]) -> (packets: [RTCPPacket], error: RTCPError?) {
        parsePrefix(bytes[...])
    }

    /// Slice variant of `parsePrefix(_:)`.
    public static func parsePrefix(_ bytes: ArraySlice<UInt8>) -> (packets: [RTCPPacket], error: RTCPError?) {
        var packets: [RTCPPacket] = []
        guard !bytes.isEmpty else { return (packets, .truncated) }
        var position = bytes.startIndex
        while position < bytes.endIndex {
            guard packets.count < maxPackets else { return (packets, .limitExceeded) }
            do {
                let (packet, size) = try parseOne(bytes[position...])
                packets.append(packet)
                position += size
            } catch {
                return (packets, error)
            }
        }
        return (packets, nil)
    }

    /// Parses the packet at the start of `bytes`, returning it and its size on the wire.
    static func parseOne(_ bytes: ArraySlice<UInt8>) throws(RTCPError) -> (RTCPPacket, Int) {
        let header = try RTCPHeader(bytes)
        let size = header.packetSize
        guard bytes.count >= size else { throw .truncated }
        let start = bytes.startIndex
        var end = start + size
        if header.padding {
            // The last octet counts the padding, itself included; it may not eat the header.
            let padding = Int(bytes[end - 1])
            guard padding >= 1, padding <= size - 4 else { throw .invalidPadding }
            end -= padding
        }
        let packet = try RTCPPacket(header: header, body: bytes[(start + 4)..<end])
        return (packet, size)
    }

    /// Serializes `packets` back to back into one compound packet.
    public static func serialize(_ packets: [RTCPPacket]) throws(RTCPError) -> [UInt8] {
        var out: [UInt8] = []
        for packet in packets { try packet.serialize(into: &out) }
        return out
    }
}
