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
        XCTAssertTrue(anchor.isSince(output: (sequence &- 1) &+ (100 &- 65000)))
    }

    func testPacketsFromBeforeTheAnchorAreRefusedEarlyInTheStretch() {
        var anchor = SequenceAnchor()
        anchor.reset(source: 10, output: 500)
        XCTAssertFalse(anchor.admit(9), "the previous stretch's last packet")
        XCTAssertFalse(anchor.admit(65530), "an earlier one, across the wrap")
        XCTAssertTrue(anchor.admit(10))
        XCTAssertTrue(anchor.admit(11))
        XCTAssertTrue(anchor.isSince(output: 500))
        XCTAssertFalse(anchor.isSince(output: 499))
        // A stray packet far ahead is sent but moves nothing: the stream goes on.
        XCTAssertTrue(anchor.admit(30_000))
        XCTAssertTrue(anchor.admit(12))
        XCTAssertFalse(anchor.admit(8))
        // A new stretch checks again.
        anchor.reset(source: 40_000, output: 13)
        XCTAssertFalse(anchor.admit(39_999))
    }
}
