/// Opus packets that decode to digital silence, used to fill timeline gaps (mute, DTX,
/// unrecoverable loss) so an audio file is never shorter than the time it covers.
///
/// Each packet is a code-3 CBR packet (RFC 6716 section 3.2.5) of CELT fullband frames whose
/// payload `ff fe` sets the CELT silence flag (the range decoder's first symbol decodes as
/// 1), so every decoder outputs exact zeros for the frame's duration: 20 ms frames (config
/// 31) for the bulk and 2.5 ms frames (config 28) for the rest, at most 120 ms per packet.
public enum OpusSilence {
    /// The smallest gap that can be filled: one 2.5 ms frame.
    public static let granularity = 120
    /// CELT payload with the silence flag set.
    static let silentFrame: [UInt8] = [0xFF, 0xFE]

    /// Calls `body` with consecutive silence packets covering `samples` (48 kHz) rounded down
    /// to a multiple of 120 samples; returns the samples covered. `scratch` is reused.
    public static func packets(
        covering samples: Int, stereo: Bool, scratch: inout [UInt8],
        _ body: (UnsafeRawBufferPointer, Int) throws(RecorderError) -> Void
    ) throws(RecorderError) -> Int {
        var left = samples - samples % granularity
        let covered = left
        let stereoBit: UInt8 = stereo ? 0x04 : 0
        while left > 0 {
            let config: UInt8
            let frames: Int
            let frameSamples: Int
            if left >= 960 {
                config = 31
                frameSamples = 960
                frames = min(6, left / 960)
            } else {
                config = 28
                frameSamples = 120
                frames = left / 120  // at most 7
            }
            scratch.removeAll(keepingCapacity: true)
            scratch.append(config << 3 | stereoBit | 0x03)
            scratch.append(UInt8(frames))  // v=0 (CBR), p=0, M=frames
            for _ in 0..<frames { scratch += silentFrame }
            let duration = frames * frameSamples
            try withBytes(scratch) { bytes throws(RecorderError) in try body(bytes, duration) }
            left -= duration
        }
        return covered
    }
}
