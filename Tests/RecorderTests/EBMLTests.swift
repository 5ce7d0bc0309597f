import XCTest
@testable import Recorder

final class EBMLTests: XCTestCase {
    func testVINTs() {
        func size(_ value: Int, width: Int? = nil) -> [UInt8] {
            var out: [UInt8] = []
            EBML.appendSize(value, width: width, to: &out)
            return out
        }
        XCTAssertEqual(size(0), [0x80])
        XCTAssertEqual(size(126), [0xFE])
        XCTAssertEqual(size(127), [0x40, 0x7F], "all-ones is reserved for unknown")
        XCTAssertEqual(size(16_382), [0x7F, 0xFE])
        XCTAssertEqual(size(16_383), [0x20, 0x3F, 0xFF])
        XCTAssertEqual(size(5, width: 8), [0x01, 0, 0, 0, 0, 0, 0, 5])
        XCTAssertEqual(EBML.size8(0x0102_0304), [0x01, 0, 0, 0, 0x01, 0x02, 0x03, 0x04])
        for value in [0, 1, 126, 127, 300, 16_383, 2_000_000, 1 << 40] {
            let bytes = [0xEC] + size(value)
            let header = EBMLReader.header(in: bytes, at: 0)
            XCTAssertEqual(header?.size, value)
            XCTAssertEqual(header?.sizeLength, EBML.vintLength(value))
        }
        let unknown = EBMLReader.header(in: [0x1F, 0x43, 0xB6, 0x75] + EBML.unknownSize, at: 0)
        XCTAssertEqual(unknown?.id, MatroskaID.cluster)
        XCTAssertNil(unknown?.size)
        XCTAssertEqual(unknown?.headerLength, 12)
        XCTAssertNil(EBMLReader.header(in: [0x1F, 0x43], at: 0), "truncated")
        XCTAssertNil(EBMLReader.header(in: [0x00, 0x81], at: 0), "invalid ID")
    }

    func testElements() {
        var out: [UInt8] = []
        EBML.appendUInt(MatroskaID.timestampScale, 1_000_000, to: &out)
        XCTAssertEqual(out, [0x2A, 0xD7, 0xB1, 0x83, 0x0F, 0x42, 0x40])
        out = []
        EBML.appendUInt(MatroskaID.pixelWidth, 320, width: 2, to: &out)
        XCTAssertEqual(out, [0xB0, 0x82, 0x01, 0x40])
        out = []
        EBML.appendUInt(MatroskaID.flagLacing, 0, to: &out)
        XCTAssertEqual(out, [0x9C, 0x81, 0x00])
        out = []
        EBML.appendFloat(MatroskaID.duration, 1.5, to: &out)
        XCTAssertEqual(out, [0x44, 0x89, 0x88, 0x3F, 0xF8, 0, 0, 0, 0, 0, 0])
        XCTAssertEqual(EBMLReader.float(out, at: 3, length: 8), 1.5)
        for length in [2, 11, 128, 129, 500] {
            var void: [UInt8] = []
            EBML.appendVoid(totalLength: length, to: &void)
            XCTAssertEqual(void.count, length)
            let header = EBMLReader.header(in: void, at: 0)
            XCTAssertEqual(header.map { $0.headerLength + ($0.size ?? -1) }, length)
        }
    }

    func testSeekHeadRegionHasFixedSize() {
        let two = WebMLayout.seekHeadRegion([(MatroskaID.info, 68), (MatroskaID.tracks, 120)])
        let three = WebMLayout.seekHeadRegion([(MatroskaID.info, 68), (MatroskaID.tracks, 120), (MatroskaID.cues, 99_999)])
        XCTAssertEqual(two.count, WebMLayout.seekHeadRegionSize)
        XCTAssertEqual(three.count, WebMLayout.seekHeadRegionSize)
        XCTAssertEqual(EBMLReader.header(in: three, at: 0)?.size, 63)
        XCTAssertEqual(WebMLayout.durationElement(milliseconds: 1).count, WebMLayout.durationElementSize)
    }
}
