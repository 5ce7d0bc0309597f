import Foundation
import RTP
import XCTest
@testable import Recorder

/// One packet of a fixture stream (fixtures/recorder/*.jsonl, made by
/// scripts/make-recorder-fixtures.py).
struct FixturePacket {
    var sequence: UInt16
    var timestamp: UInt32
    var marker: Bool
    var sendMilliseconds: Int
    var payload: [UInt8]
}

/// A fixture stream: header fields, sender reports and packets in send order.
struct FixtureStream {
    var codec: String
    var clockRate: Int
    var payloadType: UInt8
    var ssrc: UInt32
    var frames: Int
    var durationMilliseconds: Int
    var startMilliseconds: Int
    var width = 0
    var height = 0
    var senderReports: [(ntp: UInt64, rtp: UInt32)] = []
    var packets: [FixturePacket] = []

    static let directory: URL = {
        var url = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while url.path != "/" {
            let candidate = url.appendingPathComponent("fixtures/recorder")
            if FileManager.default.fileExists(atPath: candidate.path) { return candidate }
            url.deleteLastPathComponent()
        }
        return URL(fileURLWithPath: "fixtures/recorder")
    }()

    static func load(_ name: String) throws -> FixtureStream {
        let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
        var stream = FixtureStream(codec: "", clockRate: 0, payloadType: 0, ssrc: 0, frames: 0,
                                   durationMilliseconds: 0, startMilliseconds: 0)
        for line in text.split(separator: "\n") {
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            switch object["kind"] as? String {
            case "stream":
                stream.codec = object["codec"] as! String
                stream.clockRate = object["clock_rate"] as! Int
                stream.payloadType = UInt8(object["payload_type"] as! Int)
                stream.ssrc = UInt32(object["ssrc"] as! Int)
                stream.frames = object["frames"] as! Int
                stream.durationMilliseconds = object["duration_ms"] as! Int
                stream.startMilliseconds = object["start_ms"] as! Int
                stream.width = object["width"] as? Int ?? 0
                stream.height = object["height"] as? Int ?? 0
            case "sr":
                let ntp = (object["ntp"] as! NSNumber).uint64Value
                stream.senderReports.append((ntp, UInt32((object["rtp"] as! NSNumber).uint64Value)))
            case "rtp":
                stream.packets.append(FixturePacket(
                    sequence: UInt16(object["seq"] as! Int), timestamp: UInt32((object["ts"] as! NSNumber).uint64Value),
                    marker: (object["marker"] as! Int) != 0, sendMilliseconds: object["send_ms"] as! Int,
                    payload: hexBytes(object["payload"] as! String)))
            default:
                break
            }
        }
        return stream
    }

    static func hexBytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.utf8.count / 2)
        var high: UInt8?
        for c in hex.utf8 {
            let v: UInt8 = c >= 97 ? c - 87 : (c >= 65 ? c - 55 : c - 48)
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }

    /// The stream as wire packets, with sequence numbers and timestamps shifted so that
    /// they start at `firstSequence` / `firstTimestamp` (to force wrap-around).
    func rtpPackets(firstSequence: UInt16? = nil, firstTimestamp: UInt32? = nil, ssrc: UInt32? = nil) -> [(bytes: [UInt8], sendNanos: Int64)] {
        let sequenceShift = firstSequence.map { $0 &- packets[0].sequence } ?? 0
        let timestampShift = firstTimestamp.map { $0 &- packets[0].timestamp } ?? 0
        return packets.map { p in
            let packet = RTPPacket(marker: p.marker, payloadType: payloadType, sequenceNumber: p.sequence &+ sequenceShift,
                                   timestamp: p.timestamp &+ timestampShift, ssrc: ssrc ?? self.ssrc, payload: p.payload)
            return (packet.serialized(), Int64(p.sendMilliseconds) * 1_000_000)
        }
    }

    /// The sender reports shifted like `rtpPackets(firstTimestamp:)`.
    func shiftedReports(firstTimestamp: UInt32?) -> [(ntp: UInt64, rtp: UInt32)] {
        let shift = firstTimestamp.map { $0 &- packets[0].timestamp } ?? 0
        return senderReports.map { ($0.ntp, $0.rtp &+ shift) }
    }
}

/// A deterministic random number generator (SplitMix64) for loss and reordering patterns.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A simulated network path: drops `loss` of the packets and delays some by up to
/// `reorderDelay`, returning (packet, arrival) in arrival order.
func simulateNetwork(
    _ packets: [(bytes: [UInt8], sendNanos: Int64)], loss: Double, reorderFraction: Double = 0,
    reorderDelay: Int64 = 40_000_000, baseDelay: Int64 = 20_000_000, seed: UInt64 = 42
) -> (delivered: [(bytes: [UInt8], arrival: Int64)], dropped: [Int]) {
    var rng = SeededGenerator(seed: seed)
    var out: [(bytes: [UInt8], arrival: Int64)] = []
    var dropped: [Int] = []
    for (index, packet) in packets.enumerated() {
        if Double.random(in: 0..<1, using: &rng) < loss {
            dropped.append(index)
            continue
        }
        var arrival = packet.sendNanos + baseDelay
        if Double.random(in: 0..<1, using: &rng) < reorderFraction { arrival += Int64.random(in: 1...reorderDelay, using: &rng) }
        out.append((packet.bytes, arrival))
    }
    out.sort { $0.arrival < $1.arrival }
    return (out, dropped)
}

/// A block read back from a WebM file.
struct WebMBlock {
    var track: UInt8
    var time: Int64
    var keyframe: Bool
    var data: [UInt8]
}

/// A minimal Matroska reader for tests: top-level elements, tracks, clusters and blocks.
struct WebMFile {
    var bytes: [UInt8]
    var docType = ""
    var segmentSize: Int?
    var segmentDataStart = 0
    var durationMilliseconds: Double?
    var clusterOffsets: [Int] = []
    var clusterSizes: [Int?] = []
    var clusterTimestamps: [Int64] = []
    var blocks: [WebMBlock] = []
    var cues: [(time: Int64, track: UInt8, position: Int)] = []
    var seekEntries: [UInt32: Int] = [:]
    var trackCodecs: [UInt8: String] = [:]
    var pixelSize: (Int, Int)?
    var codecPrivate: [UInt8]?
    var codecDelay: UInt64?
    var level1: [UInt32] = []

    init(_ bytes: [UInt8]) throws {
        self.bytes = bytes
        let ebml = try XCTUnwrap(EBMLReader.header(in: bytes, at: 0))
        XCTAssertEqual(ebml.id, MatroskaID.ebml)
        try walk(from: ebml.dataOffset, to: ebml.dataOffset + ebml.size!) { child in
            if child.id == MatroskaID.docType { docType = String(decoding: bytes[child.dataOffset..<(child.dataOffset + child.size!)], as: UTF8.self) }
        }
        let segment = try XCTUnwrap(EBMLReader.header(in: bytes, at: ebml.dataOffset + ebml.size!))
        XCTAssertEqual(segment.id, MatroskaID.segment)
        segmentSize = segment.size
        segmentDataStart = segment.dataOffset
        var offset = segment.dataOffset
        while offset < bytes.count, let header = EBMLReader.header(in: bytes, at: offset) {
            level1.append(header.id)
            if header.id == MatroskaID.cluster {
                clusterOffsets.append(offset)
                clusterSizes.append(header.size)
                offset = readCluster(header)
                continue
            }
            guard let size = header.size, header.dataOffset + size <= bytes.count else { break }
            let end = header.dataOffset + size
            switch header.id {
            case MatroskaID.info:
                try walk(from: header.dataOffset, to: end) { child in
                    if child.id == MatroskaID.duration { durationMilliseconds = EBMLReader.float(bytes, at: child.dataOffset, length: child.size!) }
                }
            case MatroskaID.seekHead:
                try walk(from: header.dataOffset, to: end) { seek in
                    guard seek.id == MatroskaID.seek else { return }
                    var id: UInt32 = 0
                    var position = 0
                    try walk(from: seek.dataOffset, to: seek.dataOffset + seek.size!) { field in
                        if field.id == MatroskaID.seekID { id = UInt32(EBMLReader.uint(bytes, at: field.dataOffset, length: field.size!)) }
                        if field.id == MatroskaID.seekPosition { position = Int(EBMLReader.uint(bytes, at: field.dataOffset, length: field.size!)) }
                    }
                    seekEntries[id] = position
                }
            case MatroskaID.tracks:
                try walk(from: header.dataOffset, to: end) { entry in
                    var number: UInt8 = 0
                    var codec = ""
                    try walk(from: entry.dataOffset, to: entry.dataOffset + entry.size!) { field in
                        switch field.id {
                        case MatroskaID.trackNumber: number = UInt8(EBMLReader.uint(bytes, at: field.dataOffset, length: field.size!))
                        case MatroskaID.codecID: codec = String(decoding: bytes[field.dataOffset..<(field.dataOffset + field.size!)], as: UTF8.self)
                        case MatroskaID.codecPrivate: codecPrivate = Array(bytes[field.dataOffset..<(field.dataOffset + field.size!)])
                        case MatroskaID.codecDelay: codecDelay = EBMLReader.uint(bytes, at: field.dataOffset, length: field.size!)
                        case MatroskaID.video:
                            var width = 0, height = 0
                            try walk(from: field.dataOffset, to: field.dataOffset + field.size!) { v in
                                if v.id == MatroskaID.pixelWidth { width = Int(EBMLReader.uint(bytes, at: v.dataOffset, length: v.size!)) }
                                if v.id == MatroskaID.pixelHeight { height = Int(EBMLReader.uint(bytes, at: v.dataOffset, length: v.size!)) }
                            }
                            pixelSize = (width, height)
                        default: break
                        }
                    }
                    trackCodecs[number] = codec
                }
            case MatroskaID.cues:
                try walk(from: header.dataOffset, to: end) { point in
                    var time: Int64 = 0
                    var track: UInt8 = 0
                    var position = 0
                    try walk(from: point.dataOffset, to: point.dataOffset + point.size!) { field in
                        if field.id == MatroskaID.cueTime { time = Int64(EBMLReader.uint(bytes, at: field.dataOffset, length: field.size!)) }
                        if field.id == MatroskaID.cueTrackPositions {
                            try walk(from: field.dataOffset, to: field.dataOffset + field.size!) { p in
                                if p.id == MatroskaID.cueTrack { track = UInt8(EBMLReader.uint(bytes, at: p.dataOffset, length: p.size!)) }
                                if p.id == MatroskaID.cueClusterPosition { position = Int(EBMLReader.uint(bytes, at: p.dataOffset, length: p.size!)) }
                            }
                        }
                    }
                    cues.append((time, track, position))
                }
            default:
                break
            }
            offset = end
        }
    }

    private mutating func readCluster(_ header: EBMLElementHeader) -> Int {
        let limit = header.size.map { min(bytes.count, header.dataOffset + $0) } ?? bytes.count
        var offset = header.dataOffset
        var clusterTime: Int64 = 0
        while offset < limit, let child = EBMLReader.header(in: bytes, at: offset) {
            if MatroskaID.topLevel.contains(child.id) { break }
            guard let size = child.size, child.dataOffset + size <= limit else { return bytes.count }
            if child.id == MatroskaID.timestamp {
                clusterTime = Int64(EBMLReader.uint(bytes, at: child.dataOffset, length: size))
                clusterTimestamps.append(clusterTime)
            }
            if child.id == MatroskaID.simpleBlock {
                let track = bytes[child.dataOffset] & 0x7F
                let relative = Int16(bitPattern: UInt16(bytes[child.dataOffset + 1]) << 8 | UInt16(bytes[child.dataOffset + 2]))
                let flags = bytes[child.dataOffset + 3]
                blocks.append(WebMBlock(track: track, time: clusterTime + Int64(relative), keyframe: flags & 0x80 != 0,
                                        data: Array(bytes[(child.dataOffset + 4)..<(child.dataOffset + size)])))
            }
            offset = child.dataOffset + size
        }
        return offset
    }

    private func walk(from start: Int, to end: Int, _ body: (EBMLElementHeader) throws -> Void) throws {
        var offset = start
        while offset < end {
            let header = try XCTUnwrap(EBMLReader.header(in: bytes, at: offset), "element at \(offset)")
            let size = try XCTUnwrap(header.size)
            try body(header)
            offset = header.dataOffset + size
        }
    }
}
