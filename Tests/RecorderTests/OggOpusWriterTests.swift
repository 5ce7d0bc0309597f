import Codecs
import PayloadFormats
import XCTest
@testable import Recorder

final class OggOpusWriterTests: XCTestCase {
    /// A real 20 ms stereo CELT packet shape: TOC config 31 code 0 and some bytes.
    private let packet20ms: [UInt8] = [0xFC, 0x01, 0x02, 0x03]

    private func makeWriter(_ sink: MemorySink, preSkip: UInt16 = 312, packetsPerPage: Int = 50) throws -> OggOpusWriter {
        try OggOpusWriter(sink: sink, configuration: .init(head: try OpusHead(channels: 2, preSkip: preSkip),
                                                           serial: 99, maxPacketsPerPage: packetsPerPage))
    }

    func testHeadersAndGranules() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink, preSkip: 312, packetsPerPage: 10)
        for index in 0..<25 { try writer.write(packet: packet20ms, at: Int64(index) * 960) }
        XCTAssertEqual(try writer.finish(), 25 * 960)
        let reader = OggReader(sink.bytes)
        let (pages, valid) = reader.pages()
        XCTAssertEqual(valid, sink.bytes.count)
        // OpusHead alone on a BOS page, OpusTags alone on the next, audio from page 2.
        XCTAssertEqual(pages[0].flags, .beginningOfStream)
        XCTAssertEqual(pages[0].granule, 0)
        XCTAssertEqual(pages[1].granule, 0)
        XCTAssertEqual(pages.count, 2 + 3)
        let expected: [Int64] = [312 + 10 * 960, 312 + 20 * 960, 312 + 25 * 960]
        XCTAssertEqual(Array(pages.dropFirst(2).map(\.granule)), expected)
        XCTAssertTrue(pages.last!.flags.contains(.endOfStream))
        XCTAssertEqual(pages.filter { $0.flags.contains(.endOfStream) }.count, 1)
        XCTAssertEqual(Set(pages.map(\.serial)), [99])
        XCTAssertEqual(pages.map(\.sequence), Array(0..<5))
        let packets = reader.packets()
        XCTAssertEqual(try OpusHead(parsing: packets[0].packet).preSkip, 312)
        XCTAssertEqual(Array(packets[1].packet.prefix(8)), Array("OpusTags".utf8))
        XCTAssertEqual(packets.count, 27)
    }

    func testPageIntervalBoundsCrashLoss() throws {
        // 60 ms packets: a page closes after 1 s of audio even with fewer than 50 packets.
        let sink = MemorySink()
        let writer = try makeWriter(sink)
        let packet60ms: [UInt8] = [0x1C, 0x00]  // SILK NB 60 ms (config 3), code 0
        XCTAssertEqual(OpusTOC.packetDuration(of: packet60ms), 2880)
        for index in 0..<40 { try writer.write(packet: packet60ms, at: Int64(index) * 2880) }
        let pages = OggReader(sink.bytes).pages().pages
        // 17 packets make 1.02 s: the page is written when the 18th arrives.
        XCTAssertEqual(pages.count, 2 + 2)
        XCTAssertEqual(pages[2].granule, 312 + 17 * 2880)
    }

    func testGapsAreFilledWithSilence() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink)
        try writer.write(packet: packet20ms, at: 0)
        // A 1.5 s DTX/mute gap (plus a 2.5 ms remainder).
        let result = try writer.write(packet: packet20ms, at: 960 + 72_000 + 120)
        XCTAssertEqual(result, .written(silenceInserted: 72_120))
        try writer.write(packet: packet20ms)  // contiguous
        XCTAssertEqual(try writer.finish(), 960 * 3 + 72_120)
        XCTAssertEqual(writer.silenceSamples, 72_120)

        // The sum of the packet durations equals the last granule minus pre-skip.
        let packets = OggReader(sink.bytes).packets().dropFirst(2)
        let total = packets.reduce(0) { $0 + (OpusTOC.packetDuration(of: $1.packet) ?? -1_000_000) }
        XCTAssertEqual(Int64(total), packets.last!.granule - 312)

        // Silence decodes to zeros of the right length with libopus.
        var silentSamples = 0
        for (packet, _) in packets where packet[0] & 0x03 == 3 {
            let decoder = try Codecs.OpusDecoder(channels: 2)
            let pcm = try decoder.decode(packet: packet, frameSize: 5760)
            XCTAssertTrue(pcm.allSatisfy { $0 == 0 })
            silentSamples += pcm.count / 2
        }
        XCTAssertEqual(silentSamples, 72_120)
    }

    func testSmallJitterIsNotAGapAndLatePacketsAreDropped() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink)
        try writer.write(packet: packet20ms, at: 0)
        XCTAssertEqual(try writer.write(packet: packet20ms, at: 960 + 100), .written(silenceInserted: 0))
        XCTAssertEqual(try writer.write(packet: packet20ms, at: 0), .droppedLate)
        XCTAssertEqual(writer.packetsDroppedLate, 1)
        XCTAssertEqual(writer.duration, 1920)
    }

    func testMalformedPacketThrowsTypedError() throws {
        let writer = try makeWriter(MemorySink())
        XCTAssertThrowsError(try writer.write(packet: [])) { XCTAssertEqual($0 as? RecorderError, .malformedOpus) }
        // Code 1 (two equal frames) needs an even body.
        XCTAssertThrowsError(try writer.write(packet: [0xFD, 1, 2, 3])) { XCTAssertEqual($0 as? RecorderError, .malformedOpus) }
    }

    func testFlushThenFinishWritesEmptyEndOfStreamPage() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink)
        try writer.write(packet: packet20ms)
        try writer.flush()
        try writer.finish()
        let pages = OggReader(sink.bytes).pages().pages
        XCTAssertEqual(pages.count, 4)
        XCTAssertEqual(pages[2].granule, 312 + 960)
        XCTAssertTrue(pages[3].flags.contains(.endOfStream))
        XCTAssertEqual(pages[3].segments, [])
        XCTAssertThrowsError(try writer.write(packet: packet20ms)) { XCTAssertEqual($0 as? RecorderError, .finished) }
    }

    func testExtendCoversTrailingMute() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink)
        try writer.write(packet: packet20ms)
        try writer.extend(to: 48_000)
        XCTAssertEqual(try writer.finish(), 48_000)
    }

    func testWriteErrorsSurface() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink, packetsPerPage: 1)
        sink.capacityLimit = sink.length + 40
        try writer.write(packet: packet20ms)
        XCTAssertThrowsError(try { for _ in 0..<10 { try writer.write(packet: packet20ms) } }()) {
            XCTAssertEqual($0 as? RecorderError, .io(operation: "write", errno: 28))
        }
    }

    func testRepairTornFile() throws {
        let sink = MemorySink()
        let writer = try makeWriter(sink, packetsPerPage: 5)
        for _ in 0..<23 { try writer.write(packet: packet20ms) }
        // Killed mid-way: 4 audio pages written, plus half of a torn fifth page.
        let pages = OggReader(sink.bytes).pages().pages
        XCTAssertEqual(pages.count, 6)
        var torn = sink.bytes
        torn += [0x4F, 0x67, 0x67, 0x53, 0, 0, 1, 2]
        let crashed = MemorySink(torn)
        let result = try OggRepair.repair(sink: crashed)
        XCTAssertEqual(result, OggRepair.Result(pages: 6, truncatedBytes: 8, duration: 20 * 960, wasComplete: false))
        let repaired = OggReader(crashed.bytes).pages()
        XCTAssertEqual(repaired.validLength, crashed.bytes.count)
        XCTAssertTrue(repaired.pages.last!.flags.contains(.endOfStream))
        XCTAssertEqual(try OggRepair.repair(sink: crashed).wasComplete, true)
    }
}
