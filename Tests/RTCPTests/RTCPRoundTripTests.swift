import XCTest
@testable import RTCP

final class RTCPRoundTripTests: XCTestCase {
    static let block1 = ReceptionReport(
        ssrc: 0x1122_3344, fractionLost: 25, cumulativeLost: -5,
        extendedHighestSequenceNumber: 0x0001_FFFE, jitter: 77,
        lastSenderReport: 0xDEAD_BEEF, delaySinceLastSenderReport: 65536)
    static let block2 = ReceptionReport(
        ssrc: 9, fractionLost: 255, cumulativeLost: 0x7F_FFFF,
        extendedHighestSequenceNumber: 1, jitter: 0, lastSenderReport: 0, delaySinceLastSenderReport: 0)

    static let samples: [RTCPPacket] = [
        .senderReport(SenderReport(ssrc: 1, ntpTimestamp: 0xE8A1_2345_6789_ABCD, rtpTimestamp: 90000,
                                   packetCount: 10, octetCount: 12000, reportBlocks: [block1, block2])),
        .senderReport(SenderReport(ssrc: 2, ntpTimestamp: 0, rtpTimestamp: 0, packetCount: 0, octetCount: 0)),
        .senderReport(SenderReport(ssrc: 3, ntpTimestamp: 1, rtpTimestamp: 2, packetCount: 3, octetCount: 4,
                                   profileExtensions: [1, 2, 3, 4, 5, 6, 7, 8])),
        .receiverReport(ReceiverReport(ssrc: 7, reportBlocks: [block1])),
        .receiverReport(ReceiverReport(ssrc: 7)),
        .receiverReport(ReceiverReport(ssrc: 7, reportBlocks: Array(repeating: block2, count: 31))),
        .sourceDescription(SourceDescription(source: 0xCAFE_BABE, cname: "user@example.com")),
        .sourceDescription(SourceDescription(chunks: [
            SDESChunk(source: 1, items: [SDESItem(type: .cname, text: "a"), SDESItem(type: .tool, text: "switchboard")]),
            SDESChunk(source: 2, items: []),
            SDESChunk(source: 3, items: [SDESItem(type: .note, text: String(repeating: "x", count: 255))]),
        ])),
        .sourceDescription(SourceDescription(chunks: [])),
        .goodbye(Goodbye(sources: [1, 2, 3])),
        .goodbye(Goodbye(sources: [4], reason: "shutting down")),
        .goodbye(Goodbye(sources: [], reason: "")),
        .genericNACK(GenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [10, 11, 13, 40, 65535, 0])),
        .pictureLossIndication(PictureLossIndication(senderSSRC: 5, mediaSSRC: 6)),
        .fullIntraRequest(FullIntraRequest(senderSSRC: 5, entries: [.init(ssrc: 6, sequenceNumber: 200),
                                                                    .init(ssrc: 7, sequenceNumber: 1)])),
        .receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 2_500_000, ssrcs: [10, 11])),
        .receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 0, ssrcs: [])),
        .transportWideFeedback(try! TransportWideFeedback(
            senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 3,
            arrivals: [.init(sequenceNumber: 100, time: 1_000_000), .init(sequenceNumber: 102, time: 1_100_000),
                       .init(sequenceNumber: 103, time: 1_000_250)])),
        .unknown(packetType: 204, count: 3, body: [0, 0, 0, 1, 0x6E, 0x61, 0x6D, 0x65, 9, 9]),
        .unknown(packetType: 205, count: 3, body: [0, 0, 0, 1, 0, 0, 0, 2]),
        .unknown(packetType: 206, count: 15, body: [0, 0, 0, 1, 0, 0, 0, 2, 0x41, 0x42, 0x43, 0x44]),
    ]

    func testEveryPacketTypeRoundTrips() throws {
        for packet in Self.samples {
            let bytes = try packet.serialized()
            XCTAssertEqual(bytes.count % 4, 0)
            XCTAssertEqual(RTCPHeader.peek(bytes)?.packetSize, bytes.count)
            XCTAssertTrue(RTCPHeader.looksLikeRTCP(bytes))
            XCTAssertEqual(try RTCPCompound.parse(bytes), [packet], "\(packet)")
        }
    }

    func testWholeSampleSetAsOneCompound() throws {
        let bytes = try RTCPCompound.serialize(Self.samples)
        XCTAssertEqual(try RTCPCompound.parse(bytes), Self.samples)
    }

    func testSenderReportPlusSDESCompound() throws {
        let packets: [RTCPPacket] = [
            .senderReport(SenderReport(ssrc: 0x1234, ntpTimestamp: 0x0102_0304_0506_0708, rtpTimestamp: 3000,
                                       packetCount: 1, octetCount: 100)),
            .sourceDescription(SourceDescription(source: 0x1234, cname: "abc")),
        ]
        let bytes = try RTCPCompound.serialize(packets)
        let expected = hex("""
            80 c8 00 06 00 00 12 34 01 02 03 04 05 06 07 08 00 00 0b b8 00 00 00 01 00 00 00 64
            81 ca 00 03 00 00 12 34 01 03 61 62 63 00 00 00
            """)
        XCTAssertEqual(bytes, expected)
        let parsed = try RTCPCompound.parse(bytes)
        XCTAssertEqual(parsed, packets)
        guard case .sourceDescription(let sdes) = parsed[1] else { return XCTFail() }
        XCTAssertEqual(sdes.chunks.first?.cname, "abc")
    }

    func testReceiverReportPlusREMBCompound() throws {
        let packets: [RTCPPacket] = [
            .receiverReport(ReceiverReport(ssrc: 1, reportBlocks: [Self.block1])),
            .receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 1_000_000, ssrcs: [5])),
            .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 5)),
            .genericNACK(GenericNACK(senderSSRC: 1, mediaSSRC: 5, lostSequenceNumbers: [7])),
        ]
        XCTAssertEqual(try RTCPCompound.parse(RTCPCompound.serialize(packets)), packets)
    }

    func testCumulativeLostIsClampedToTwentyFourBits() throws {
        var block = Self.block1
        block.cumulativeLost = 50_000_000
        var packet = RTCPPacket.receiverReport(ReceiverReport(ssrc: 1, reportBlocks: [block]))
        guard case .receiverReport(let rr) = try RTCPCompound.parse(packet.serialized())[0] else { return XCTFail() }
        XCTAssertEqual(rr.reportBlocks[0].cumulativeLost, 0x7F_FFFF)
        block.cumulativeLost = -50_000_000
        packet = .receiverReport(ReceiverReport(ssrc: 1, reportBlocks: [block]))
        guard case .receiverReport(let rr2) = try RTCPCompound.parse(packet.serialized())[0] else { return XCTFail() }
        XCTAssertEqual(rr2.reportBlocks[0].cumulativeLost, -0x80_0000)
    }

    func testUnencodableValuesThrowAndLeaveOutputUntouched() {
        let tooMany = RTCPPacket.receiverReport(ReceiverReport(ssrc: 1, reportBlocks: Array(repeating: Self.block1, count: 32)))
        var out: [UInt8] = [1, 2, 3]
        XCTAssertThrowsError(try tooMany.serialize(into: &out)) { XCTAssertEqual($0 as? RTCPError, .unencodable) }
        XCTAssertEqual(out, [1, 2, 3])
        let longItem = RTCPPacket.sourceDescription(SourceDescription(chunks: [
            SDESChunk(source: 1, items: [SDESItem(type: .cname, value: Array(repeating: 65, count: 256))])]))
        XCTAssertThrowsError(try longItem.serialized())
        let endItem = RTCPPacket.sourceDescription(SourceDescription(chunks: [
            SDESChunk(source: 1, items: [SDESItem(type: SDESItemType(rawValue: 0), value: [])])]))
        XCTAssertThrowsError(try endItem.serialized())
        XCTAssertThrowsError(try RTCPPacket.genericNACK(GenericNACK(senderSSRC: 1, mediaSSRC: 1, items: [])).serialized())
        XCTAssertThrowsError(try RTCPPacket.fullIntraRequest(FullIntraRequest(senderSSRC: 1, entries: [])).serialized())
        XCTAssertThrowsError(try RTCPPacket.unknown(packetType: 204, count: 32, body: []).serialized())
        XCTAssertThrowsError(try RTCPPacket.goodbye(Goodbye(sources: [], reason: String(repeating: "z", count: 256))).serialized())
    }

    func testPaddedUnknownBodyUsesPaddingBit() throws {
        let packet = RTCPPacket.unknown(packetType: 204, count: 0, body: [1, 2, 3, 4, 5])
        let bytes = try packet.serialized()
        XCTAssertEqual(bytes, [0xA0, 204, 0, 2, 1, 2, 3, 4, 5, 0, 0, 3])
        XCTAssertEqual(try RTCPCompound.parse(bytes), [packet])
    }
}
