@testable import RTCP
import XCTest

/// RFC 3611 XR: RRTR and DLRR round trip, unknown blocks kept, hostile input refused.
final class ExtendedReportTests: XCTestCase {
    func testRRTRAndDLRRRoundTrip() throws {
        let xr = ExtendedReport(ssrc: 0x1122_3344, blocks: [
            .receiverReferenceTime(ntpTimestamp: 0xE000_0000_8000_0000),
            .dlrr([.init(ssrc: 7, lastReceiverReport: 0x0000_8000, delaySinceLastReceiverReport: 32768),
                   .init(ssrc: 8, lastReceiverReport: 1, delaySinceLastReceiverReport: 2)]),
            .other(blockType: 42, typeSpecific: 3, contents: [1, 2, 3, 4]),
        ])
        let bytes = try RTCPPacket.extendedReport(xr).serialized()
        XCTAssertEqual(bytes[1], 207)
        // Header 4 + SSRC 4 + RRTR 12 + DLRR 4 + 24 + other 8.
        XCTAssertEqual(bytes.count, 56)
        XCTAssertEqual(try RTCPCompound.parse(bytes), [.extendedReport(xr)])
    }

    func testRRTRBytesMatchRFC3611Layout() throws {
        let bytes = try RTCPPacket.extendedReport(ExtendedReport(ssrc: 1, blocks: [.receiverReferenceTime(ntpTimestamp: 2)])).serialized()
        XCTAssertEqual(bytes, [0x80, 207, 0, 4, 0, 0, 0, 1, 4, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 2])
    }

    func testMalformedBlocksAreRejected() {
        // RRTR with a wrong block length, a DLRR not a multiple of 12, a block running past the end.
        let bodies: [[UInt8]] = [
            [0, 0, 0, 1, 4, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 5, 0, 0, 1, 0, 0, 0, 0],
            [0, 0, 0, 1, 9, 0, 0, 5, 0, 0, 0, 0],
        ]
        for body in bodies {
            let bytes: [UInt8] = [0x80, 207, 0, UInt8(body.count / 4)] + body
            XCTAssertThrowsError(try RTCPCompound.parse(bytes), "\(body)")
        }
        var many: [UInt8] = [0, 0, 0, 1]
        for _ in 0...ExtendedReport.maxBlocks { many += [9, 0, 0, 0] }
        XCTAssertThrowsError(try RTCPCompound.parse([0x80, 207, 0, UInt8(many.count / 4)] + many))
    }
}
