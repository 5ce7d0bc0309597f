import DataChannel
import XCTest

final class DCEPMessageTests: XCTestCase {
    func testOpenRoundTripsEveryReliability() throws {
        let cases: [DataChannelParameters.Reliability] = [
            .reliable(ordered: true), .reliable(ordered: false), .maxRetransmits(0, ordered: false),
            .maxRetransmits(7, ordered: true), .maxLifetime(1500, ordered: true), .maxLifetime(20, ordered: false),
        ]
        for reliability in cases {
            let p = DataChannelParameters(label: "_lossy", protocol: "lk", priority: 512, reliability: reliability)
            XCTAssertEqual(try DCEPMessage.parse(DCEPMessage.open(p).bytes), .open(p))
        }
        XCTAssertEqual(try DCEPMessage.parse([0x02]), .ack)
    }

    /// RFC 8832 §5.1's layout, written out by hand: type, channel type, priority, reliability,
    /// label length, protocol length, label, protocol.
    func testParsesTheWireLayout() throws {
        let bytes: [UInt8] = [0x03, 0x81, 0x01, 0x00, 0, 0, 0, 0, 0, 6, 0, 0] + Array("_lossy".utf8)
        guard case .open(let p) = try DCEPMessage.parse(bytes) else { return XCTFail("not an open") }
        XCTAssertEqual(p.label, "_lossy")
        XCTAssertEqual(p.priority, 256)
        XCTAssertEqual(p.reliability, .maxRetransmits(0, ordered: false))
    }

    func testRejectsBadInput() {
        XCTAssertThrowsError(try DCEPMessage.parse([])) { XCTAssertEqual($0 as? DCEPMessage.ParseError, .empty) }
        XCTAssertThrowsError(try DCEPMessage.parse([0x07])) { XCTAssertEqual($0 as? DCEPMessage.ParseError, .unknownType(7)) }
        XCTAssertThrowsError(try DCEPMessage.parse([0x03, 0x00, 0, 0])) { XCTAssertEqual($0 as? DCEPMessage.ParseError, .truncated) }
        // Lengths beyond the message.
        XCTAssertThrowsError(try DCEPMessage.parse([0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0x41])) {
            XCTAssertEqual($0 as? DCEPMessage.ParseError, .truncated)
        }
        XCTAssertThrowsError(try DCEPMessage.parse([0x03, 0x05, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])) {
            XCTAssertEqual($0 as? DCEPMessage.ParseError, .unknownChannelType(5))
        }
        XCTAssertThrowsError(try DCEPMessage.parse([0x03, 0x00, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0, 0])) {
            XCTAssertEqual($0 as? DCEPMessage.ParseError, .labelTooLong)
        }
        XCTAssertThrowsError(try DCEPMessage.parse([0x03, 0x00, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0xFF])) {
            XCTAssertEqual($0 as? DCEPMessage.ParseError, .notUTF8)
        }
    }
}
