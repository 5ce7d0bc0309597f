/// One Ogg page as read back (RFC 3533 section 6).
public struct OggPage: Sendable, Equatable {
    /// Header type flags.
    public var flags: OggPageWriter.Flags
    /// Granule position (-1: no packet ends on this page).
    public var granule: Int64
    /// Logical stream serial number.
    public var serial: UInt32
    /// Page sequence number.
    public var sequence: UInt32
    /// Lacing values.
    public var segments: [UInt8]
    /// Offset of the page in the data it was read from.
    public var offset: Int
    /// Header plus body length.
    public var length: Int
    /// Offset of the body.
    public var bodyOffset: Int
}

/// Reads Ogg pages and packets back, checking every page's capture pattern, version and CRC:
/// for tests, for measuring a file, and for crash repair.
public struct OggReader {
    /// The data being read.
    public let bytes: [UInt8]

    /// Reads from `bytes`.
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Parses the page at `offset`; throws `.malformedContainer` if it is truncated, has a
    /// bad capture pattern, version or CRC.
    public func page(at offset: Int) throws(RecorderError) -> OggPage {
        let header = OggPageWriter.headerSize
        guard offset >= 0, bytes.count - offset >= header else { throw .malformedContainer("truncated Ogg page header") }
        guard bytes[offset] == 0x4F, bytes[offset + 1] == 0x67, bytes[offset + 2] == 0x67, bytes[offset + 3] == 0x53 else {
            throw .malformedContainer("no OggS capture pattern at \(offset)")
        }
        guard bytes[offset + 4] == 0 else { throw .malformedContainer("Ogg version \(bytes[offset + 4])") }
        let count = Int(bytes[offset + 26])
        guard bytes.count - offset >= header + count else { throw .malformedContainer("truncated lacing table") }
        let segments = Array(bytes[(offset + header)..<(offset + header + count)])
        let bodyLength = segments.reduce(0) { $0 + Int($1) }
        let length = header + count + bodyLength
        guard bytes.count - offset >= length else { throw .malformedContainer("truncated Ogg page body") }
        let stored = UInt32(littleEndian: offset + 22)
        var crc: UInt32 = 0
        bytes.withUnsafeBytes { all in
            crc = OggCRC.update(crc, UnsafeRawBufferPointer(rebasing: all[offset..<(offset + 22)]))
            var zero: UInt32 = 0
            withUnsafeBytes(of: &zero) { crc = OggCRC.update(crc, $0) }
            crc = OggCRC.update(crc, UnsafeRawBufferPointer(rebasing: all[(offset + 26)..<(offset + length)]))
        }
        guard crc == stored else { throw .malformedContainer("Ogg CRC mismatch at \(offset)") }
        return OggPage(
            flags: OggPageWriter.Flags(rawValue: bytes[offset + 5]),
            granule: Int64(bitPattern: UInt64(littleEndian: offset + 6, count: 8)),
            serial: UInt32(littleEndian: offset + 14),
            sequence: UInt32(littleEndian: offset + 18),
            segments: segments, offset: offset, length: length, bodyOffset: offset + header + count)
    }

    /// Every valid page from the start, stopping at the first invalid or truncated one.
    /// `validLength` is where the valid prefix ends.
    public func pages() -> (pages: [OggPage], validLength: Int) {
        var out: [OggPage] = []
        var offset = 0
        while offset < bytes.count, let page = try? page(at: offset) {
            out.append(page)
            offset += page.length
        }
        return (out, offset)
    }

    /// The packets of the valid prefix, with the granule of the page each one ends on.
    /// A packet still unfinished at the end is left out.
    public func packets() -> [(packet: [UInt8], granule: Int64)] {
        var out: [(packet: [UInt8], granule: Int64)] = []
        var partial: [UInt8] = []
        for page in pages().pages {
            var position = page.bodyOffset
            if !page.flags.contains(.continued) { partial.removeAll() }
            for lace in page.segments {
                partial += bytes[position..<(position + Int(lace))]
                position += Int(lace)
                if lace < 255 {
                    out.append((partial, page.granule))
                    partial.removeAll()
                }
            }
        }
        return out
    }

    private func UInt64(littleEndian offset: Int, count: Int) -> Swift.UInt64 {
        var value: Swift.UInt64 = 0
        for index in 0..<count { value |= Swift.UInt64(bytes[offset + index]) << (8 * Swift.UInt64(index)) }
        return value
    }

    private func UInt32(littleEndian offset: Int) -> Swift.UInt32 {
        Swift.UInt32(truncatingIfNeeded: UInt64(littleEndian: offset, count: 4))
    }
}

/// Crash repair for Ogg Opus recordings: keeps the valid prefix of pages (cutting a torn last
/// page) and marks the last page end-of-stream, recomputing its CRC.
public enum OggRepair {
    /// What a repair did.
    public struct Result: Sendable, Equatable {
        /// Pages kept.
        public var pages: Int
        /// Bytes cut from the end (a torn page).
        public var truncatedBytes: Int
        /// The last granule position minus pre-skip: the playable duration in 48 kHz samples.
        public var duration: Int64
        /// Whether the file already ended with an end-of-stream page (nothing to do).
        public var wasComplete: Bool
    }

    /// Repairs the Ogg file at `path` in place.
    public static func repair(path: String) throws(RecorderError) -> Result {
        let sink = try FileSink(path: path, mode: .update)
        defer { try? sink.close() }
        return try repair(sink: sink)
    }

    /// Repairs the Ogg data in `sink` in place.
    public static func repair(sink: any SeekableRecordingSink) throws(RecorderError) -> Result {
        let bytes = try sink.read(at: 0, count: sink.length)
        let reader = OggReader(bytes)
        let (pages, validLength) = reader.pages()
        guard pages.count >= 2, let last = pages.last else {
            throw .malformedContainer("fewer than two valid Ogg pages: no OpusHead/OpusTags")
        }
        let head = try OpusHead(parsing: reader.packets().first?.packet ?? [])
        let lastGranule = pages.last { $0.granule >= 0 && $0.sequence >= 2 }?.granule ?? Int64(head.preSkip)
        let duration = max(0, lastGranule - Int64(head.preSkip))
        let truncated = bytes.count - validLength
        if truncated == 0, last.flags.contains(.endOfStream) {
            return Result(pages: pages.count, truncatedBytes: 0, duration: duration, wasComplete: true)
        }
        if truncated > 0 { try sink.truncate(to: validLength) }
        if !last.flags.contains(.endOfStream) {
            var page = Array(bytes[last.offset..<(last.offset + last.length)])
            page[5] |= OggPageWriter.Flags.endOfStream.rawValue
            page[22] = 0; page[23] = 0; page[24] = 0; page[25] = 0
            let crc = OggCRC.checksum(page)
            page[22] = UInt8(truncatingIfNeeded: crc)
            page[23] = UInt8(truncatingIfNeeded: crc >> 8)
            page[24] = UInt8(truncatingIfNeeded: crc >> 16)
            page[25] = UInt8(truncatingIfNeeded: crc >> 24)
            try sink.overwrite(page, at: last.offset)
        }
        try sink.sync()
        return Result(pages: pages.count, truncatedBytes: truncated, duration: duration, wasComplete: false)
    }
}
