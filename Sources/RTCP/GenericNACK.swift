/// Generic NACK, PT=205 (RTPFB) FMT=1 (RFC 4585 section 6.2.1).
///
///     |V=2|P|  FMT=1  |    PT=205     |             length            |
///     |                  SSRC of packet sender                        |
///     |                  SSRC of media source                         |
///     |            PID                |             BLP               |  (repeated)
///
/// Each item reports packet `PID` lost, plus `PID + i + 1` for every set bit `i` of BLP.
public struct GenericNACK: Sendable, Equatable {
    /// Items accepted when parsing. 65536 sequence numbers need at most 3856 items
    /// (each item covers 17), so more than this is never a useful NACK.
    public static let maxItems = 4096

    /// One PID/BLP pair.
    public struct Item: Sendable, Equatable {
        /// Packet ID: the first lost sequence number.
        public var packetID: UInt16
        /// Bitmask of following lost packets: bit i set means `packetID + i + 1` is lost.
        public var lostBitmask: UInt16

        /// Creates an item.
        public init(packetID: UInt16, lostBitmask: UInt16 = 0) {
            self.packetID = packetID
            self.lostBitmask = lostBitmask
        }

        /// The sequence numbers this item reports, in ascending (wrapping) order.
        public var sequenceNumbers: [UInt16] {
            var result = [packetID]
            for bit in 0..<16 where lostBitmask & (1 << bit) != 0 {
                result.append(packetID &+ UInt16(bit + 1))
            }
            return result
        }
    }

    /// SSRC of the NACK's sender.
    public var senderSSRC: UInt32
    /// SSRC of the media stream whose packets were lost.
    public var mediaSSRC: UInt32
    /// The PID/BLP items.
    public var items: [Item]

    /// Creates a NACK from explicit items.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, items: [Item]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.items = items
    }

    /// Creates a NACK reporting `lostSequenceNumbers` (any order, duplicates allowed).
    public init(senderSSRC: UInt32, mediaSSRC: UInt32, lostSequenceNumbers: [UInt16]) {
        self.init(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                  items: Self.items(for: lostSequenceNumbers))
    }

    /// Every sequence number the items report, item by item (duplicates possible if items overlap).
    public var lostSequenceNumbers: [UInt16] { items.flatMap(\.sequenceNumbers) }

    /// Packs lost sequence numbers into the fewest PID/BLP items, handling wrap-around.
    ///
    /// Numbers are ordered by their signed 16-bit distance from the first one (RFC 3550
    /// serial arithmetic), so `65534, 65535, 0, 1` becomes one item with PID 65534. Sets
    /// spanning more than half the sequence space are ambiguous; they still encode every
    /// number, just perhaps in more items.
    public static func items(for lostSequenceNumbers: [UInt16]) -> [Item] {
        guard let first = lostSequenceNumbers.first else { return [] }
        let unique = Set(lostSequenceNumbers)
        let sorted = unique.sorted {
            Int16(bitPattern: $0 &- first) < Int16(bitPattern: $1 &- first)
        }
        var items: [Item] = []
        for sequence in sorted {
            if var last = items.last {
                let distance = sequence &- last.packetID
                if (1...16).contains(distance) {
                    last.lostBitmask |= 1 << (distance - 1)
                    items[items.count - 1] = last
                    continue
                }
            }
            items.append(Item(packetID: sequence))
        }
        return items
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        senderSSRC = try reader.readUInt32()
        mediaSSRC = try reader.readUInt32()
        guard reader.remaining % 4 == 0 else { throw .inconsistentLength }
        // RFC 4585 6.2.1: the FCI holds at least one item.
        let count = reader.remaining / 4
        guard count >= 1 else { throw .inconsistentLength }
        guard count <= Self.maxItems else { throw .limitExceeded }
        var items: [Item] = []
        items.reserveCapacity(count)
        for _ in 0..<count {
            items.append(Item(packetID: try reader.readUInt16(), lostBitmask: try reader.readUInt16()))
        }
        self.items = items
    }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard !items.isEmpty, items.count <= Self.maxItems else { throw .unencodable }
        out.appendUInt32(senderSSRC)
        out.appendUInt32(mediaSSRC)
        for item in items {
            out.appendUInt16(item.packetID)
            out.appendUInt16(item.lostBitmask)
        }
    }
}
