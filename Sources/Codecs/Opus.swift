// libopus wrappers: 48 kHz, mono or stereo, interleaved Int16 PCM.
//
// Ownership: each instance owns one libopus state and frees it in deinit. The C pointer never
// leaves this file.
internal import COpus

/// Sample rate of every Opus stream we produce or consume (RTP clock rate for Opus is 48 kHz).
public let opusSampleRate = 48_000

private func opusMessage(_ code: Int32) -> String {
    guard let cString = opus_strerror(code) else { return "unknown error" }
    return String(cString: cString)
}

private func opusError(_ operation: String, _ code: Int32) -> OpusError {
    OpusError(operation: operation, code: code, message: opusMessage(code))
}

/// Largest Opus frame (120 ms at 48 kHz), in samples per channel.
private let opusMaxFrameSize = 5_760
/// Recommended maximum packet size from the libopus documentation.
private let opusMaxPacketBytes = 4_000

/// Opus encoder at 48 kHz.
///
/// Single owner: an instance is not safe to use from two threads at once. It is marked
/// `@unchecked Sendable` only so that it can be handed to (and then used by) one owner at a
/// time — an actor, a serial queue, or a task — which serializes every call.
public final class OpusEncoder: @unchecked Sendable {
    /// `OPUS_APPLICATION_*`.
    public enum Application: Sendable {
        /// Speech: favours intelligibility, enables voice-oriented processing.
        case voip
        /// Music and mixed content: favours fidelity to the input.
        case audio
        /// Lowest delay; disables the speech-optimised SILK mode.
        case restrictedLowDelay

        fileprivate var rawValue: Int32 {
            switch self {
            case .voip: 2048
            case .audio: 2049
            case .restrictedLowDelay: 2051
            }
        }
    }

    /// 20 ms at 48 kHz: the frame size `encode(pcm:)` is normally called with, per channel.
    public static let samplesPerChannelPer20ms = 960

    public let channels: Int
    public let application: Application
    /// Target bitrate in bit/s.
    public let bitrate: Int
    public let inbandFEC: Bool
    public let expectedPacketLossPercent: Int
    /// Encoder delay in samples at 48 kHz (`OPUS_GET_LOOKAHEAD`). This is the Ogg Opus
    /// "pre-skip": a decoder should discard this many samples per channel from the start.
    public let lookahead: Int
    /// `lookahead` as the 16-bit pre-skip field of an Ogg Opus identification header.
    public var preSkip: UInt16 { UInt16(clamping: lookahead) }

    private let state: OpaquePointer

    /// - Parameters:
    ///   - channels: 1 or 2.
    ///   - bitrate: target bitrate in bit/s (libopus accepts 500...512_000).
    ///   - inbandFEC: enable SILK in-band forward error correction (LBRR).
    ///   - expectedPacketLossPercent: 0...100. libopus only emits in-band FEC when this is
    ///     above zero; it also makes the encoder more loss-robust in general.
    public init(
        channels: Int = 1,
        application: Application = .voip,
        bitrate: Int = 32_000,
        inbandFEC: Bool = false,
        expectedPacketLossPercent: Int = 0
    ) throws(OpusError) {
        guard channels == 1 || channels == 2 else {
            throw OpusError(operation: "OpusEncoder.init", code: OpusError.badArgument,
                            message: "channels must be 1 or 2, got \(channels)")
        }
        guard (0...100).contains(expectedPacketLossPercent) else {
            throw OpusError(operation: "OpusEncoder.init", code: OpusError.badArgument,
                            message: "expectedPacketLossPercent must be 0...100, got \(expectedPacketLossPercent)")
        }
        var err: Int32 = 0
        guard let state = opus_encoder_create(Int32(opusSampleRate), Int32(channels), application.rawValue, &err),
              err == 0 else {
            throw opusError("opus_encoder_create", err == 0 ? OpusError.allocationFailure : err)
        }
        // From here on a throw must free `state` (deinit does not run for a failed init).
        var rc = sb_opus_encoder_set_bitrate(state, Int32(clamping: bitrate))
        if rc != 0 { opus_encoder_destroy(state); throw opusError("OPUS_SET_BITRATE(\(bitrate))", rc) }
        rc = sb_opus_encoder_set_inband_fec(state, inbandFEC ? 1 : 0)
        if rc != 0 { opus_encoder_destroy(state); throw opusError("OPUS_SET_INBAND_FEC", rc) }
        // libopus writes in-band FEC only when it expects loss.
        rc = sb_opus_encoder_set_packet_loss_perc(state, Int32(expectedPacketLossPercent))
        if rc != 0 { opus_encoder_destroy(state); throw opusError("OPUS_SET_PACKET_LOSS_PERC", rc) }
        var lookahead: Int32 = 0
        rc = sb_opus_encoder_get_lookahead(state, &lookahead)
        if rc != 0 { opus_encoder_destroy(state); throw opusError("OPUS_GET_LOOKAHEAD", rc) }

        self.state = state
        self.channels = channels
        self.application = application
        self.bitrate = bitrate
        self.inbandFEC = inbandFEC
        self.expectedPacketLossPercent = expectedPacketLossPercent
        self.lookahead = Int(lookahead)
    }

    deinit {
        opus_encoder_destroy(state)
    }

    /// Encodes one frame of interleaved PCM into one Opus packet.
    ///
    /// `pcm.count / channels` must be a legal Opus frame size at 48 kHz (120, 240, 480, 960,
    /// 1920 or 2880 samples per channel); 960 (20 ms) is what WebRTC uses.
    public func encode(pcm: [Int16]) throws(OpusError) -> [UInt8] {
        guard !pcm.isEmpty, pcm.count % channels == 0 else {
            throw OpusError(operation: "opus_encode", code: OpusError.badArgument,
                            message: "pcm.count (\(pcm.count)) must be a non-zero multiple of channels (\(channels))")
        }
        let frameSize = Int32(pcm.count / channels)
        var packet = [UInt8](repeating: 0, count: opusMaxPacketBytes)
        // Both buffers are non-empty (checked above / fixed size), so baseAddress is non-nil.
        let n = pcm.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBufferPointer { output in
                opus_encode(state, input.baseAddress!, frameSize, output.baseAddress!, Int32(output.count))
            }
        }
        guard n >= 0 else { throw opusError("opus_encode", n) }
        packet.removeSubrange(Int(n)...)
        return packet
    }
}

/// Opus decoder at 48 kHz producing interleaved Int16 PCM.
///
/// Single owner: an instance is not safe to use from two threads at once. It is marked
/// `@unchecked Sendable` only so that it can be handed to (and then used by) one owner at a
/// time — an actor, a serial queue, or a task — which serializes every call.
public final class OpusDecoder: @unchecked Sendable {
    public let channels: Int
    private let state: OpaquePointer

    /// Largest frame libopus decodes (120 ms), in samples per channel.
    public static let maxFrameSize = opusMaxFrameSize

    /// - Parameter channels: 1 or 2 (output layout; a mono stream decodes fine as stereo and vice versa).
    public init(channels: Int = 1) throws(OpusError) {
        guard channels == 1 || channels == 2 else {
            throw OpusError(operation: "OpusDecoder.init", code: OpusError.badArgument,
                            message: "channels must be 1 or 2, got \(channels)")
        }
        var err: Int32 = 0
        guard let state = opus_decoder_create(Int32(opusSampleRate), Int32(channels), &err), err == 0 else {
            throw opusError("opus_decoder_create", err == 0 ? OpusError.allocationFailure : err)
        }
        self.state = state
        self.channels = channels
    }

    deinit {
        opus_decoder_destroy(state)
    }

    /// Decodes one packet to interleaved PCM (`samplesPerChannel * channels` values).
    ///
    /// - Parameters:
    ///   - packet: an Opus packet, or `nil` (or empty) for a lost packet: libopus then
    ///     synthesizes `frameSize` samples per channel of packet-loss concealment.
    ///   - frameSize: samples per channel. For a real packet this is the capacity, which must be
    ///     at least the packet's duration (pass `OpusDecoder.maxFrameSize` to accept anything);
    ///     the result has the packet's actual duration. For loss it is the amount to
    ///     conceal and must be a multiple of 2.5 ms (120 samples).
    public func decode(packet: [UInt8]?, frameSize: Int = 960) throws(OpusError) -> [Int16] {
        try run("opus_decode", packet: packet, frameSize: frameSize, fec: false)
    }

    /// Recovers the packet *before* `packet` from the in-band FEC data carried in `packet`.
    ///
    /// Call this when packet N was lost and packet N+1 (`packet`) arrived, then decode packet
    /// N+1 normally with `decode(packet:)`. `frameSize` must be exactly the lost packet's
    /// duration per channel. If `packet` carries no FEC, libopus falls back to concealment.
    public func decodeFEC(packet: [UInt8], frameSize: Int = 960) throws(OpusError) -> [Int16] {
        guard !packet.isEmpty else {
            throw OpusError(operation: "opus_decode(fec)", code: OpusError.badArgument,
                            message: "FEC decoding needs the packet that follows the lost one")
        }
        return try run("opus_decode(fec)", packet: packet, frameSize: frameSize, fec: true)
    }

    private func run(_ operation: String, packet: [UInt8]?, frameSize: Int, fec: Bool) throws(OpusError) -> [Int16] {
        guard frameSize > 0, frameSize <= opusMaxFrameSize else {
            throw OpusError(operation: operation, code: OpusError.badArgument,
                            message: "frameSize must be 1...\(opusMaxFrameSize), got \(frameSize)")
        }
        var pcm = [Int16](repeating: 0, count: frameSize * channels)
        // `pcm` is non-empty (frameSize >= 1), so baseAddress is non-nil.
        let n: Int32 = pcm.withUnsafeMutableBufferPointer { buffer in
            let output = buffer.baseAddress!
            if let packet, !packet.isEmpty {
                guard packet.count <= Int(Int32.max) else { return OpusError.badArgument }
                return packet.withUnsafeBufferPointer { input in
                    opus_decode(state, input.baseAddress, Int32(input.count), output,
                                Int32(frameSize), fec ? 1 : 0)
                }
            }
            return opus_decode(state, nil, 0, output, Int32(frameSize), 0)
        }
        guard n >= 0 else { throw opusError(operation, n) }
        pcm.removeSubrange((Int(n) * channels)...)
        return pcm
    }
}
