import XCTest
@testable import Recorder

final class OggCRCTests: XCTestCase {
    func testCheckValue() {
        // CRC-32 with polynomial 0x04C11DB7, MSB first, init 0, no final XOR: the POSIX cksum
        // CRC (check 0x765E7680) without its final inversion.
        XCTAssertEqual(OggCRC.checksum(Array("123456789".utf8)), 0x765E_7680 ^ 0xFFFF_FFFF)
        XCTAssertEqual(OggCRC.checksum([]), 0)
        XCTAssertEqual(OggCRC.table[1], 0x04C1_1DB7)
    }
}

final class OggPageWriterTests: XCTestCase {
    private func write(_ packets: [[UInt8]]) throws -> [UInt8] {
        let sink = MemorySink()
        var writer = OggPageWriter(serial: 7)
        for (index, packet) in packets.enumerated() {
            try withBytes(packet) { bytes throws(RecorderError) in try writer.append(packet: bytes, granule: Int64(index + 1), to: sink) }
        }
        try writer.flush(flags: .endOfStream, to: sink)
        return sink.bytes
    }

    func testLacingValues() throws {
        for (length, lacing) in [(0, [0]), (1, [1]), (254, [254]), (255, [255, 0]), (256, [255, 1]), (510, [255, 255, 0])] {
            let bytes = try write([[UInt8](repeating: 0xAB, count: length)])
            let page = try OggReader(bytes).page(at: 0)
            XCTAssertEqual(page.segments, lacing.map(UInt8.init), "length \(length)")
            XCTAssertEqual(page.granule, 1)
            XCTAssertEqual(page.flags, [.beginningOfStream, .endOfStream])
            XCTAssertEqual(page.serial, 7)
            XCTAssertEqual(OggReader(bytes).packets().map(\.packet), [[UInt8](repeating: 0xAB, count: length)])
        }
    }

    func testPacketSpanningPages() throws {
        // 255 segments hold 65 025 bytes: a 70 000-byte packet continues on a second page.
        let big = (0..<70_000).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let bytes = try write([[1, 2, 3], big, [9]])
        let reader = OggReader(bytes)
        let pages = reader.pages()
        XCTAssertEqual(pages.validLength, bytes.count)
        XCTAssertEqual(pages.pages.count, 2)
        XCTAssertEqual(pages.pages[0].segments.count, 255)
        XCTAssertEqual(pages.pages[0].granule, 1, "only the first packet ends on page 0")
        XCTAssertFalse(pages.pages[0].flags.contains(.continued))
        XCTAssertTrue(pages.pages[1].flags.contains(.continued))
        XCTAssertTrue(pages.pages[1].flags.contains(.endOfStream))
        XCTAssertEqual(pages.pages[1].granule, 3)
        XCTAssertEqual(pages.pages.map(\.sequence), [0, 1])
        let packets = reader.packets().map(\.packet)
        XCTAssertEqual(packets, [[1, 2, 3], big, [9]])
    }

    func testGranuleMinusOneWhenNoPacketEnds() throws {
        let big = [UInt8](repeating: 5, count: 255 * 255 + 10)
        let bytes = try write([big])
        let pages = OggReader(bytes).pages().pages
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[0].granule, -1)
        XCTAssertEqual(pages[1].granule, 1)
    }

    func testExactMultipleOf255AtPageEnd() throws {
        // Exactly 255*255 bytes fill 255 segments; the terminating 0 goes on the next page.
        let packet = [UInt8](repeating: 7, count: 255 * 255)
        let bytes = try write([packet])
        let pages = OggReader(bytes).pages().pages
        XCTAssertEqual(pages.count, 2)
        XCTAssertEqual(pages[1].segments, [0])
        XCTAssertTrue(pages[1].flags.contains(.continued))
        XCTAssertEqual(OggReader(bytes).packets().map(\.packet), [packet])
    }

    func testCorruptPageIsRejected() throws {
        var bytes = try write([[1, 2, 3]])
        bytes[bytes.count - 1] ^= 0xFF
        XCTAssertThrowsError(try OggReader(bytes).page(at: 0)) { error in
            guard case .malformedContainer = error as? RecorderError else { return XCTFail("\(error)") }
        }
        XCTAssertEqual(OggReader(bytes).pages().validLength, 0)
    }
}

final class OpusHeadTests: XCTestCase {
    func testSerialization() throws {
        let head = try OpusHead(channels: 2, preSkip: 312, inputSampleRate: 48_000, outputGain: -256)
        let bytes = head.serialized()
        XCTAssertEqual(bytes, Array("OpusHead".utf8) + [1, 2, 0x38, 0x01, 0x80, 0xBB, 0, 0, 0x00, 0xFF, 0])
        XCTAssertEqual(try OpusHead(parsing: bytes), head)
        XCTAssertThrowsError(try OpusHead(channels: 3))
        XCTAssertThrowsError(try OpusHead(parsing: Array(bytes.prefix(10))))
    }

    func testTags() {
        let tags = OpusTags(vendor: "ab", comments: ["X=1"]).serialized()
        XCTAssertEqual(tags, Array("OpusTags".utf8) + [2, 0, 0, 0] + Array("ab".utf8) + [1, 0, 0, 0, 3, 0, 0, 0] + Array("X=1".utf8))
    }
}
