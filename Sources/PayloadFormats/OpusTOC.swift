/// The Opus table-of-contents octet that starts every Opus packet (RFC 6716 section 3.1).
///
///      0 1 2 3 4 5 6 7
///     | config  |s| c |
///
/// Every one of the 256 values is a valid TOC, so construction cannot fail.
public struct OpusTOC: Sendable, Equatable {
    /// Coding mode (RFC 6716 section 3.1, table 2).
    public enum Mode: Sendable, Equatable {
        case silk, hybrid, celt
    }

    /// Audio bandwidth (RFC 6716 section 2, table 1).
    public enum Bandwidth: Sendable, Equatable {
        /// 4 kHz, 8 kHz sample rate.
        case narrowband
        /// 6 kHz, 12 kHz sample rate.
        case mediumband
        /// 8 kHz, 16 kHz sample rate.
        case wideband
        /// 12 kHz, 24 kHz sample rate.
        case superWideband
        /// 20 kHz, 48 kHz sample rate.
        case fullband
    }

    /// Longest packet duration allowed: 120 ms at 48 kHz (RFC 6716 section 3.2.5).
    public static let maxPacketDuration = 5760
    /// Longest frame allowed: 1275 octets (RFC 6716 section 3.2.1, requirement R2).
    public static let maxFrameLength = 1275

    /// The TOC octet.
    public var rawValue: UInt8

    /// Wraps a TOC octet.
    public init(_ rawValue: UInt8) {
        self.rawValue = rawValue
    }

    /// Reads the TOC from the first octet of `payload`; nil for an empty payload.
    public init?(payload: [UInt8]) {
        guard let first = payload.first else { return nil }
        self.init(first)
    }

    /// Configuration number, 0...31.
    public var config: UInt8 { rawValue >> 3 }
    /// s: stereo.
    public var isStereo: Bool { rawValue & 0x04 != 0 }
    /// c: frame count code, 0...3 (section 3.2).
    public var frameCountCode: UInt8 { rawValue & 0x03 }

    /// Mode implied by the configuration (0-11 SILK, 12-15 Hybrid, 16-31 CELT).
    public var mode: Mode {
        switch config {
        case 0...11: .silk
        case 12...15: .hybrid
        default: .celt
        }
    }

    /// Bandwidth implied by the configuration.
    public var bandwidth: Bandwidth {
        switch config {
        case 0...3: .narrowband
        case 4...7: .mediumband
        case 8...11: .wideband
        case 12...13: .superWideband
        case 14...15: .fullband
        case 16...19: .narrowband
        case 20...23: .wideband
        case 24...27: .superWideband
        default: .fullband
        }
    }

    /// Duration of one frame in 48 kHz samples: 480/960/1920/2880 (10/20/40/60 ms) for SILK,
    /// 480/960 for Hybrid, 120/240/480/960 (2.5/5/10/20 ms) for CELT.
    public var frameDuration: Int {
        switch mode {
        case .silk: [480, 960, 1920, 2880][Int(config & 0x3)]
        case .hybrid: [480, 960][Int(config & 0x1)]
        case .celt: [120, 240, 480, 960][Int(config & 0x3)]
        }
    }

    /// Number of frames in `payload`, validated against RFC 6716 section 3.4 requirements
    /// R1-R7 (lengths fit, CBR sizes divide evenly, at most 120 ms), or nil when malformed.
    public static func frameCount(of payload: UnsafeRawBufferPointer) -> Int? {
        guard let first = payload.first else { return nil }  // R1: at least one octet
        let toc = OpusTOC(first)
        let length = payload.count
        switch toc.frameCountCode {
        case 0:
            // R2: one frame of N-1 octets.
            return length - 1 <= maxFrameLength ? 1 : nil
        case 1:
            // R3: two equal frames, so N-1 is even.
            let body = length - 1
            return body % 2 == 0 && body / 2 <= maxFrameLength ? 2 : nil
        case 2:
            // R4: an explicit first-frame length, the second frame takes the rest.
            guard let (firstLength, used) = frameLength(payload, at: 1) else { return nil }
            let second = length - 1 - used - firstLength
            guard second >= 0, second <= maxFrameLength else { return nil }
            return 2
        default:
            return code3FrameCount(payload, toc: toc)
        }
    }

    /// Duration of `payload` in 48 kHz samples (frame count times frame duration), or nil
    /// when the packet is malformed or longer than 120 ms (RFC 6716 section 3.2.5).
    public static func packetDuration(of payload: UnsafeRawBufferPointer) -> Int? {
        guard let first = payload.first, let count = frameCount(of: payload) else { return nil }
        let duration = count * OpusTOC(first).frameDuration
        return duration <= maxPacketDuration ? duration : nil
    }

    /// Array convenience for `packetDuration(of:)`.
    public static func packetDuration(of payload: [UInt8]) -> Int? {
        payload.withUnsafeBytes { packetDuration(of: $0) }
    }

    /// Array convenience for `frameCount(of:)`.
    public static func frameCount(of payload: [UInt8]) -> Int? {
        payload.withUnsafeBytes { frameCount(of: $0) }
    }

    /// Code 3 (section 3.2.5): a frame count octet |v|p|  M  |, optional padding length,
    /// and for VBR (v=1) M-1 frame lengths.
    private static func code3FrameCount(_ payload: UnsafeRawBufferPointer, toc: OpusTOC) -> Int? {
        guard payload.count >= 2 else { return nil }  // R6/R7 need the frame count octet
        let countByte = payload[1]
        let isVBR = countByte & 0x80 != 0
        let hasPadding = countByte & 0x40 != 0
        let frames = Int(countByte & 0x3F)
        // R5: at least one frame and at most 120 ms of audio.
        guard frames >= 1, frames * toc.frameDuration <= maxPacketDuration else { return nil }
        var offset = 2
        var padding = 0
        if hasPadding {
            // Each 255 adds 254 octets and continues; any other value ends the sequence.
            while true {
                guard offset < payload.count else { return nil }
                let value = Int(payload[offset])
                offset += 1
                padding += value == 255 ? 254 : value
                if value != 255 { break }
            }
        }
        var available = payload.count - offset - padding
        guard available >= 0 else { return nil }
        if isVBR {
            // R7: M-1 explicit lengths; the last frame takes what remains.
            var explicitTotal = 0
            for _ in 0..<(frames - 1) {
                guard let (frameLength, used) = frameLength(payload, at: offset) else { return nil }
                offset += used
                available -= used
                explicitTotal += frameLength
            }
            let last = available - explicitTotal
            guard available >= 0, last >= 0, last <= maxFrameLength else { return nil }
        } else {
            // R6: M equal frames.
            guard available % frames == 0, available / frames <= maxFrameLength else { return nil }
        }
        return frames
    }

    /// Decodes a frame length (section 3.2.1): 0...251 in one octet, else
    /// 4*second + first in two. Returns the length and octets used, or nil if truncated
    /// or longer than 1275 octets.
    private static func frameLength(_ payload: UnsafeRawBufferPointer, at offset: Int) -> (Int, Int)? {
        guard offset < payload.count else { return nil }
        let first = Int(payload[offset])
        if first < 252 { return (first, 1) }
        guard offset + 1 < payload.count else { return nil }
        let length = 4 * Int(payload[offset + 1]) + first
        return length <= maxFrameLength ? (length, 2) : nil
    }
}
