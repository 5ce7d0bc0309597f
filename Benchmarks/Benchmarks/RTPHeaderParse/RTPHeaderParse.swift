// RTPHeaderView on the forwarding path: validating a 1200-byte packet that carries RFC 8285
// one-byte header extensions (what browsers send: mid, abs-send-time, transport-wide-cc,
// audio level...), and finding one element's value without allocating.
//
// Each sample runs the operation `scalingFactor` (1000) times on the same packet, so the
// numbers are per packet; the packet is allocated once outside the measured closure.
import Benchmark
import RTP

func configuration() -> Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(60),
        maxIterations: 1000
    )
}

/// 1200 bytes: fixed header, one-byte extension block with four elements
/// (mid id 1 "0", abs-send-time id 2, transport-cc id 3, video-orientation id 4), payload.
func extensionPacket() -> [UInt8] {
    var packet: [UInt8] = [
        0x90, 96, 0x12, 0x34,      // V=2 X=1, PT 96, sequence number
        0x00, 0x01, 0x5F, 0x90,    // timestamp
        0x1A, 0x2B, 0x3C, 0x4D,    // SSRC
        0xBE, 0xDE, 0x00, 0x03,    // one-byte profile, 3 words
        0x10, 0x30,                // id 1 (mid), 1 byte: "0"
        0x22, 0x12, 0x34, 0x56,    // id 2 (abs-send-time), 3 bytes
        0x31, 0x00, 0x01,          // id 3 (transport-cc), 2 bytes
        0x40, 0x01,                // id 4 (video-orientation), 1 byte
        0x00,                      // padding to the word
    ]
    var x: UInt32 = 0x2545_F491
    while packet.count < 1200 {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        packet.append(UInt8(truncatingIfNeeded: x))
    }
    return packet
}

final class PacketBox: @unchecked Sendable {
    let buffer: UnsafeMutableRawBufferPointer
    init(_ bytes: [UInt8]) {
        buffer = .allocate(byteCount: bytes.count, alignment: 64)
        bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
    }
    deinit { buffer.deallocate() }
}

let benchmarks: @Sendable () -> Void = {
    Benchmark("RTPHeaderView validate (1200 B, 4 one-byte extensions)", configuration: configuration(),
              closure: { benchmark, box in
        let packet = UnsafeRawBufferPointer(box.buffer)
        for _ in benchmark.scaledIterations {
            do {
                let view = try RTPHeaderView(validating: packet)
                blackHole(view.payloadOffset)
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
    }, setup: { PacketBox(extensionPacket()) })

    Benchmark("RTPHeaderView validate + find transport-cc (id 3)", configuration: configuration(),
              closure: { benchmark, box in
        let packet = UnsafeRawBufferPointer(box.buffer)
        for _ in benchmark.scaledIterations {
            guard let view = try? RTPHeaderView(validating: packet),
                  let range = view.extensionRange(id: 3, in: packet) else {
                benchmark.error("transport-cc element not found")
                return
            }
            blackHole(range.lowerBound)
        }
    }, setup: { PacketBox(extensionPacket()) })
}
