import Foundation
import Recorder

/// A fixture stream of fixtures/recorder (real Opus / VP8 RTP made with libopus and libvpx by
/// scripts/make-recorder-fixtures.py): its packets in send order.
struct Fixture {
    struct Packet {
        var sequence: UInt16
        var timestamp: UInt32
        var marker: Bool
        /// Send time from the stream's first packet.
        var offset: Int64
        var payload: [UInt8]
    }

    let codec: RecorderCodec
    let payloadType: UInt8
    /// The stream's length: one loop of it (timestamps and send times advance by this).
    let period: Int64
    let packets: [Packet]

    static func load(_ name: String) throws -> Fixture {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var codec = RecorderCodec.opus, payloadType: UInt8 = 0, period: Int64 = 0, start = 0
        var packets: [Packet] = []
        for line in text.split(separator: "\n") {
            guard let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { continue }
            switch object["kind"] as? String {
            case "stream":
                codec = object["codec"] as? String == "vp8" ? .vp8 : .opus
                payloadType = UInt8(object["payload_type"] as! Int)
                period = Int64(object["duration_ms"] as! Int) * 1_000_000
                start = object["start_ms"] as! Int
            case "rtp":
                packets.append(Packet(sequence: UInt16(object["seq"] as! Int), timestamp: UInt32((object["ts"] as! NSNumber).uint64Value),
                                      marker: (object["marker"] as! Int) != 0,
                                      offset: Int64((object["send_ms"] as! Int) - start) * 1_000_000,
                                      payload: hex(object["payload"] as! String)))
            default:
                break
            }
        }
        return Fixture(codec: codec, payloadType: payloadType, period: period, packets: packets)
    }

    /// fixtures/recorder, found from this file's location upwards (or the working directory).
    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("fixtures/recorder")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "fixtures/recorder")
    }()

    private static func hex(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        var high: UInt8?
        for c in text.utf8 {
            let v: UInt8 = c >= 97 ? c - 87 : (c >= 65 ? c - 55 : c - 48)
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}

/// A fixture played in a loop as one endless live stream: sequence numbers and timestamps
/// continue across loops (the VP8 fixture starts with a keyframe, so every loop decodes), under
/// an SSRC of its own, starting `start` nanoseconds into the run.
struct LoopedStream {
    let fixture: Fixture
    let ssrc: UInt32
    let start: Int64
    private(set) var index = 0
    private let ticksPerLoop: UInt32
    private var buffer: [UInt8]

    init(_ fixture: Fixture, ssrc: UInt32, start: Int64) {
        self.fixture = fixture
        self.ssrc = ssrc
        self.start = start
        ticksPerLoop = UInt32(fixture.period * Int64(fixture.codec.clockRate) / 1_000_000_000)
        buffer = [UInt8](repeating: 0, count: 12 + (fixture.packets.map(\.payload.count).max() ?? 0) + 32)
    }

    /// When the next packet is due (nanoseconds into the run).
    var nextDue: Int64 {
        let (loop, i) = index.quotientAndRemainder(dividingBy: fixture.packets.count)
        return start + Int64(loop) * fixture.period + fixture.packets[i].offset
    }

    /// The RTP timestamp of media time `t` (nanoseconds into the stream), for sender reports.
    func rtpTimestamp(at t: Int64) -> UInt32 {
        fixture.packets[0].timestamp &+ UInt32(truncatingIfNeeded: t * Int64(fixture.codec.clockRate) / 1_000_000_000)
    }

    /// Builds the next packet (RFC 3550 header, no extensions) and passes it to `body`.
    mutating func next<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let (loop, i) = index.quotientAndRemainder(dividingBy: fixture.packets.count)
        index += 1
        let p = fixture.packets[i]
        let sequence = p.sequence &+ UInt16(truncatingIfNeeded: loop * fixture.packets.count)
        let timestamp = p.timestamp &+ UInt32(truncatingIfNeeded: loop) &* ticksPerLoop
        let length = 12 + p.payload.count
        buffer[0] = 0x80
        buffer[1] = (p.marker ? 0x80 : 0) | fixture.payloadType
        buffer[2] = UInt8(sequence >> 8); buffer[3] = UInt8(sequence & 0xFF)
        for k in 0..<4 {
            buffer[4 + k] = UInt8(truncatingIfNeeded: timestamp >> UInt32(24 - 8 * k))
            buffer[8 + k] = UInt8(truncatingIfNeeded: ssrc >> UInt32(24 - 8 * k))
        }
        buffer.replaceSubrange(12..<length, with: p.payload)
        return try buffer.withUnsafeBytes { try body(UnsafeRawBufferPointer(rebasing: $0[0..<length])) }
    }

    /// Like `next`, into a caller's buffer with room behind the packet (SRTP's tag): returns its length.
    mutating func next(into out: UnsafeMutableRawBufferPointer) -> Int {
        next { packet in
            out.copyMemory(from: packet)
            return packet.count
        }
    }
}
