import XCTest
@testable import PayloadFormats

struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class VP8PayloadDescriptorTests: XCTestCase {
    /// Hand-assembled descriptors (RFC 7741 section 4.2 layout) and their expected parse.
    static let vectors: [([UInt8], VP8PayloadDescriptor)] = [
        ([0x10], VP8PayloadDescriptor(startOfPartition: true)),
        ([0x27], VP8PayloadDescriptor(nonReference: true, startOfPartition: false, partitionIndex: 7)),
        ([0x90, 0x80, 0x12], VP8PayloadDescriptor(pictureID: 0x12, pictureIDIs15Bit: false)),
        ([0x90, 0x80, 0x81, 0x23], VP8PayloadDescriptor(pictureID: 0x0123)),
        ([0x90, 0x40, 0x07], VP8PayloadDescriptor(tl0PicIdx: 7)),
        ([0x90, 0x20, 0xA0], VP8PayloadDescriptor(temporalLayerID: 2, layerSync: true)),
        ([0x90, 0x10, 0x1F], VP8PayloadDescriptor(keyIndex: 31)),
        ([0x90, 0xE0, 0xFF, 0xFF, 0x05, 0x60],
         VP8PayloadDescriptor(pictureID: 0x7FFF, tl0PicIdx: 5, temporalLayerID: 1, layerSync: true)),
        ([0xB1, 0xF0, 0x7F, 0xFE, 0xC3],
         VP8PayloadDescriptor(nonReference: true, partitionIndex: 1, pictureID: 0x7F, pictureIDIs15Bit: false,
                              tl0PicIdx: 0xFE, temporalLayerID: 3, keyIndex: 3)),
    ]

    func testVectorsParseAndSerialize() throws {
        for (bytes, expected) in Self.vectors {
            let parsed = try VP8PayloadDescriptor(parsing: bytes)
            XCTAssertEqual(parsed, expected, "\(bytes)")
            XCTAssertEqual(parsed.headerSize, bytes.count)
            XCTAssertEqual(try expected.serialized(), bytes)
            // Same answer from the raw-buffer entry point with payload bytes after it.
            let withPayload = bytes + [0xAA, 0xBB]
            XCTAssertEqual(try withPayload.withUnsafeBytes { try VP8PayloadDescriptor(parsing: $0) }, expected)
        }
    }

    func testEmptyExtensionOctetIsKept() throws {
        let parsed = try VP8PayloadDescriptor(parsing: [0x90, 0x00])
        XCTAssertTrue(parsed.extended)
        XCTAssertEqual(parsed.headerSize, 2)
        XCTAssertEqual(try parsed.serialized(), [0x90, 0x00])
    }

    func testKOnlyIgnoresTIDBits() throws {
        let parsed = try VP8PayloadDescriptor(parsing: [0x90, 0x10, 0xE5])
        XCTAssertNil(parsed.temporalLayerID)
        XCTAssertFalse(parsed.layerSync)
        XCTAssertEqual(parsed.keyIndex, 5)
    }

    func testEveryOptionalFieldCombinationRoundTrips() throws {
        for mask in 0..<32 {
            let descriptor = VP8PayloadDescriptor(
                nonReference: mask & 1 != 0, startOfPartition: mask & 2 != 0, partitionIndex: UInt8(mask % 8),
                pictureID: mask & 1 != 0 ? (mask & 16 != 0 ? 0x5A5A : 0x5A) : nil,
                pictureIDIs15Bit: mask & 16 != 0,
                tl0PicIdx: mask & 2 != 0 ? 0xAB : nil,
                temporalLayerID: mask & 4 != 0 ? 2 : nil, layerSync: mask & 4 != 0,
                keyIndex: mask & 8 != 0 ? 17 : nil)
            let bytes = try descriptor.serialized()
            XCTAssertEqual(bytes.count, descriptor.headerSize)
            XCTAssertEqual(try VP8PayloadDescriptor(parsing: bytes), descriptor, "mask \(mask)")
        }
    }

    func testTruncationAtEveryLength() {
        for (bytes, _) in Self.vectors {
            for length in 0..<bytes.count {
                XCTAssertThrowsError(try VP8PayloadDescriptor(parsing: Array(bytes[..<length]))) {
                    XCTAssertEqual($0 as? VP8Error, .truncated)
                }
            }
        }
    }

    func testSerializationRejectsOutOfRangeFields() {
        XCTAssertThrowsError(try VP8PayloadDescriptor(pictureID: 128, pictureIDIs15Bit: false).serialized())
        XCTAssertThrowsError(try VP8PayloadDescriptor(pictureID: 0x8000).serialized())
        XCTAssertThrowsError(try VP8PayloadDescriptor(partitionIndex: 8).serialized())
        XCTAssertThrowsError(try VP8PayloadDescriptor(temporalLayerID: 4).serialized())
        XCTAssertThrowsError(try VP8PayloadDescriptor(keyIndex: 32).serialized())
    }

    func testRewritePictureIDKeepsSize() throws {
        var short: [UInt8] = [0x90, 0xC0, 0x12, 0x09, 0x77]
        try VP8PayloadDescriptor.rewritePictureID(200, in: &short)  // 200 mod 128 = 72
        XCTAssertEqual(short, [0x90, 0xC0, 72, 0x09, 0x77])
        var long: [UInt8] = [0x90, 0xC0, 0x81, 0x23, 0x09, 0x77]
        try VP8PayloadDescriptor.rewritePictureID(0x7FFF &+ 5, in: &long)  // wraps to 4
        XCTAssertEqual(long, [0x90, 0xC0, 0x80, 0x04, 0x09, 0x77])
        try VP8PayloadDescriptor.rewritePictureID(0x1234, in: &long)
        XCTAssertEqual(try VP8PayloadDescriptor(parsing: long).pictureID, 0x1234)
        var none: [UInt8] = [0x10, 0x00]
        XCTAssertThrowsError(try VP8PayloadDescriptor.rewritePictureID(1, in: &none)) {
            XCTAssertEqual($0 as? VP8Error, .fieldAbsent)
        }
    }

    func testRewriteTL0PicIdx() throws {
        var withID: [UInt8] = [0x90, 0xC0, 0x81, 0x23, 0x09, 0x77]
        try VP8PayloadDescriptor.rewriteTL0PicIdx(0xEE, in: &withID)
        XCTAssertEqual(withID, [0x90, 0xC0, 0x81, 0x23, 0xEE, 0x77])
        var withoutID: [UInt8] = [0x90, 0x40, 0x09, 0x77]
        try VP8PayloadDescriptor.rewriteTL0PicIdx(1, in: &withoutID)
        XCTAssertEqual(withoutID, [0x90, 0x40, 0x01, 0x77])
        var absent: [UInt8] = [0x90, 0x80, 0x05]
        XCTAssertThrowsError(try VP8PayloadDescriptor.rewriteTL0PicIdx(1, in: &absent)) {
            XCTAssertEqual($0 as? VP8Error, .fieldAbsent)
        }
        var truncated: [UInt8] = [0x90, 0x40]
        XCTAssertThrowsError(try VP8PayloadDescriptor.rewriteTL0PicIdx(1, in: &truncated)) {
            XCTAssertEqual($0 as? VP8Error, .truncated)
        }
    }

    func testRandomMutationsNeverTrap() {
        var rng = SeededGenerator(seed: 3)
        let seeds = Self.vectors.map(\.0) + [VP8KeyframeTests.keyframePayload]
        for _ in 0..<10_000 {
            var bytes = seeds.randomElement(using: &rng)!
            for _ in 0..<Int.random(in: 1...4, using: &rng) where !bytes.isEmpty {
                let index = Int.random(in: 0..<bytes.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: bytes[index] = UInt8.random(in: 0...255, using: &rng)
                case 1: bytes.removeSubrange(index...)
                default: bytes.insert(UInt8.random(in: 0...255, using: &rng), at: index)
                }
            }
            if let parsed = try? VP8PayloadDescriptor(parsing: bytes) {
                XCTAssertLessThanOrEqual(parsed.headerSize, bytes.count)
            }
            _ = VP8PayloadDescriptor.isKeyframeStart(bytes)
            _ = VP8PayloadDescriptor.keyframeDimensions(bytes)
            var copy = bytes
            _ = try? VP8PayloadDescriptor.rewritePictureID(UInt16.random(in: 0...UInt16.max, using: &rng), in: &copy)
            _ = try? VP8PayloadDescriptor.rewriteTL0PicIdx(7, in: &copy)
            XCTAssertEqual(copy.count, bytes.count)
        }
    }
}
