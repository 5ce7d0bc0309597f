/// A validated, allocation-free view of an RTP packet's layout (RFC 3550 §5.1, RFC 8285),
/// for the forwarding hot path.
///
/// Holds only scalars: offsets into the buffer it was built from, never a pointer, so it is
/// `Sendable` and cannot dangle. Methods that read elements take the buffer again and return
/// nil if it is not the same length as the one validated.
public struct RTPHeaderView: Sendable, Equatable {
    /// The M bit.
    public let marker: Bool
    /// The 7-bit payload type.
    public let payloadType: UInt8
    /// The sequence number.
    public let sequenceNumber: UInt16
    /// The timestamp.
    public let timestamp: UInt32
    /// The synchronization source.
    public let ssrc: UInt32
    /// Number of CSRCs (0...15).
    public let csrcCount: Int
    /// Bytes before the payload: fixed header, CSRCs and extension.
    public let headerLength: Int
    /// Offset of the first payload byte (equal to ``headerLength``).
    public let payloadOffset: Int
    /// Payload bytes, excluding padding.
    public let payloadLength: Int
    /// Padding bytes at the end, including the count byte; 0 when the P bit is clear.
    public let paddingLength: Int
    /// Whether the X bit is set.
    public let hasExtension: Bool
    /// The extension's profile field (0xBEDE, 0x100X, or other); 0 without an extension.
    public let extensionProfile: UInt16
    /// Offset of the extension body (after its 4-byte header); 0 without an extension.
    public let extensionOffset: Int
    /// Length of the extension body in bytes (4 × the length field).
    public let extensionLength: Int
    /// Total length of the packet validated.
    public let packetLength: Int

    /// Validates `buffer` as an RTP packet: version 2, CSRC list and extension within bounds,
    /// RFC 8285 elements well formed (for those profiles), padding count 1...bytes after the
    /// header when the P bit is set.
    public init(validating buffer: UnsafeRawBufferPointer) throws(RTPParseError) {
        let count = buffer.count
        guard count >= RTPPacket.fixedHeaderLength else { throw .truncated }
        guard count <= RTPPacket.maximumLength else { throw .tooLarge }
        let first = buffer[0], second = buffer[1]
        guard first >> 6 == RTPPacket.version else { throw .unsupportedVersion(first >> 6) }
        marker = second & 0x80 != 0
        payloadType = second & 0x7F
        sequenceNumber = buffer.rtpUInt16(at: 2)
        timestamp = buffer.rtpUInt32(at: 4)
        ssrc = buffer.rtpUInt32(at: 8)
        csrcCount = Int(first & 0x0F)

        var offset = RTPPacket.fixedHeaderLength + 4 * csrcCount
        guard offset <= count else { throw .truncated }

        hasExtension = first & 0x10 != 0
        if hasExtension {
            guard count - offset >= 4 else { throw .truncated }
            let profile = buffer.rtpUInt16(at: offset)
            let length = 4 * Int(buffer.rtpUInt16(at: offset + 2))
            let bodyStart = offset + 4
            guard count - bodyStart >= length else { throw .extensionOverflow }
            if let form = RTPExtensionWalker.Form(profile: profile),
               let error = RTPExtensionWalker.walk(buffer, start: bodyStart, end: bodyStart + length,
                                                   form: form, { _, _, _ in false }) {
                throw error
            }
            extensionProfile = profile
            extensionOffset = bodyStart
            extensionLength = length
            offset = bodyStart + length
        } else {
            extensionProfile = 0
            extensionOffset = 0
            extensionLength = 0
        }

        var padding = 0
        if first & 0x20 != 0 {
            // RFC 3550 §5.1: the last byte counts the padding including itself, so it is at
            // least 1 and cannot reach into the header.
            guard count > offset else { throw .invalidPadding }
            padding = Int(buffer[count - 1])
            guard padding >= 1, padding <= count - offset else { throw .invalidPadding }
        }
        headerLength = offset
        payloadOffset = offset
        paddingLength = padding
        payloadLength = count - offset - padding
        packetLength = count
    }

    /// The CSRC at `index`, or nil if out of range or `buffer` is not the validated packet.
    public func csrc(at index: Int, in buffer: UnsafeRawBufferPointer) -> UInt32? {
        guard buffer.count == packetLength, index >= 0, index < csrcCount else { return nil }
        return buffer.rtpUInt32(at: RTPPacket.fixedHeaderLength + 4 * index)
    }

    /// The byte range of the value of the first RFC 8285 element with `id`, without
    /// allocating. Nil if absent, the extension is not RFC 8285, or `buffer` is not the
    /// packet this view validated.
    public func extensionRange(id: UInt8, in buffer: UnsafeRawBufferPointer) -> Range<Int>? {
        elementLocation(id: id, in: buffer)?.value
    }

    /// The payload's byte range (padding excluded).
    public var payloadRange: Range<Int> { payloadOffset..<(payloadOffset + payloadLength) }

    /// Finds an element and also reports where its id is stored (for id rewrites).
    func elementLocation(
        id: UInt8, in buffer: UnsafeRawBufferPointer
    ) -> (idOffset: Int, form: RTPExtensionWalker.Form, value: Range<Int>)? {
        guard id != 0, hasExtension, buffer.count == packetLength,
              let form = RTPExtensionWalker.Form(profile: extensionProfile)
        else { return nil }
        var found: Range<Int>?
        let error = RTPExtensionWalker.walk(
            buffer, start: extensionOffset, end: extensionOffset + extensionLength, form: form
        ) { elementID, start, length in
            guard elementID == id else { return false }
            found = start..<(start + length)
            return true
        }
        guard error == nil, let found else { return nil }
        return (found.lowerBound - (form == .oneByte ? 1 : 2), form, found)
    }
}

extension UnsafeRawBufferPointer {
    // Big-endian reads. Callers have checked `offset + width <= count`.
    @inline(__always)
    func rtpUInt16(at offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func rtpUInt32(at offset: Int) -> UInt32 {
        UInt32(rtpUInt16(at: offset)) << 16 | UInt32(rtpUInt16(at: offset + 2))
    }
}
