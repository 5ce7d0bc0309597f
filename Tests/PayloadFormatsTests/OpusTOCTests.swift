import XCTest
@testable import PayloadFormats

final class OpusTOCTests: XCTestCase {
    /// RFC 6716 section 3.1, table 2.
    func testAllThirtyTwoConfigs() {
        typealias B = OpusTOC.Bandwidth
        let expected: [(OpusTOC.Mode, B, [Int])] = [
            (.silk, .narrowband, [480, 960, 1920, 2880]),
            (.silk, .mediumband, [480, 960, 1920, 2880]),
            (.silk, .wideband, [480, 960, 1920, 2880]),
            (.hybrid, .superWideband, [480, 960]),
            (.hybrid, .fullband, [480, 960]),
            (.celt, .narrowband, [120, 240, 480, 960]),
            (.celt, .wideband, [120, 240, 480, 960]),
            (.celt, .superWideband, [120, 240, 480, 960]),
            (.celt, .fullband, [120, 240, 480, 960]),
        ]
        var config: UInt8 = 0
        for (mode, bandwidth, durations) in expected {
            for duration in durations {
                for stereo in [false, true] {
                    for code in UInt8(0)...3 {
                        let toc = OpusTOC(config << 3 | (stereo ? 4 : 0) | code)
                        XCTAssertEqual(toc.config, config)
                        XCTAssertEqual(toc.mode, mode, "config \(config)")
                        XCTAssertEqual(toc.bandwidth, bandwidth, "config \(config)")
                        XCTAssertEqual(toc.frameDuration, duration, "config \(config)")
                        XCTAssertEqual(toc.isStereo, stereo)
                        XCTAssertEqual(toc.frameCountCode, code)
                    }
                }
                config += 1
            }
        }
        XCTAssertEqual(config, 32)
    }

    func testCode0() {
        XCTAssertNil(OpusTOC.packetDuration(of: []))
        XCTAssertEqual(OpusTOC.packetDuration(of: [0x78]), 960)  // config 15: Hybrid FB 20 ms
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xF8, 1, 2, 3]), 960)  // config 31: CELT FB 20 ms
        XCTAssertEqual(OpusTOC.packetDuration(of: [0x18] + [UInt8](repeating: 0, count: 100)), 2880)  // SILK NB 60 ms
        XCTAssertEqual(OpusTOC.frameCount(of: [0xF8] + [UInt8](repeating: 0, count: 1275)), 1)
        XCTAssertNil(OpusTOC.frameCount(of: [0xF8] + [UInt8](repeating: 0, count: 1276)))
    }

    func testCode1() {
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xF9, 1, 2, 3, 4]), 1920)
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xF9]), 1920)  // two empty frames
        XCTAssertNil(OpusTOC.packetDuration(of: [0xF9, 1, 2, 3]))  // odd: frames cannot be equal
        XCTAssertEqual(OpusTOC.packetDuration(of: [0x19, 0, 0]), 5760)  // 2 x 60 ms = 120 ms
    }

    func testCode2() {
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xFA, 2, 0xA, 0xB, 0xC]), 1920)
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xFA, 0]), 1920)
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFA]))  // missing length
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFA, 5, 1, 2]))  // first frame overruns
        // Two-octet length: 252 + 4*1 = 256.
        XCTAssertEqual(OpusTOC.frameCount(of: [0xFA, 252, 1] + [UInt8](repeating: 0, count: 256)), 2)
        XCTAssertNil(OpusTOC.frameCount(of: [0xFA, 252]))  // second length octet missing
        // The largest two-octet length is 4*255 + 255 = 1275; the second frame may not exceed it.
        XCTAssertEqual(OpusTOC.frameCount(of: [0xFA, 255, 255] + [UInt8](repeating: 0, count: 2550)), 2)
        XCTAssertNil(OpusTOC.frameCount(of: [0xFA, 0] + [UInt8](repeating: 0, count: 1276)))
    }

    func testCode3() {
        // CBR, 3 frames of 2 octets, 20 ms each.
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xFB, 0x03, 1, 2, 3, 4, 5, 6]), 2880)
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x03, 1, 2, 3, 4, 5]))  // not divisible
        // 48 x 2.5 ms = 120 ms is the maximum; 49 is not allowed.
        XCTAssertEqual(OpusTOC.packetDuration(of: [0x83, 48]), 5760)
        XCTAssertNil(OpusTOC.packetDuration(of: [0x83, 49]))
        // SILK 60 ms x 3 = 180 ms: invalid.
        XCTAssertNil(OpusTOC.packetDuration(of: [0x1B, 3]))
        XCTAssertEqual(OpusTOC.packetDuration(of: [0x1B, 2]), 5760)
        // M = 0 is invalid; a missing count octet too.
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x00]))
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB]))
        // VBR: 3 frames, lengths 1 and 2, last takes the remaining 3.
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xFB, 0x83, 1, 2, 0xA, 0xB, 0xB, 0xC, 0xC, 0xC]), 2880)
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x83, 5, 5, 0xA]))  // lengths overrun
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x83, 1]))  // second length missing
        // Padding: p=1, padding length 2 (plus its own octet), CBR 2 frames of 1 octet.
        XCTAssertEqual(OpusTOC.packetDuration(of: [0xFB, 0x42, 2, 7, 8, 0, 0]), 1920)
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x42, 9, 7, 8]))  // padding overruns
        XCTAssertNil(OpusTOC.packetDuration(of: [0xFB, 0x42]))  // padding length missing
        // 255 means 254 octets of padding and another length octet.
        XCTAssertEqual(OpusTOC.frameCount(of: [0xFB, 0x41, 255, 1] + [UInt8](repeating: 0, count: 255)), 1)
        XCTAssertNil(OpusTOC.frameCount(of: [0xFB, 0x41, 255, 255, 255]))
    }

    func testRandomInputNeverTraps() {
        var rng = SeededGenerator(seed: 5)
        for _ in 0..<20_000 {
            let bytes = (0..<Int.random(in: 0...64, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            if let duration = OpusTOC.packetDuration(of: bytes) {
                XCTAssertTrue((120...5760).contains(duration))
            }
        }
    }
}
