import XCTest
@testable import RTP

/// The allocation-free view agrees with the value parser, and rewrites work in place.
final class RTPHeaderViewTests: XCTestCase {
    private func view(_ bytes: [UInt8]) throws(RTPParseError) -> RTPHeaderView {
        try validateView(bytes).get()
    }

    /// Checks every scalar of the view against the parsed packet.
    private func assertAgrees(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) throws {
        let packet = try RTPPacket(parsing: bytes)
        let view = try view(bytes)
        XCTAssertEqual(view.marker, packet.marker, file: file, line: line)
        XCTAssertEqual(view.payloadType, packet.payloadType, file: file, line: line)
        XCTAssertEqual(view.sequenceNumber, packet.sequenceNumber, file: file, line: line)
        XCTAssertEqual(view.timestamp, packet.timestamp, file: file, line: line)
        XCTAssertEqual(view.ssrc, packet.ssrc, file: file, line: line)
        XCTAssertEqual(view.csrcCount, packet.csrcs.count, file: file, line: line)
        XCTAssertEqual(view.paddingLength, Int(packet.paddingLength), file: file, line: line)
        XCTAssertEqual(Array(bytes[view.payloadRange]), packet.payload, file: file, line: line)
        XCTAssertEqual(view.headerLength + view.payloadLength + view.paddingLength, bytes.count, file: file, line: line)
        XCTAssertEqual(view.hasExtension, packet.headerExtension != nil, file: file, line: line)
        bytes.withUnsafeBytes { buffer in
            for (index, csrc) in packet.csrcs.enumerated() {
                XCTAssertEqual(view.csrc(at: index, in: buffer), csrc, file: file, line: line)
            }
            XCTAssertNil(view.csrc(at: packet.csrcs.count, in: buffer), file: file, line: line)
            switch packet.headerExtension {
            case .oneByte(let elements), .twoByte(_, let elements):
                for id in UInt8(1)...255 {
                    let range = view.extensionRange(id: id, in: buffer)
                    let expected = elements.first { $0.id == id }?.value
                    XCTAssertEqual(range.map { Array(bytes[$0]) }, expected, "id \(id)", file: file, line: line)
                }
            case .other(let profile, let data):
                XCTAssertEqual(view.extensionProfile, profile, file: file, line: line)
                XCTAssertEqual(Array(bytes[view.extensionOffset..<(view.extensionOffset + view.extensionLength)]), data, file: file, line: line)
                XCTAssertNil(view.extensionRange(id: 1, in: buffer), file: file, line: line)
            case nil:
                XCTAssertNil(view.extensionRange(id: 1, in: buffer), file: file, line: line)
            }
        }
    }

    func testViewAgreesWithParserOnRandomPackets() throws {
        var rng = SeededGenerator(seed: 20)
        for _ in 0..<1_000 {
            try assertAgrees(randomPacket(using: &rng).serialized())
        }
    }

    func testViewAgreesWithParserOnMutatedPackets() throws {
        // On arbitrary bytes the two either both reject with the same error or both accept.
        var rng = SeededGenerator(seed: 21)
        for _ in 0..<5_000 {
            var bytes = randomPacket(using: &rng).serialized()
            let i = Int.random(in: 0..<bytes.count, using: &rng)
            bytes[i] = UInt8.random(in: 0...255, using: &rng)
            let parsed = Result { () throws(RTPParseError) in try RTPPacket(parsing: bytes) }
            let viewed = validateView(bytes)
            switch (parsed, viewed) {
            case (.success, .success): try assertAgrees(bytes)
            case (.failure(let a), .failure(let b)): XCTAssertEqual(a, b)
            default: XCTFail("parser and view disagree on \(bytes)")
            }
        }
    }

    func testViewRejectsAForeignBuffer() throws {
        let bytes = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1, csrcs: [5],
                              headerExtension: .oneByte([element(3, [1, 2])]), payload: [1, 2, 3]).serialized()
        let view = try view(bytes)
        (bytes + [0]).withUnsafeBytes { other in
            XCTAssertNil(view.extensionRange(id: 3, in: other))
            XCTAssertNil(view.csrc(at: 0, in: other))
        }
    }

    func testFixedFieldRewrites() throws {
        var bytes = RTPPacket(marker: true, payloadType: 96, sequenceNumber: 1, timestamp: 2, ssrc: 3,
                              headerExtension: .oneByte([element(5, [9, 9])]), payload: [7, 7], paddingLength: 3).serialized()
        bytes.withUnsafeMutableBytes { packet in
            XCTAssertTrue(RTPHeaderView.setSSRC(0xCAFE_BABE, in: packet))
            XCTAssertTrue(RTPHeaderView.setSequenceNumber(0xFFFE, in: packet))
            XCTAssertTrue(RTPHeaderView.setTimestamp(0x8000_0001, in: packet))
            XCTAssertTrue(RTPHeaderView.setPayloadType(100, in: packet))
            XCTAssertFalse(RTPHeaderView.setPayloadType(128, in: packet))
        }
        var packet = try RTPPacket(parsing: bytes)
        XCTAssertEqual(packet.ssrc, 0xCAFE_BABE)
        XCTAssertEqual(packet.sequenceNumber, 0xFFFE)
        XCTAssertEqual(packet.timestamp, 0x8000_0001)
        XCTAssertEqual(packet.payloadType, 100)
        XCTAssertTrue(packet.marker)  // untouched by the payload type rewrite
        XCTAssertEqual(packet.payload, [7, 7])
        XCTAssertEqual(packet.paddingLength, 3)

        bytes.withUnsafeMutableBytes { XCTAssertTrue(RTPHeaderView.setMarker(false, in: $0)) }
        packet = try RTPPacket(parsing: bytes)
        XCTAssertFalse(packet.marker)
        XCTAssertEqual(packet.payloadType, 100)

        var short: [UInt8] = [0x80, 0, 0]
        short.withUnsafeMutableBytes { buffer in
            XCTAssertFalse(RTPHeaderView.setSSRC(1, in: buffer))
            XCTAssertFalse(RTPHeaderView.setSequenceNumber(1, in: buffer))
            XCTAssertFalse(RTPHeaderView.setTimestamp(1, in: buffer))
            XCTAssertFalse(RTPHeaderView.setMarker(true, in: buffer))
            XCTAssertFalse(RTPHeaderView.setPayloadType(1, in: buffer))
        }
        XCTAssertEqual(short, [0x80, 0, 0])
    }

    func testExtensionRewrites() throws {
        for headerExtension in [
            RTPHeaderExtension.oneByte([element(1, [0xAA]), element(3, [0, 0, 0])]),
            .twoByte(appBits: 0, [element(1, [0xAA]), element(3, [0, 0, 0]), element(200, [])]),
        ] {
            var bytes = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                                  headerExtension: headerExtension, payload: [5]).serialized()
            bytes.withUnsafeMutableBytes { packet in
                XCTAssertTrue(RTPHeaderView.setExtensionValue(id: 3, to: [1, 2, 3], in: packet))
                XCTAssertFalse(RTPHeaderView.setExtensionValue(id: 3, to: [1, 2], in: packet))  // length differs
                XCTAssertFalse(RTPHeaderView.setExtensionValue(id: 4, to: [1], in: packet))     // absent
                XCTAssertTrue(RTPHeaderView.setExtensionID(1, to: 9, in: packet))
                XCTAssertFalse(RTPHeaderView.setExtensionID(1, to: 9, in: packet))  // already renamed
                XCTAssertFalse(RTPHeaderView.setExtensionID(3, to: 0, in: packet))
            }
            let packet = try RTPPacket(parsing: bytes)
            XCTAssertEqual(packet.extensionValue(id: 3), [1, 2, 3])
            XCTAssertEqual(packet.extensionValue(id: 9), [0xAA])
            XCTAssertNil(packet.extensionValue(id: 1))
            XCTAssertEqual(packet.payload, [5])
        }
        // One-byte ids are limited to 1...14.
        var bytes = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                              headerExtension: .oneByte([element(1, [1])])).serialized()
        bytes.withUnsafeMutableBytes { packet in
            XCTAssertFalse(RTPHeaderView.setExtensionID(1, to: 15, in: packet))
            XCTAssertTrue(RTPHeaderView.setExtensionID(1, to: 14, in: packet))
        }
        XCTAssertEqual(try RTPPacket(parsing: bytes).extensionValue(id: 14), [1])
        // Raw profiles and invalid packets are left alone.
        var raw = RTPPacket(payloadType: 1, sequenceNumber: 1, timestamp: 1, ssrc: 1,
                            headerExtension: .other(profile: 7, data: [1, 1, 1, 1])).serialized()
        let before = raw
        raw.withUnsafeMutableBytes { packet in
            XCTAssertFalse(RTPHeaderView.setExtensionValue(id: 1, to: [9], in: packet))
            XCTAssertFalse(RTPHeaderView.setExtensionID(1, to: 2, in: packet))
        }
        XCTAssertEqual(raw, before)
    }
}
