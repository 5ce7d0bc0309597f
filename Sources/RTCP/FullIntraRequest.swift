/// Full Intra Request, PT=206 (PSFB) FMT=4 (RFC 5104 section 4.3.1).
///
///     |V=2|P|  FMT=4  |    PT=206     |             length            |
///     |                  SSRC of packet sender                        |
///     |             SSRC of media source (unused, 0)                  |
///     |                              SSRC                             |  FCI entry,
///     | Seq nr.       |    Reserved                                   |  repeated
public struct FullIntraRequest: Sendable, Equatable {
    /// Entries accepted when parsing; one per media sender, so a few suffice.
    public static let maxEntries = 256

    /// One FCI entry: the encoder addressed and the command sequence number.
    public struct Entry: Sendable, Equatable {
        /// SSRC of the media sender that should send a decoder refresh point.
        public var ssrc: UInt32
        /// Command sequence number; incremented per new request (RFC 5104 4.3.1.2).
        public var sequenceNumber: UInt8

        /// Creates an entry.
        public init(ssrc: UInt32, sequenceNumber: UInt8) {
            self.ssrc = ssrc
            self.sequenceNumber = sequenceNumber
        }
    }

    /// SSRC of the FIR's sender.
    public var senderSSRC: UInt32
    /// RFC 5104 says this SHALL be 0; kept as read for round-tripping.
    public var mediaSSRC: UInt32
    /// At least one entry.
    public var entries: [Entry]

    /// Creates a FIR.
    public init(senderSSRC: UInt32, mediaSSRC: UInt32 = 0, entries: [Entry]) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.entries = entries
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        senderSSRC = try reader.readUInt32()
        mediaSSRC = try reader.readUInt32()
        guard reader.remaining % 8 == 0, reader.remaining >= 8 else { throw .inconsistentLength }
        let count = reader.remaining / 8
        guard count <= Self.maxEntries else { throw .limitExceeded }
        var entries: [Entry] = []
        entries.reserveCapacity(count)
        for _ in 0..<count {
            let ssrc = try reader.readUInt32()
            let sequenceNumber = try reader.readUInt8()
            try reader.skip(3)  // reserved
            entries.append(Entry(ssrc: ssrc, sequenceNumber: sequenceNumber))
        }
        self.entries = entries
    }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard !entries.isEmpty, entries.count <= Self.maxEntries else { throw .unencodable }
        out.appendUInt32(senderSSRC)
        out.appendUInt32(mediaSSRC)
        for entry in entries {
            out.appendUInt32(entry.ssrc)
            out.append(entry.sequenceNumber)
            out += [0, 0, 0]
        }
    }
}
