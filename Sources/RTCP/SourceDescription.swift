/// The type octet of an SDES item (RFC 3550 section 6.5). Type 0 (END) terminates an
/// item list and is never an item itself.
public struct SDESItemType: RawRepresentable, Sendable, Hashable {
    public var rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }

    /// Canonical end-point identifier (section 6.5.1); the only item WebRTC requires.
    public static let cname = SDESItemType(rawValue: 1)
    public static let name = SDESItemType(rawValue: 2)
    public static let email = SDESItemType(rawValue: 3)
    public static let phone = SDESItemType(rawValue: 4)
    public static let location = SDESItemType(rawValue: 5)
    public static let tool = SDESItemType(rawValue: 6)
    public static let note = SDESItemType(rawValue: 7)
    /// Private extension (section 6.5.8); its value keeps the prefix-length framing as raw octets.
    public static let priv = SDESItemType(rawValue: 8)
}

/// One SDES item: type, then up to 255 octets of (normally UTF-8) value.
public struct SDESItem: Sendable, Equatable {
    /// The item type; must not be 0.
    public var type: SDESItemType
    /// The raw value octets (at most 255).
    public var value: [UInt8]

    /// Creates an item from raw octets.
    public init(type: SDESItemType, value: [UInt8]) {
        self.type = type
        self.value = value
    }

    /// Creates an item from text, encoded as UTF-8.
    public init(type: SDESItemType, text: String) {
        self.init(type: type, value: Array(text.utf8))
    }

    /// The value decoded as UTF-8 (invalid sequences become U+FFFD).
    public var text: String { String(decoding: value, as: UTF8.self) }
}

/// One SDES chunk: a source and its items.
public struct SDESChunk: Sendable, Equatable {
    /// SSRC or CSRC described by this chunk.
    public var source: UInt32
    /// The items, in wire order.
    public var items: [SDESItem]

    /// Creates a chunk.
    public init(source: UInt32, items: [SDESItem]) {
        self.source = source
        self.items = items
    }

    /// The first CNAME item's text, if any.
    public var cname: String? { items.first { $0.type == .cname }?.text }
}

/// Source description, PT=202 (RFC 3550 section 6.5).
///
///     |V=2|P|    SC   |  PT=SDES=202  |             length            |
///     |                          SSRC/CSRC_1                          |
///     |                           SDES items                          |
///     ...  each chunk: items, then a zero octet (END) and zero padding to 32 bits
public struct SourceDescription: Sendable, Equatable {
    /// The SC field is 5 bits wide.
    public static let maxChunks = 31
    /// Items accepted per chunk. Only 8 item types exist, so more is hostile or broken.
    public static let maxItemsPerChunk = 64

    /// Up to 31 chunks.
    public var chunks: [SDESChunk]

    /// Creates an SDES packet.
    public init(chunks: [SDESChunk]) {
        self.chunks = chunks
    }

    /// Convenience for the common single-CNAME packet.
    public init(source: UInt32, cname: String) {
        self.init(chunks: [SDESChunk(source: source, items: [SDESItem(type: .cname, text: cname)])])
    }

    init(count: UInt8, body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        var chunks: [SDESChunk] = []
        for _ in 0..<count {
            // Chunks start on a 32-bit boundary.
            guard reader.consumed % 4 == 0 else { throw .inconsistentLength }
            let source = try reader.readUInt32()
            var items: [SDESItem] = []
            while true {
                let type = try reader.readUInt8()
                if type == 0 {
                    // END, then null octets up to the next 32-bit boundary.
                    let pad = (4 - reader.consumed % 4) % 4
                    try reader.skip(pad)
                    break
                }
                guard items.count < Self.maxItemsPerChunk else { throw .limitExceeded }
                let length = try reader.readUInt8()
                let value = try reader.readBytes(Int(length))
                items.append(SDESItem(type: SDESItemType(rawValue: type), value: Array(value)))
            }
            chunks.append(SDESChunk(source: source, items: items))
        }
        // Anything after the SC-th chunk means SC and length disagree.
        guard reader.remaining == 0 else { throw .inconsistentLength }
        self.chunks = chunks
    }

    var headerCount: UInt8 { UInt8(truncatingIfNeeded: chunks.count) }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard chunks.count <= Self.maxChunks else { throw .unencodable }
        let start = out.count
        for chunk in chunks {
            guard chunk.items.count <= Self.maxItemsPerChunk else { throw .unencodable }
            out.appendUInt32(chunk.source)
            for item in chunk.items {
                guard item.type.rawValue != 0, item.value.count <= 255 else { throw .unencodable }
                out.append(item.type.rawValue)
                out.append(UInt8(item.value.count))
                out += item.value
            }
            // END octet plus zero padding: 1 to 4 null octets in total.
            out.append(0)
            while (out.count - start) % 4 != 0 { out.append(0) }
        }
    }
}
