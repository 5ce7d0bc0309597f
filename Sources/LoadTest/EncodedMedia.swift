import Codecs
import Foundation

/// Real VP8 and Opus, encoded once before the run with libvpx and libopus, then sent in a loop
/// at their real rates: what a camera and microphone publish, without an encoder per publisher
/// eating the machine the load runs on.
struct EncodedMedia: Sendable {
    struct Frame: Sendable {
        /// RTP payloads of the frame, in order (VP8: payload descriptor + partition bytes).
        let payloads: [[UInt8]]
        let isKeyframe: Bool
    }

    /// One encoding of the camera: the only one, or one simulcast layer.
    struct VideoLayer: Sendable {
        /// The RID (RFC 8851) it is sent with; nil without simulcast.
        let rid: String?
        let width: Int
        let height: Int
        /// One loop, starting with a keyframe.
        let frames: [Frame]
        /// Nanoseconds from one frame to the next (30 fps unless a file says otherwise).
        var frameInterval: Int64 = EncodedMedia.videoFrameInterval

        /// RTP timestamp step per frame (90 kHz clock).
        var timestampStep: UInt32 { UInt32(truncatingIfNeeded: (frameInterval * 90_000 + 500_000_000) / 1_000_000_000) }
        var framesPerSecond: Double { 1e9 / Double(frameInterval) }

        /// Measured bitrate of one loop, in kbit/s (payload bytes only).
        var measuredKbps: Double {
            let bytes = frames.reduce(0) { $0 + $1.payloads.reduce(0) { $0 + $1.count } }
            return Double(bytes * 8) / (Double(frames.count) / framesPerSecond) / 1000
        }
    }

    /// Lowest layer first; one layer without simulcast.
    let videoLayers: [VideoLayer]
    /// One loop of 20 ms Opus packets.
    let audio: [[UInt8]]

    static let videoFrameInterval: Int64 = 1_000_000_000 / 30
    static let audioFrameInterval: Int64 = 20_000_000
    /// Leaves room for SRTP's trailer and header extensions under a 1200-byte path MTU.
    static let maxPayload = 1100
    /// Simulcast layers as LiveKit's SDKs name them (quarter, half and full resolution), with
    /// their share of the top layer's bitrate (about the SDKs' presets for 360p).
    static let simulcastLayers: [(rid: String, scale: Int, bitrateShare: Double)] = [("q", 4, 0.1), ("h", 2, 0.3), ("f", 1, 1)]

    /// `seconds` of 640x360 video at `videoBitrateKbps` (a keyframe every loop), and 1 s of Opus.
    /// `simulcast`: three layers (q 160x90, h 320x180, f 640x360 at `videoBitrateKbps`), each a
    /// loop of its own with the same frame timing.
    static func make(videoBitrateKbps: Int = 1500, seconds: Double = 2, simulcast: Bool = false) throws -> EncodedMedia {
        EncodedMedia(videoLayers: try makeVideo(videoBitrateKbps: videoBitrateKbps, seconds: seconds, simulcast: simulcast),
                     audio: try makeAudio())
    }

    /// The run's media: from files where given (one IVF per video layer, with simulcast three,
    /// lowest first, sent as q/h/f; an Ogg Opus file), the rest made here. Files are checked
    /// before anything is encoded. Made video loops `loopSeconds` long: one keyframe per loop.
    static func load(videoFiles: [String], audioFile: String?, simulcast: Bool, videoBitrateKbps: Int,
                     loopSeconds: Double = 2) throws -> EncodedMedia {
        var layers: [VideoLayer] = []
        if !videoFiles.isEmpty {
            guard videoFiles.count == (simulcast ? simulcastLayers.count : 1) else {
                throw MediaFileError.invalid(simulcast ? "--simulcast takes three --video-file, lowest layer first"
                                                       : "give one --video-file (three with --simulcast)")
            }
            layers = try videoFiles.enumerated().map { index, path in
                try MediaFiles.vp8Layer(ivf: MediaFiles.read(path), name: path, rid: simulcast ? simulcastLayers[index].rid : nil)
            }
            if zip(layers, layers.dropFirst()).contains(where: { $0.width * $0.height >= $1.width * $1.height }) {
                throw MediaFileError.invalid("--video-file layers must grow in size, lowest first: \(layers.map { "\($0.width)x\($0.height)" })")
            }
        }
        let audio = try audioFile.map { try MediaFiles.opusPackets(ogg: MediaFiles.read($0), name: $0) } ?? makeAudio()
        if layers.isEmpty { layers = try makeVideo(videoBitrateKbps: videoBitrateKbps, seconds: loopSeconds, simulcast: simulcast) }
        return EncodedMedia(videoLayers: layers, audio: audio)
    }

    private static func makeVideo(videoBitrateKbps: Int, seconds: Double, simulcast: Bool) throws -> [VideoLayer] {
        let frames = max(1, Int((30 * seconds).rounded()))
        let plan: [(rid: String?, scale: Int, bitrateShare: Double)] = simulcast
            ? simulcastLayers.map { ($0.rid, $0.scale, $0.bitrateShare) } : [(nil, 1, 1)]
        return try plan.map { layer in
            try encodeVideo(rid: layer.rid, width: 640 / layer.scale, height: 360 / layer.scale,
                            kbps: max(30, Int(Double(videoBitrateKbps) * layer.bitrateShare)), frames: frames)
        }
    }

    /// 1 s of a two-tone chord, 20 ms packets.
    private static func makeAudio() throws -> [[UInt8]] {
        let opus = try OpusEncoder(channels: 2, application: .audio, bitrate: 48_000)
        var audio: [[UInt8]] = []
        for packet in 0..<50 {
            var pcm = [Int16](repeating: 0, count: OpusEncoder.samplesPerChannelPer20ms * 2)
            for i in 0..<OpusEncoder.samplesPerChannelPer20ms {
                let t = Double(packet * OpusEncoder.samplesPerChannelPer20ms + i) / 48_000
                let sample = Int16(8000 * sin(2 * Double.pi * 440 * t) + 3000 * sin(2 * Double.pi * 1320 * t))
                pcm[2 * i] = sample
                pcm[2 * i + 1] = sample
            }
            audio.append(try opus.encode(pcm: pcm))
        }
        return audio
    }

    /// Measured bitrate of all video layers together, in kbit/s.
    var measuredVideoKbps: Double { videoLayers.reduce(0) { $0 + $1.measuredKbps } }

    private static func encodeVideo(rid: String?, width: Int, height: Int, kbps: Int, frames: Int) throws -> VideoLayer {
        let encoder = try VP8Encoder(width: width, height: height, fps: 30, targetBitrateKbps: kbps,
                                     keyframeInterval: frames, errorResilient: true, cpuUsed: -8)
        var video: [Frame] = []
        var seed: UInt32 = 12345
        for index in 0..<frames {
            let picture = try syntheticPicture(width: width, height: height, index: index, seed: &seed,
                                               noisyBlocks: max(1, kbps / 90))
            for encoded in try encoder.encode(i420: picture, forceKeyframe: index == 0) {
                video.append(Frame(payloads: packetizeVP8(encoded.data), isKeyframe: encoded.isKeyframe))
            }
        }
        for encoded in try encoder.flush() {
            video.append(Frame(payloads: packetizeVP8(encoded.data), isKeyframe: encoded.isKeyframe))
        }
        return VideoLayer(rid: rid, width: width, height: height, frames: video)
    }

    /// RFC 7741 §4.2: a one-byte payload descriptor (S=1 on the frame's first packet, PID 0)
    /// before each chunk of the frame.
    static func packetizeVP8(_ frame: [UInt8]) -> [[UInt8]] {
        let chunk = maxPayload - 1
        var payloads: [[UInt8]] = []
        var offset = 0
        while offset < frame.count {
            let end = min(frame.count, offset + chunk)
            payloads.append([offset == 0 ? 0x10 : 0x00] + frame[offset..<end])
            offset = end
        }
        return payloads
    }

    /// A moving gradient with moving noisy blocks: enough detail that the encoder spends its
    /// target bitrate, as camera video does. Noise cannot be compressed below a floor whatever
    /// the quantizer, so the number of noisy blocks follows the target (16 for 1.5 Mbit/s).
    static func syntheticPicture(width: Int, height: Int, index: Int, seed: inout UInt32, noisyBlocks: Int = 24) throws -> I420Frame {
        var y = [UInt8](repeating: 0, count: width * height)
        for row in 0..<height {
            for column in 0..<width {
                y[row * width + column] = UInt8(truncatingIfNeeded: (column + row + index * 4) & 0xFF)
            }
        }
        for block in 0..<noisyBlocks {
            let bx = (block * 97 + index * 5) % (width - 32), by = (block * 53 + index * 3) % (height - 32)
            for row in by..<(by + 32) {
                for column in bx..<(bx + 32) {
                    seed = seed &* 1_664_525 &+ 1_013_904_223
                    y[row * width + column] = UInt8(truncatingIfNeeded: seed >> 24)
                }
            }
        }
        let chroma = ((width + 1) / 2) * ((height + 1) / 2)
        let u = [UInt8](repeating: UInt8(truncatingIfNeeded: 96 + index % 64), count: chroma)
        let v = [UInt8](repeating: 160, count: chroma)
        return try I420Frame(width: width, height: height, y: y, u: u, v: v)
    }
}
