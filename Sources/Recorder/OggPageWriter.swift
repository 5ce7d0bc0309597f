/// Packs packets into Ogg pages (RFC 3533): lacing values of 255 with a final value below 255
/// per packet, at most 255 lacing values per page, packets continued across pages with the
/// continuation flag, a CRC per page.
///
/// Buffers are reused from page to page, so steady-state packing does not allocate.
public struct OggPageWriter {
    /// Header type flags (RFC 3533 section 6).
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// The page starts with the continuation of a packet from the previous page.
        public static let continued = Flags(rawValue: 0x01)
        /// First page of the logical bitstream.
        public static let beginningOfStream = Flags(rawValue: 0x02)
        /// Last page of the logical bitstream.
        public static let endOfStream = Flags(rawValue: 0x04)
    }

    /// Fixed part of the page header: capture pattern to segment count.
    public static let headerSize = 27
    /// Most lacing values (segments) on one page.
    public static let maxSegments = 255

    /// The logical bitstream serial number written on every page.
    public let serial: UInt32
    /// Sequence number the next page gets.
    public private(set) var pageSequence: UInt32 = 0
    /// Complete packets on the page being built.
    public private(set) var packetsOnPage = 0
    /// Whether the page being built holds any data.
    public var hasPendingData: Bool { !lacing.isEmpty }

    private var lacing: [UInt8] = []
    private var body: [UInt8] = []
    private var page: [UInt8] = []
    private var pageGranule: Int64 = -1
    private var startsWithContinuation = false

    /// Creates a writer for the logical stream `serial`.
    public init(serial: UInt32) {
        self.serial = serial
        lacing.reserveCapacity(Self.maxSegments)
        body.reserveCapacity(8192)
        page.reserveCapacity(Self.headerSize + Self.maxSegments + 8192)
    }

    /// Adds a packet that ends at `granule` (the granule position of a page is that of the
    /// last packet completed on it). A packet that does not fit completes the current page
    /// and continues on the next, writing full pages to `sink` as it goes.
    public mutating func append(
        packet: UnsafeRawBufferPointer, granule: Int64, to sink: any RecordingSink
    ) throws(RecorderError) {
        var offset = 0
        var remaining = packet.count
        while true {
            let free = Self.maxSegments - lacing.count
            let needed = remaining / 255 + 1
            if needed <= free {
                for _ in 0..<(remaining / 255) { lacing.append(255) }
                lacing.append(UInt8(remaining % 255))
                body.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[offset...]))
                pageGranule = granule
                packetsOnPage += 1
                return
            }
            // Fill the page with 255-byte segments of this packet and continue on the next.
            let take = free * 255
            for _ in 0..<free { lacing.append(255) }
            body.append(contentsOf: UnsafeRawBufferPointer(rebasing: packet[offset..<(offset + take)]))
            offset += take
            remaining -= take
            try emit(flags: [], to: sink)
            startsWithContinuation = offset > 0
        }
    }

    /// Writes the page being built, if it holds data or `flags` contains end-of-stream (an
    /// empty last page is how a stream is ended when nothing is pending).
    public mutating func flush(flags: Flags = [], to sink: any RecordingSink) throws(RecorderError) {
        guard hasPendingData || flags.contains(.endOfStream) else { return }
        try emit(flags: flags, to: sink)
    }

    private mutating func emit(flags: Flags, to sink: any RecordingSink) throws(RecorderError) {
        var headerType = flags
        if startsWithContinuation { headerType.insert(.continued) }
        if pageSequence == 0 { headerType.insert(.beginningOfStream) }
        page.removeAll(keepingCapacity: true)
        page.append(contentsOf: [0x4F, 0x67, 0x67, 0x53, 0])  // "OggS", version 0
        page.append(headerType.rawValue)
        page.appendLittleEndian(UInt64(bitPattern: pageGranule), bytes: 8)
        page.appendLittleEndian(UInt64(serial), bytes: 4)
        page.appendLittleEndian(UInt64(pageSequence), bytes: 4)
        page.appendLittleEndian(0, bytes: 4)  // CRC, filled below
        page.append(UInt8(lacing.count))
        page.append(contentsOf: lacing)
        page.append(contentsOf: body)
        let crc = page.withUnsafeBytes { OggCRC.update(0, $0) }
        page[22] = UInt8(truncatingIfNeeded: crc)
        page[23] = UInt8(truncatingIfNeeded: crc >> 8)
        page[24] = UInt8(truncatingIfNeeded: crc >> 16)
        page[25] = UInt8(truncatingIfNeeded: crc >> 24)
        try withBytes(page) { bytes throws(RecorderError) in try sink.append(bytes) }
        pageSequence &+= 1
        lacing.removeAll(keepingCapacity: true)
        body.removeAll(keepingCapacity: true)
        pageGranule = -1
        packetsOnPage = 0
        startsWithContinuation = false
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendLittleEndian(_ value: UInt64, bytes: Int) {
        for index in 0..<bytes { append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index)))) }
    }
}
