/// Goodbye, PT=203 (RFC 3550 section 6.6).
///
///     |V=2|P|    SC   |   PT=BYE=203  |             length            |
///     |                           SSRC/CSRC                           |
///     ...
///     |     length    |               reason for leaving            ...
public struct Goodbye: Sendable, Equatable {
    /// The SC field is 5 bits wide.
    public static let maxSources = 31

    /// SSRC/CSRC identifiers that are leaving.
    public var sources: [UInt32]
    /// Optional reason text (at most 255 UTF-8 octets).
    public var reason: String?

    /// Creates a BYE packet.
    public init(sources: [UInt32], reason: String? = nil) {
        self.sources = sources
        self.reason = reason
    }

    init(count: UInt8, body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        guard reader.remaining >= Int(count) * 4 else { throw .inconsistentLength }
        var sources: [UInt32] = []
        sources.reserveCapacity(Int(count))
        for _ in 0..<count { sources.append(try reader.readUInt32()) }
        self.sources = sources
        if reader.remaining > 0 {
            let length = try reader.readUInt8()
            reason = String(decoding: try reader.readBytes(Int(length)), as: UTF8.self)
            // Only zero padding to the 32-bit boundary may follow the reason.
            guard reader.remaining < 4 else { throw .inconsistentLength }
        } else {
            reason = nil
        }
    }

    var headerCount: UInt8 { UInt8(truncatingIfNeeded: sources.count) }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard sources.count <= Self.maxSources else { throw .unencodable }
        for source in sources { out.appendUInt32(source) }
        if let reason {
            let text = Array(reason.utf8)
            guard text.count <= 255 else { throw .unencodable }
            let start = out.count
            out.append(UInt8(text.count))
            out += text
            // Pad with zeros (not RTCP padding) as the section 6.6 diagram shows.
            while (out.count - start) % 4 != 0 { out.append(0) }
        }
    }
}
