import RTP

/// Rewrites RTP header extension ids (RFC 8285) from the publisher's negotiated ids to the
/// subscriber's, in one pass over the extension block. Ids the subscriber did not negotiate
/// become an id it never negotiated (receivers ignore those, RFC 8285 §4.1), so element
/// boundaries never change and no bytes move.
struct HeaderExtensionMap: Sendable {
    /// Index: publisher id (0...255); value: subscriber id.
    private var table: [UInt8]
    static let unnegotiated: UInt8 = 14
    static let transportCCURI = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"
    /// The subscriber's transport-wide sequence number id, when both sides negotiated it: that
    /// element is rewritten with the subscriber transport's own sequence (the publisher's
    /// numbers say nothing about the subscriber's path).
    let transportCCID: UInt8?

    /// Extensions whose values describe the publisher's session, not the subscriber's: the MID
    /// and RIDs name the publisher's m-section and layers, and a receiver demultiplexing by MID
    /// (RFC 8843 §9.2) would drop packets carrying a foreign one. The subscriber finds its
    /// stream by the SSRC announced in its SDP instead.
    static let publisherOnly: Set<String> = [
        "urn:ietf:params:rtp-hdrext:sdes:mid",
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",
    ]

    init(publisher: [String: UInt8], subscriber: [String: UInt8]) {
        table = Array(repeating: HeaderExtensionMap.unnegotiated, count: 256)
        for (uri, id) in publisher where !Self.publisherOnly.contains(uri) {
            if let target = subscriber[uri] { table[Int(id)] = target }
        }
        transportCCID = publisher[Self.transportCCURI] != nil ? subscriber[Self.transportCCURI] : nil
    }

    /// Rewrites the ids; when `transportSequence` is given, writes it into the transport-wide
    /// sequence element. Returns whether it did.
    @discardableResult
    func apply(to packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, transportSequence: UInt16? = nil) -> Bool {
        var stamped = false
        guard header.hasExtension else { return false }
        var offset = header.extensionOffset
        let end = min(header.extensionOffset + header.extensionLength, packet.count)
        if header.extensionProfile == 0xBEDE {
            while offset < end {
                let byte = packet[offset]
                if byte == 0 { offset += 1; continue } // padding
                let id = byte >> 4
                if id == 15 { return stamped }
                let length = Int(byte & 0x0F) + 1
                let mapped = table[Int(id)]
                packet[offset] = (min(mapped, 14) << 4) | (byte & 0x0F)
                if let transportSequence, mapped == transportCCID, length == 2, offset + 2 < end {
                    packet[offset + 1] = UInt8(transportSequence >> 8)
                    packet[offset + 2] = UInt8(transportSequence & 0xFF)
                    stamped = true
                }
                offset += 1 + length
            }
        } else if header.extensionProfile & 0xFFF0 == 0x1000 {
            while offset + 1 < end {
                let id = packet[offset]
                if id == 0 { offset += 1; continue }
                let length = Int(packet[offset + 1])
                let mapped = table[Int(id)]
                packet[offset] = mapped
                if let transportSequence, mapped == transportCCID, length == 2, offset + 3 < end {
                    packet[offset + 2] = UInt8(transportSequence >> 8)
                    packet[offset + 3] = UInt8(transportSequence & 0xFF)
                    stamped = true
                }
                offset += 2 + length
            }
        }
        return stamped
    }
}
