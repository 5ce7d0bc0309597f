/// The VP8 payload descriptor at the start of every VP8 RTP payload (RFC 7741 section 4.2).
///
///           0 1 2 3 4 5 6 7
///          +-+-+-+-+-+-+-+-+
///          |X|R|N|S|R| PID |  (required)
///          +-+-+-+-+-+-+-+-+
///     X:   |I|L|T|K| RSV   |  (optional)
///     I:   |M| PictureID   |  (optional; 7 bits, or 15 bits over two octets when M=1)
///          |   PictureID   |
///     L:   |   TL0PICIDX   |  (optional)
///     T/K: |TID|Y| KEYIDX  |  (optional; present when T or K is set)
///
/// The struct holds no arrays, so parsing from an `UnsafeRawBufferPointer` does not allocate.
public struct VP8PayloadDescriptor: Sendable, Equatable {
    /// N: the frame can be discarded without affecting other frames.
    public var nonReference: Bool
    /// S: the packet starts a VP8 partition.
    public var startOfPartition: Bool
    /// PID: partition index, 0...7.
    public var partitionIndex: UInt8
    /// Picture ID (I bit), nil when absent.
    public var pictureID: UInt16?
    /// M bit: the picture ID is 15 bits (two octets) rather than 7. Ignored when `pictureID` is nil.
    public var pictureIDIs15Bit: Bool
    /// TL0PICIDX (L bit), nil when absent.
    public var tl0PicIdx: UInt8?
    /// TID, 0...3 (T bit), nil when absent.
    public var temporalLayerID: UInt8?
    /// Y: layer sync; only meaningful (and only written) when `temporalLayerID` is present.
    public var layerSync: Bool
    /// KEYIDX, 0...31 (K bit), nil when absent.
    public var keyIndex: UInt8?
    /// X=1 with none of I/L/T/K set: legal but empty; remembered so `headerSize` is exact.
    private var emptyExtension: Bool

    /// Creates a descriptor. The X bit and the T/K octet follow from the optional fields.
    public init(
        nonReference: Bool = false, startOfPartition: Bool = true, partitionIndex: UInt8 = 0,
        pictureID: UInt16? = nil, pictureIDIs15Bit: Bool = true, tl0PicIdx: UInt8? = nil,
        temporalLayerID: UInt8? = nil, layerSync: Bool = false, keyIndex: UInt8? = nil
    ) {
        self.nonReference = nonReference
        self.startOfPartition = startOfPartition
        self.partitionIndex = partitionIndex
        self.pictureID = pictureID
        self.pictureIDIs15Bit = pictureIDIs15Bit
        self.tl0PicIdx = tl0PicIdx
        self.temporalLayerID = temporalLayerID
        self.layerSync = layerSync
        self.keyIndex = keyIndex
        self.emptyExtension = false
    }

    /// Compares what the wire carries: the M bit is ignored without a picture ID, and Y
    /// without a TID, since neither is encoded then.
    public static func == (lhs: VP8PayloadDescriptor, rhs: VP8PayloadDescriptor) -> Bool {
        lhs.nonReference == rhs.nonReference
            && lhs.startOfPartition == rhs.startOfPartition
            && lhs.partitionIndex == rhs.partitionIndex
            && lhs.pictureID == rhs.pictureID
            && (lhs.pictureID == nil || lhs.pictureIDIs15Bit == rhs.pictureIDIs15Bit)
            && lhs.tl0PicIdx == rhs.tl0PicIdx
            && lhs.temporalLayerID == rhs.temporalLayerID
            && (lhs.temporalLayerID == nil || lhs.layerSync == rhs.layerSync)
            && lhs.keyIndex == rhs.keyIndex
            && lhs.extended == rhs.extended
    }

    /// X: the extension octet is present.
    public var extended: Bool {
        emptyExtension || pictureID != nil || tl0PicIdx != nil || temporalLayerID != nil || keyIndex != nil
    }

    /// Length of the descriptor in octets (1...6); the VP8 payload starts at this offset.
    public var headerSize: Int {
        guard extended else { return 1 }
        var size = 2
        if pictureID != nil { size += pictureIDIs15Bit ? 2 : 1 }
        if tl0PicIdx != nil { size += 1 }
        if temporalLayerID != nil || keyIndex != nil { size += 1 }
        return size
    }

    /// True when this packet starts a frame: S=1 and PID=0 (RFC 7741 section 4.4).
    public var isFrameStart: Bool { startOfPartition && partitionIndex == 0 }

    /// Parses the descriptor at the start of an RTP payload.
    public init(parsing payload: [UInt8]) throws(VP8Error) {
        // withUnsafeBytes only rethrows untyped errors, so carry the typed one in a Result.
        let result = payload.withUnsafeBytes { buffer in
            Result { () throws(VP8Error) in try VP8PayloadDescriptor(parsing: buffer) }
        }
        self = try result.get()
    }

    /// Parses the descriptor at the start of an RTP payload, without allocating.
    public init(parsing payload: UnsafeRawBufferPointer) throws(VP8Error) {
        var offset = 0
        func next() throws(VP8Error) -> UInt8 {
            guard offset < payload.count else { throw .truncated }
            defer { offset += 1 }
            return payload[offset]
        }
        let first = try next()
        self.init(nonReference: first & 0x20 != 0, startOfPartition: first & 0x10 != 0,
                  partitionIndex: first & 0x07)
        guard first & 0x80 != 0 else { return }
        let extensionBits = try next()
        if extensionBits & 0x80 != 0 {
            let high = try next()
            if high & 0x80 != 0 {
                pictureIDIs15Bit = true
                pictureID = UInt16(high & 0x7F) << 8 | UInt16(try next())
            } else {
                pictureIDIs15Bit = false
                pictureID = UInt16(high)
            }
        }
        if extensionBits & 0x40 != 0 { tl0PicIdx = try next() }
        let hasT = extensionBits & 0x20 != 0
        let hasK = extensionBits & 0x10 != 0
        if hasT || hasK {
            let tk = try next()
            if hasT {
                temporalLayerID = tk >> 6
                layerSync = tk & 0x20 != 0
            }
            if hasK { keyIndex = tk & 0x1F }
        }
        emptyExtension = extensionBits & 0xF0 == 0
    }

    /// Appends the encoded descriptor to `out`. Throws `.invalidValue` when a field exceeds
    /// its width (PID > 7, 7-bit picture ID > 127, 15-bit > 32767, TID > 3, KEYIDX > 31).
    public func write(into out: inout [UInt8]) throws(VP8Error) {
        guard partitionIndex <= 7 else { throw .invalidValue }
        if let pictureID, pictureID > (pictureIDIs15Bit ? 0x7FFF : 0x7F) { throw .invalidValue }
        if let temporalLayerID, temporalLayerID > 3 { throw .invalidValue }
        if let keyIndex, keyIndex > 31 { throw .invalidValue }
        var first = partitionIndex
        if extended { first |= 0x80 }
        if nonReference { first |= 0x20 }
        if startOfPartition { first |= 0x10 }
        out.append(first)
        guard extended else { return }
        var extensionBits: UInt8 = 0
        if pictureID != nil { extensionBits |= 0x80 }
        if tl0PicIdx != nil { extensionBits |= 0x40 }
        if temporalLayerID != nil { extensionBits |= 0x20 }
        if keyIndex != nil { extensionBits |= 0x10 }
        out.append(extensionBits)
        if let pictureID {
            if pictureIDIs15Bit {
                out.append(0x80 | UInt8(pictureID >> 8))
                out.append(UInt8(truncatingIfNeeded: pictureID))
            } else {
                out.append(UInt8(pictureID))
            }
        }
        if let tl0PicIdx { out.append(tl0PicIdx) }
        if temporalLayerID != nil || keyIndex != nil {
            var tk: UInt8 = 0
            if let temporalLayerID {
                tk |= temporalLayerID << 6
                if layerSync { tk |= 0x20 }
            }
            if let keyIndex { tk |= keyIndex }
            out.append(tk)
        }
    }

    /// The encoded descriptor.
    public func serialized() throws(VP8Error) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(headerSize)
        try write(into: &out)
        return out
    }
}
