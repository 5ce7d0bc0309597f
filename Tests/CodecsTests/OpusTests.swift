import Foundation
import XCTest
@testable import Codecs

final class OpusTests: XCTestCase {
    private let frame = OpusEncoder.samplesPerChannelPer20ms

    /// `seconds` of a sine at `frequency` Hz, 48 kHz, interleaved over `channels`.
    private func sine(frequency: Double, seconds: Double, amplitude: Double = 12_000, channels: Int = 1) -> [Int16] {
        let count = Int(Double(opusSampleRate) * seconds)
        var out = [Int16]()
        out.reserveCapacity(count * channels)
        for n in 0..<count {
            let s = Int16(amplitude * sin(2 * Double.pi * frequency * Double(n) / Double(opusSampleRate)))
            for _ in 0..<channels { out.append(s) }
        }
        return out
    }

    /// Goertzel power of `samples` at `frequency` Hz, normalized by length.
    private func goertzel(_ samples: ArraySlice<Int16>, frequency: Double) -> Double {
        let w = 2 * Double.pi * frequency / Double(opusSampleRate)
        let coeff = 2 * cos(w)
        var s1 = 0.0, s2 = 0.0
        for x in samples {
            let s0 = Double(x) + coeff * s1 - s2
            s2 = s1
            s1 = s0
        }
        let power = s1 * s1 + s2 * s2 - coeff * s1 * s2
        return power / Double(samples.count * samples.count)
    }

    /// Normalized correlation of `a[i]` with `b[i + lag]` over `range` of `a`.
    private func correlation(_ a: [Int16], _ b: [Int16], lag: Int, range: Range<Int>) -> Double {
        var ab = 0.0, aa = 0.0, bb = 0.0
        for i in range where i + lag >= 0 && i + lag < b.count {
            let x = Double(a[i]), y = Double(b[i + lag])
            ab += x * y; aa += x * x; bb += y * y
        }
        guard aa > 0, bb > 0 else { return 0 }
        return ab / (aa * bb).squareRoot()
    }

    private func roundTrip(_ pcm: [Int16], channels: Int, encoder: OpusEncoder, decoder: OpusDecoder) throws -> (decoded: [Int16], packets: [[UInt8]]) {
        var decoded: [Int16] = []
        var packets: [[UInt8]] = []
        let step = frame * channels
        for start in stride(from: 0, to: pcm.count, by: step) {
            let packet = try encoder.encode(pcm: Array(pcm[start..<(start + step)]))
            XCTAssertFalse(packet.isEmpty)
            XCTAssertLessThanOrEqual(packet.count, 1_275)
            packets.append(packet)
            let out = try decoder.decode(packet: packet, frameSize: frame)
            XCTAssertEqual(out.count, step)
            decoded += out
        }
        return (decoded, packets)
    }

    func testSineRoundTripMono() throws {
        for application in [OpusEncoder.Application.voip, .audio] {
            let source = sine(frequency: 440, seconds: 1)
            let encoder = try OpusEncoder(channels: 1, application: application, bitrate: 48_000)
            let decoder = try OpusDecoder(channels: 1)
            XCTAssertGreaterThan(encoder.lookahead, 0)
            XCTAssertLessThan(encoder.lookahead, 960)
            XCTAssertEqual(Int(encoder.preSkip), encoder.lookahead)

            let (decoded, packets) = try roundTrip(source, channels: 1, encoder: encoder, decoder: decoder)
            XCTAssertEqual(packets.count, 50)
            XCTAssertEqual(decoded.count, source.count)

            // Shifted by the codec delay the output should line up with the input.
            let range = 4_800..<40_000
            let aligned = correlation(source, decoded, lag: encoder.lookahead, range: range)
            XCTAssertGreaterThan(aligned, 0.9, "\(application): correlation at lookahead \(encoder.lookahead) = \(aligned)")
            // Half a period off, the tone is in anti-phase: the delay really is `lookahead`.
            XCTAssertLessThan(correlation(source, decoded, lag: encoder.lookahead + 55, range: range), -0.8)
            // Without the shift the comparison is clearly worse than with it.
            XCTAssertLessThan(correlation(source, decoded, lag: 0, range: range), aligned - 0.1)

            // 440 Hz dominates the spectrum of the decoded tail.
            let tail = decoded[9_600..<48_000]
            let at440 = goertzel(tail, frequency: 440)
            for other in [220.0, 330.0, 880.0, 1_000.0, 3_000.0] {
                XCTAssertGreaterThan(at440, 100 * goertzel(tail, frequency: other), "\(application): \(other) Hz")
            }
        }
    }

    func testStereoRoundTrip() throws {
        let source = sine(frequency: 440, seconds: 0.2, channels: 2)
        let encoder = try OpusEncoder(channels: 2, application: .audio, bitrate: 96_000)
        let decoder = try OpusDecoder(channels: 2)
        let (decoded, packets) = try roundTrip(source, channels: 2, encoder: encoder, decoder: decoder)
        XCTAssertEqual(packets.count, 10)
        XCTAssertEqual(decoded.count, source.count)
        let left = stride(from: 0, to: decoded.count, by: 2).map { decoded[$0] }
        XCTAssertGreaterThan(goertzel(left[2_400...], frequency: 440), 100 * goertzel(left[2_400...], frequency: 1_000))
    }

    func testOtherFrameSizesAndCapacity() throws {
        let encoder = try OpusEncoder(channels: 1, application: .audio)
        let decoder = try OpusDecoder(channels: 1)
        let packet = try encoder.encode(pcm: Array(sine(frequency: 440, seconds: 0.06)))  // 60 ms, 2880 samples
        // Capacity larger than the packet: the result has the packet's duration.
        XCTAssertEqual(try decoder.decode(packet: packet, frameSize: OpusDecoder.maxFrameSize).count, 2_880)
        // Capacity too small: libopus's error surfaces as OpusError.
        XCTAssertThrowsError(try decoder.decode(packet: packet, frameSize: 960)) { error in
            XCTAssertEqual((error as? OpusError)?.code, OpusError.bufferTooSmall)
        }
    }

    func testPacketLossConcealment() throws {
        let source = sine(frequency: 440, seconds: 0.2)
        let encoder = try OpusEncoder()
        let decoder = try OpusDecoder()
        _ = try roundTrip(source, channels: 1, encoder: encoder, decoder: decoder)
        let concealed = try decoder.decode(packet: nil, frameSize: 960)
        XCTAssertEqual(concealed.count, 960)
        XCTAssertTrue(concealed.contains { $0 != 0 }, "PLC after a tone should continue it, not emit silence")
        XCTAssertEqual(try decoder.decode(packet: [], frameSize: 480).count, 480)
        // A fresh decoder can also conceal (silence).
        XCTAssertEqual(try OpusDecoder(channels: 2).decode(packet: nil).count, 1_920)
    }

    func testInBandFEC() throws {
        // Speech-like: a harmonic source with a wandering pitch and syllabic envelope, so
        // SILK's voice activity detector fires (it only codes FEC for active speech) and
        // plain concealment cannot predict the lost frame.
        var source = [Int16]()
        var phase = 0.0
        var noise: UInt32 = 12_345
        for n in 0..<(48_000 / 2) {
            let t = Double(n) / 48_000
            let f0 = 140 + 50 * sin(2 * Double.pi * 3 * t)
            phase += 2 * Double.pi * f0 / 48_000
            var v = 0.0
            for k in 1...12 { v += sin(Double(k) * phase) / Double(k) * (k == 3 || k == 4 ? 2 : 1) }
            let envelope = 0.3 + 0.7 * abs(sin(2 * Double.pi * 4 * t))
            noise = noise &* 1_664_525 &+ 1_013_904_223
            let hiss = Double(Int32(bitPattern: noise) >> 16) / 32_768 * 0.05
            source.append(Int16(clamping: Int(4_000 * envelope * (v + hiss))))
        }
        let encoder = try OpusEncoder(channels: 1, application: .voip, bitrate: 32_000,
                                      inbandFEC: true, expectedPacketLossPercent: 20)
        var packets: [[UInt8]] = []
        for start in stride(from: 0, to: source.count, by: frame) {
            packets.append(try encoder.encode(pcm: Array(source[start..<(start + frame)])))
        }
        let lost = 15

        // Reference: everything received.
        let reference = try OpusDecoder()
        var clean: [Int16] = []
        for p in packets[...lost] { clean = try reference.decode(packet: p) }

        // Lost packet recovered from FEC in the next one.
        let withFEC = try OpusDecoder()
        for p in packets[..<lost] { _ = try withFEC.decode(packet: p) }
        let recovered = try withFEC.decodeFEC(packet: packets[lost + 1], frameSize: frame)
        XCTAssertEqual(recovered.count, frame)
        XCTAssertEqual(try withFEC.decode(packet: packets[lost + 1]).count, frame)

        // Same loss, plain concealment.
        let plc = try OpusDecoder()
        for p in packets[..<lost] { _ = try plc.decode(packet: p) }
        let concealed = try plc.decode(packet: nil, frameSize: frame)
        XCTAssertEqual(concealed.count, frame)

        let fecScore = correlation(clean, recovered, lag: 0, range: 0..<frame)
        let plcScore = correlation(clean, concealed, lag: 0, range: 0..<frame)
        XCTAssertGreaterThan(fecScore, 0.8, "FEC recovery correlates \(fecScore), PLC \(plcScore)")
        XCTAssertGreaterThan(fecScore, plcScore)
        XCTAssertThrowsError(try withFEC.decodeFEC(packet: []))
    }

    func testInvalidPacketThrows() throws {
        let decoder = try OpusDecoder()
        // Code-3 packet declaring zero frames, and a code-1 packet with an odd payload.
        for bad: [UInt8] in [[0x03, 0x00], [0x01, 0x00, 0x00, 0x00]] {
            XCTAssertThrowsError(try decoder.decode(packet: bad)) { error in
                guard let error = error as? OpusError else { return XCTFail("not an OpusError: \(error)") }
                XCTAssertEqual(error.code, OpusError.invalidPacket)
                XCTAssertFalse(error.message.isEmpty)
                XCTAssertTrue(error.description.contains("opus_decode"))
            }
        }
        // Arbitrary garbage: either an error or some PCM, never a crash.
        var rng = SystemRandomNumberGenerator()
        for length in 1...64 {
            let junk = (0..<length).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
            if let pcm = try? decoder.decode(packet: junk, frameSize: OpusDecoder.maxFrameSize) {
                XCTAssertEqual(pcm.count % 120, 0)
            }
        }
    }

    func testEncoderArgumentErrors() throws {
        XCTAssertThrowsError(try OpusEncoder(channels: 3))
        XCTAssertThrowsError(try OpusDecoder(channels: 0))
        XCTAssertThrowsError(try OpusEncoder(expectedPacketLossPercent: 101))
        XCTAssertThrowsError(try OpusEncoder(bitrate: -5)) { error in
            XCTAssertEqual((error as? OpusError)?.code, OpusError.badArgument)
        }
        let encoder = try OpusEncoder(channels: 2)
        XCTAssertThrowsError(try encoder.encode(pcm: []))
        XCTAssertThrowsError(try encoder.encode(pcm: [Int16](repeating: 0, count: 961)))  // not a multiple of 2
        XCTAssertThrowsError(try encoder.encode(pcm: [Int16](repeating: 0, count: 200))) { error in
            XCTAssertEqual((error as? OpusError)?.code, OpusError.badArgument)  // 100 samples: not a legal size
        }
        XCTAssertThrowsError(try OpusDecoder().decode(packet: nil, frameSize: 0))
    }
}
