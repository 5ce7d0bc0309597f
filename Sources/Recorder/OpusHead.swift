/// The Ogg Opus identification header (RFC 7845 section 5.1), also the Matroska `A_OPUS`
/// CodecPrivate. Only channel mapping family 0 (mono or stereo, what WebRTC sends).
///
///     "OpusHead" | version=1 | channels | pre-skip (LE16) | input rate (LE32)
///     | output gain (LE16, Q7.8 dB) | mapping family
public struct OpusHead: Sendable, Equatable {
    /// Output channels, 1 or 2.
    public var channels: UInt8
    /// Samples at 48 kHz to discard from the decoder output at the start (encoder delay).
    /// 312 is libopus' usual lookahead at 48 kHz; WebRTC senders do not signal theirs.
    public var preSkip: UInt16
    /// Sample rate of the original input, informational (0 = unspecified).
    public var inputSampleRate: UInt32
    /// Gain to apply on output, Q7.8 dB.
    public var outputGain: Int16

    /// The encoder delay most Opus encoders have (libopus at 48 kHz).
    public static let typicalPreSkip: UInt16 = 312
    /// Size of the serialized header for mapping family 0.
    public static let size = 19

    /// Creates a family-0 header. Throws `.invalidArgument` unless `channels` is 1 or 2.
    public init(channels: UInt8 = 2, preSkip: UInt16 = OpusHead.typicalPreSkip,
                inputSampleRate: UInt32 = 48_000, outputGain: Int16 = 0) throws(RecorderError) {
        guard channels == 1 || channels == 2 else {
            throw .invalidArgument("Opus mapping family 0 carries 1 or 2 channels, not \(channels)")
        }
        self.channels = channels
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        self.outputGain = outputGain
    }

    /// Parses a header (family 0 only).
    public init(parsing bytes: [UInt8]) throws(RecorderError) {
        guard bytes.count >= Self.size, Array(bytes[0..<8]) == Array("OpusHead".utf8) else {
            throw .malformedContainer("not an OpusHead")
        }
        guard bytes[8] & 0xF0 == 0 else { throw .malformedContainer("OpusHead version \(bytes[8])") }
        guard bytes[18] == 0 else { throw .malformedContainer("OpusHead mapping family \(bytes[18])") }
        try self.init(
            channels: bytes[9],
            preSkip: UInt16(bytes[10]) | UInt16(bytes[11]) << 8,
            inputSampleRate: UInt32(bytes[12]) | UInt32(bytes[13]) << 8 | UInt32(bytes[14]) << 16 | UInt32(bytes[15]) << 24,
            outputGain: Int16(bitPattern: UInt16(bytes[16]) | UInt16(bytes[17]) << 8))
    }

    /// The 19-byte header.
    public func serialized() -> [UInt8] {
        var out = Array("OpusHead".utf8)
        out.reserveCapacity(Self.size)
        out.append(1)
        out.append(channels)
        out.appendLittleEndian(UInt64(preSkip), bytes: 2)
        out.appendLittleEndian(UInt64(inputSampleRate), bytes: 4)
        out.appendLittleEndian(UInt64(UInt16(bitPattern: outputGain)), bytes: 2)
        out.append(0)
        return out
    }
}
