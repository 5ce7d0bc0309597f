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

    /// One loop of video, starting with a keyframe; 30 fps.
    let video: [Frame]
    /// One loop of 20 ms Opus packets.
    let audio: [[UInt8]]
    let videoBitrateKbps: Int

    static let videoFrameInterval: Int64 = 1_000_000_000 / 30
    static let audioFrameInterval: Int64 = 20_000_000
    /// Leaves room for SRTP's trailer and header extensions under a 1200-byte path MTU.
    static let maxPayload = 1100

    /// `seconds` of 640x360 video at `videoBitrateKbps` (a keyframe every loop), and 1 s of Opus.
    static func make(videoBitrateKbps: Int = 1500, seconds: Int = 2) throws -> EncodedMedia {
        let width = 640, height = 360, frames = 30 * seconds
        let encoder = try VP8Encoder(width: width, height: height, fps: 30, targetBitrateKbps: videoBitrateKbps,
                                     keyframeInterval: frames, errorResilient: true, cpuUsed: -8)
        var video: [Frame] = []
        var seed: UInt32 = 12345
        for index in 0..<frames {
            let picture = try syntheticPicture(width: width, height: height, index: index, seed: &seed,
                                               noisyBlocks: max(1, videoBitrateKbps / 90))
            for encoded in try encoder.encode(i420: picture, forceKeyframe: index == 0) {
                video.append(Frame(payloads: packetizeVP8(encoded.data), isKeyframe: encoded.isKeyframe))
            }
        }
        for encoded in try encoder.flush() {
            video.append(Frame(payloads: packetizeVP8(encoded.data), isKeyframe: encoded.isKeyframe))
        }

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
        return EncodedMedia(video: video, audio: audio, videoBitrateKbps: videoBitrateKbps)
    }

    /// Measured bitrate of one video loop, in kbit/s (payload bytes only).
    var measuredVideoKbps: Double {
        let bytes = video.reduce(0) { $0 + $1.payloads.reduce(0) { $0 + $1.count } }
        return Double(bytes * 8) / (Double(video.count) / 30) / 1000
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
