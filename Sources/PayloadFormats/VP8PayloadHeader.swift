/// The VP8 payload header: the first three octets of a frame, i.e. of the bytes after the
/// descriptor in a packet with S=1 and PID=0 (RFC 7741 section 4.3; the frame tag of
/// RFC 6386 section 9.1).
///
///      0 1 2 3 4 5 6 7
///     |Size0|H| VER |P|    Size1    |    Size2    |
///
/// P is the inverse key frame flag: 0 means keyframe. The 19-bit size is that of the first
/// partition, little-endian (Size0 + 8*Size1 + 2048*Size2).
public struct VP8PayloadHeader: Sendable, Equatable {
    /// P=0.
    public var isKeyframe: Bool
    /// VER: the bitstream version / reconstruction filter profile (0...3 in practice).
    public var version: UInt8
    /// H: show_frame.
    public var showFrame: Bool
    /// First partition size in octets.
    public var firstPartitionSize: UInt32

    /// Parses the three-octet header at the start of `frame`.
    public init(parsing frame: UnsafeRawBufferPointer) throws(VP8Error) {
        guard frame.count >= 3 else { throw .truncated }
        let tag = UInt32(frame[0]) | UInt32(frame[1]) << 8 | UInt32(frame[2]) << 16
        isKeyframe = tag & 0x1 == 0
        version = UInt8((tag >> 1) & 0x7)
        showFrame = (tag >> 4) & 0x1 != 0
        firstPartitionSize = tag >> 5
    }
}

/// The keyframe header that follows the frame tag (RFC 6386 section 9.1): the start code
/// 9d 01 2a, then two little-endian 16-bit fields of a 14-bit dimension and a 2-bit scale.
public struct VP8KeyframeDimensions: Sendable, Equatable {
    /// Frame width in pixels (14 bits).
    public var width: Int
    /// Frame height in pixels (14 bits).
    public var height: Int
    /// Horizontal upscaling code (0 = none, 1 = 5/4, 2 = 5/3, 3 = 2).
    public var horizontalScale: UInt8
    /// Vertical upscaling code.
    public var verticalScale: UInt8

    /// Creates dimensions.
    public init(width: Int, height: Int, horizontalScale: UInt8 = 0, verticalScale: UInt8 = 0) {
        self.width = width
        self.height = height
        self.horizontalScale = horizontalScale
        self.verticalScale = verticalScale
    }

    /// Parses dimensions from a frame starting with the frame tag. Throws `.notKeyframe`
    /// for interframes or a wrong start code, `.truncated` when fewer than 10 octets.
    public init(parsingFrame frame: UnsafeRawBufferPointer) throws(VP8Error) {
        let header = try VP8PayloadHeader(parsing: frame)
        guard header.isKeyframe else { throw .notKeyframe }
        guard frame.count >= 10 else { throw .truncated }
        guard frame[3] == 0x9D, frame[4] == 0x01, frame[5] == 0x2A else { throw .notKeyframe }
        let horizontal = UInt16(frame[6]) | UInt16(frame[7]) << 8
        let vertical = UInt16(frame[8]) | UInt16(frame[9]) << 8
        width = Int(horizontal & 0x3FFF)
        height = Int(vertical & 0x3FFF)
        horizontalScale = UInt8(horizontal >> 14)
        verticalScale = UInt8(vertical >> 14)
    }

    /// Appends the start code and dimension fields (7 octets) for building test frames.
    public func write(into out: inout [UInt8]) {
        let horizontal = UInt16(width & 0x3FFF) | UInt16(horizontalScale & 0x3) << 14
        let vertical = UInt16(height & 0x3FFF) | UInt16(verticalScale & 0x3) << 14
        out += [0x9D, 0x01, 0x2A,
                UInt8(truncatingIfNeeded: horizontal), UInt8(truncatingIfNeeded: horizontal >> 8),
                UInt8(truncatingIfNeeded: vertical), UInt8(truncatingIfNeeded: vertical >> 8)]
    }
}

extension VP8PayloadDescriptor {
    /// Whether an RTP payload starts a keyframe: S=1, PID=0, and P=0 in the payload header
    /// octet following the descriptor (RFC 7741 section 4.3). False for any malformed payload.
    public static func isKeyframeStart(_ payload: UnsafeRawBufferPointer) -> Bool {
        guard let descriptor = try? VP8PayloadDescriptor(parsing: payload),
              descriptor.isFrameStart,
              descriptor.headerSize < payload.count
        else { return false }
        return payload[descriptor.headerSize] & 0x01 == 0
    }

    /// Array convenience for `isKeyframeStart(_:)`.
    public static func isKeyframeStart(_ payload: [UInt8]) -> Bool {
        payload.withUnsafeBytes { isKeyframeStart($0) }
    }

    /// The keyframe dimensions when an RTP payload starts a keyframe, else nil.
    public static func keyframeDimensions(_ payload: UnsafeRawBufferPointer) -> VP8KeyframeDimensions? {
        guard isKeyframeStart(payload),
              let descriptor = try? VP8PayloadDescriptor(parsing: payload)
        else { return nil }
        let frame = UnsafeRawBufferPointer(rebasing: payload[descriptor.headerSize...])
        return try? VP8KeyframeDimensions(parsingFrame: frame)
    }

    /// Array convenience for `keyframeDimensions(_:)`.
    public static func keyframeDimensions(_ payload: [UInt8]) -> VP8KeyframeDimensions? {
        payload.withUnsafeBytes { keyframeDimensions($0) }
    }
}
