import XCTest
@testable import RTCP

/// Hand-assembled byte vectors from the RFC diagrams, and captures from pion/rtcp's tests.
final class RTCPVectorTests: XCTestCase {
    func testReceiverReportVectorWithNegativeCumulativeLost() throws {
        let bytes = hex("""
            81 c9 00 07  90 2f 9e 2e
            bc 5e 9a 40  00 ff ff ff  00 00 46 e1  00 00 01 11  09 f3 64 32  00 02 4a 79
            """)
        let packets = try RTCPCompound.parse(bytes)
        let expected = RTCPPacket.receiverReport(ReceiverReport(ssrc: 0x902F_9E2E, reportBlocks: [
            ReceptionReport(ssrc: 0xBC5E_9A40, fractionLost: 0, cumulativeLost: -1,
                            extendedHighestSequenceNumber: 0x46E1, jitter: 273,
                            lastSenderReport: 0x09F3_6432, delaySinceLastSenderReport: 150_137),
        ]))
        XCTAssertEqual(packets, [expected])
        XCTAssertEqual(try RTCPCompound.serialize(packets), bytes)
    }

    func testPLIVector() throws {
        // pion/rtcp picture_loss_indication_test.go
        let bytes: [UInt8] = [0x81, 0xCE, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x4B, 0xC4, 0xFC, 0xB4]
        let packets = try RTCPCompound.parse(bytes)
        XCTAssertEqual(packets, [.pictureLossIndication(PictureLossIndication(senderSSRC: 0, mediaSSRC: 0x4BC4_FCB4))])
        XCTAssertEqual(try RTCPCompound.serialize(packets), bytes)
    }

    func testREMBVector() throws {
        // pion/rtcp receiver_estimated_maximum_bitrate_test.go: 8927168 bps = 139487 << 6.
        let bytes: [UInt8] = [143, 206, 0, 5, 0, 0, 0, 1, 0, 0, 0, 0, 82, 69, 77, 66, 1, 26, 32, 223, 72, 116, 237, 22]
        let packets = try RTCPCompound.parse(bytes)
        guard case .receiverEstimatedMaximumBitrate(let remb) = packets.first else { return XCTFail() }
        XCTAssertEqual(remb.bitrate, 8_927_168)
        XCTAssertEqual(remb.exponent, 6)
        XCTAssertEqual(remb.mantissa, 139_487)
        XCTAssertEqual(remb.ssrcs, [1_215_622_422])
        // Re-encoding from the bitrate picks the same (largest) mantissa.
        let rebuilt = ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 8_927_168, ssrcs: [1_215_622_422])
        XCTAssertEqual(rebuilt, remb)
        XCTAssertEqual(try RTCPPacket.receiverEstimatedMaximumBitrate(rebuilt).serialized(), bytes)
    }

    func testREMBMantissaEncoding() {
        XCTAssertEqual(ReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: 262_143, ssrcs: []).exponent, 0)
        let next = ReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: 262_144, ssrcs: [])
        XCTAssertEqual(next.exponent, 1)
        XCTAssertEqual(next.mantissa, 131_072)
        let odd = ReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: 1_000_001, ssrcs: [])
        XCTAssertEqual(odd.mantissa, 250_000)  // 1_000_001 >> 2, rounded down
        XCTAssertLessThanOrEqual(odd.bitrate, 1_000_001)
        let huge = ReceiverEstimatedMaximumBitrate(senderSSRC: 0, bitrate: .max, ssrcs: [])
        XCTAssertEqual(huge.mantissa, (1 << 18) - 1)
        XCTAssertEqual(huge.exponent, 46)
    }

    func testREMBOverflowingBitrateIsRejected() {
        // exponent 63 with mantissa 3 does not fit 64 bits.
        let bytes: [UInt8] = [0x8F, 206, 0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 82, 69, 77, 66, 0, 0xFC, 0, 3]
        XCTAssertThrowsError(try RTCPCompound.parse(bytes)) { XCTAssertEqual($0 as? RTCPError, .invalidValue) }
    }

    func testNACKVector() throws {
        // PID 0x0020, BLP 0b0000_0000_0000_0101 → 32, 33, 35.
        let bytes = hex("81 cd 00 03 00 00 00 01 00 00 00 02 00 20 00 05")
        let packets = try RTCPCompound.parse(bytes)
        guard case .genericNACK(let nack) = packets.first else { return XCTFail() }
        XCTAssertEqual(nack.lostSequenceNumbers, [32, 33, 35])
        XCTAssertEqual(try RTCPCompound.serialize(packets), bytes)
    }

    func testFIRVector() throws {
        let bytes = hex("84 ce 00 04 00 00 00 01 00 00 00 00 00 00 00 2a 07 00 00 00")
        let packets = try RTCPCompound.parse(bytes)
        XCTAssertEqual(packets, [.fullIntraRequest(FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 42, sequenceNumber: 7)]))])
        XCTAssertEqual(try RTCPCompound.serialize(packets), bytes)
    }

    func testByeWithReasonVector() throws {
        let bytes = hex("81 cb 00 02 00 00 00 05 03 62 79 65")
        XCTAssertEqual(try RTCPCompound.parse(bytes), [.goodbye(Goodbye(sources: [5], reason: "bye"))])
        XCTAssertEqual(try RTCPCompound.serialize([.goodbye(Goodbye(sources: [5], reason: "bye"))]), bytes)
    }

    func testTWCCVectorsFromPion() throws {
        // pion/rtcp transport_layer_cc_test.go "example1": one small delta, 1 octet of RTCP padding.
        let example1 = hex("af cd 00 05 fa 17 fa 17 43 03 2f a0 00 99 00 01 3d e8 02 17 20 01 94 01")
        let packets1 = try RTCPCompound.parse(example1)
        guard case .transportWideFeedback(let fb1) = packets1.first else { return XCTFail() }
        XCTAssertEqual(fb1.senderSSRC, 4_195_875_351)
        XCTAssertEqual(fb1.mediaSSRC, 1_124_282_272)
        XCTAssertEqual(fb1.baseSequenceNumber, 153)
        XCTAssertEqual(fb1.referenceTime, 4_057_090)
        XCTAssertEqual(fb1.feedbackPacketCount, 23)
        XCTAssertEqual(fb1.chunks, [.runLength(status: .receivedSmallDelta, length: 1)])
        let results1 = try fb1.packetResults()
        XCTAssertEqual(results1.map(\.receiveDelta), [37_000])
        XCTAssertEqual(results1.map(\.arrivalTime), [4_057_090 * 64_000 + 37_000])
        XCTAssertEqual(try RTCPCompound.serialize(packets1), example1)

        // "example4": a run of 7 small deltas, 3 octets of padding.
        let example4 = hex("af cd 00 07 fa 17 fa 17 19 3d d8 bb 00 04 00 07 10 63 6e 01 20 07 4c 24 24 10 0c 0c 10 00 00 03")
        let packets4 = try RTCPCompound.parse(example4)
        guard case .transportWideFeedback(let fb4) = packets4.first else { return XCTFail() }
        XCTAssertEqual(try fb4.packetResults().map(\.receiveDelta),
                       [19_000, 9_000, 9_000, 4_000, 3_000, 3_000, 4_000])
        XCTAssertEqual(try fb4.packetResults().map(\.sequenceNumber), Array(4...10))
        XCTAssertEqual(try RTCPCompound.serialize(packets4), example4)
    }

    func testTWCCDraftChunkExamples() throws {
        // draft section 3.1.3 / 3.1.4 examples.
        XCTAssertEqual(try TransportWideFeedback.decodeChunk(0x00DD), .runLength(status: .notReceived, length: 221))
        XCTAssertEqual(try TransportWideFeedback.decodeChunk(0x9F1C), .oneBitVector(
            [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0].map { TransportWideFeedback.Status(rawValue: $0)! }))
        XCTAssertEqual(try TransportWideFeedback.encodeChunk(.oneBitVector(
            [0, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 0, 0].map { TransportWideFeedback.Status(rawValue: $0)! })), 0x9F1C)
        // 0x60 0x18 is a run of the reserved symbol (11): rejected rather than guessed at.
        XCTAssertThrowsError(try TransportWideFeedback.decodeChunk(0x6018))
        // 0xCD50 carries a reserved symbol too.
        XCTAssertThrowsError(try TransportWideFeedback.decodeChunk(0xCD50))
        XCTAssertEqual(try TransportWideFeedback.decodeChunk(0xD200), .twoBitVector(
            [1, 0, 2, 0, 0, 0, 0].map { TransportWideFeedback.Status(rawValue: $0)! }))
    }

    func testHandBuiltTWCCWithLargeNegativeDelta() throws {
        // base 5, 3 statuses [small, lost, large], ref 16 (1.024 s), fb count 7,
        // chunk 0xD200, deltas 4 (1 ms) and -8 (-2 ms), then 3 octets of RTCP padding.
        let bytes = hex("af cd 00 06 00 00 00 01 00 00 00 02 00 05 00 03 00 00 10 07 d2 00 04 ff f8 00 00 03")
        let packets = try RTCPCompound.parse(bytes)
        guard case .transportWideFeedback(let fb) = packets.first else { return XCTFail() }
        let results = try fb.packetResults()
        XCTAssertEqual(results.map(\.sequenceNumber), [5, 6, 7])
        XCTAssertEqual(results.map(\.status), [.receivedSmallDelta, .notReceived, .receivedLargeDelta])
        XCTAssertEqual(results.map(\.receiveDelta), [1000, nil, -2000])
        XCTAssertEqual(results.map(\.arrivalTime), [1_025_000, nil, 1_023_000])
        XCTAssertEqual(try RTCPCompound.serialize(packets), bytes)
        // The builder produces the same packet from the arrival times.
        let built = try TransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 7, arrivals: [
            .init(sequenceNumber: 5, time: 1_025_000), .init(sequenceNumber: 6, time: nil),
            .init(sequenceNumber: 7, time: 1_023_000)])
        XCTAssertEqual(built, fb)
    }

    func testNegativeReferenceTimeIsSignExtended() throws {
        let bytes = hex("8f cd 00 05 00 00 00 01 00 00 00 02 00 00 00 01 ff ff ff 00 20 01 00 00")
        guard case .transportWideFeedback(let fb) = try RTCPCompound.parse(bytes).first else { return XCTFail() }
        XCTAssertEqual(fb.referenceTime, -1)
        XCTAssertEqual(try fb.packetResults().first?.arrivalTime, -64_000)
    }

    func testPeekAndDemux() {
        XCTAssertEqual(RTCPHeader.peek([0x81, 0xC9, 0, 7]),
                       RTCPHeader(padding: false, count: 1, packetType: 201, length: 7))
        XCTAssertNil(RTCPHeader.peek([0x41, 0xC9, 0, 7]))
        XCTAssertNil(RTCPHeader.peek([0x81]))
        XCTAssertFalse(RTCPHeader.looksLikeRTCP([0x80, 0x60, 0, 1]))  // RTP PT 96
        XCTAssertTrue(RTCPHeader.looksLikeRTCP([0x80, 0xC8, 0, 6]))
    }
}
