@testable import SFU
import XCTest

final class SequenceAnchorTests: XCTestCase {
    /// The bug this guards against: 32768 packets after an anchor (3 minutes of 180 packets/s
    /// video without a pause or switch), a 16-bit "before the anchor" test turned every new
    /// packet away and the stream stopped.
    func testAStreamRunsOnPastHalfTheSequenceSpaceAndItsWraps() {
        var anchor = SequenceAnchor()
        anchor.reset(source: 65000, output: 100)
        var sequence: UInt16 = 65000
        for i in 0..<200_000 {
            XCTAssertTrue(anchor.admit(sequence), "packet \(i) (sequence \(sequence)) refused")
            if i % 10_000 == 0 && i > 0 {
                // A packet from a few hundred back (reordered, resent) is still of this stretch.
                XCTAssertTrue(anchor.admit(sequence &- 300))
            }
            sequence &+= 1
        }
        // The anchor trails the stream by 8192...16384 packets; output numbers moved with it.
        let lag = sequence &- anchor.source
        XCTAssertTrue((SequenceAnchor.trailingDistance...SequenceAnchor.maximumLag + 1).contains(lag), "lag \(lag)")
        XCTAssertEqual(anchor.output &- anchor.source, 100 &- 65000, "source and output move together")
        XCTAssertTrue(anchor.isSince(output: (sequence &- 1) &+ (100 &- 65000)))
    }

    func testPacketsFromBeforeTheAnchorAreRefused() {
        var anchor = SequenceAnchor()
        anchor.reset(source: 10, output: 500)
        XCTAssertFalse(anchor.admit(9), "the previous stretch's last packet")
        XCTAssertFalse(anchor.admit(65530), "an earlier one, across the wrap")
        XCTAssertTrue(anchor.admit(10))
        XCTAssertTrue(anchor.admit(11))
        XCTAssertTrue(anchor.isSince(output: 500))
        XCTAssertFalse(anchor.isSince(output: 499))
    }
}
