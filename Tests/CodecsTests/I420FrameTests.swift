import XCTest
import Codecs

final class I420FrameTests: XCTestCase {
    func testPlaneSizesAndValidation() throws {
        let frame = try I420Frame(width: 5, height: 3)
        XCTAssertEqual(frame.chromaWidth, 3)
        XCTAssertEqual(frame.chromaHeight, 2)
        XCTAssertEqual(frame.y.count, 15)
        XCTAssertEqual(frame.u.count, 6)
        XCTAssertEqual(frame.v.count, 6)
        XCTAssertEqual(frame.yStride, 5)
        XCTAssertEqual(frame.uvStride, 3)

        XCTAssertThrowsError(try I420Frame(width: 0, height: 3))
        XCTAssertThrowsError(try I420Frame(width: 4, height: 4, y: [UInt8](repeating: 0, count: 15),
                                           u: [0, 0, 0, 0], v: [0, 0, 0, 0]))
        XCTAssertThrowsError(try I420Frame(width: 4, height: 4, y: [UInt8](repeating: 0, count: 16),
                                           u: [0, 0, 0], v: [0, 0, 0, 0]))
        XCTAssertNoThrow(try I420Frame(width: 4, height: 4, y: [UInt8](repeating: 0, count: 16),
                                       u: [0, 0, 0, 0], v: [0, 0, 0, 0]))
    }

    func testStridedInitRepacks() throws {
        // 3x2 luma with stride 4, 2x1 chroma with stride 3; padding bytes are 0xFF.
        let frame = try I420Frame(width: 3, height: 2,
                                  y: [1, 2, 3, 0xFF, 4, 5, 6], yStride: 4,
                                  u: [7, 8, 0xFF], uStride: 3,
                                  v: [9, 10], vStride: 2)
        XCTAssertEqual(frame.y, [1, 2, 3, 4, 5, 6])
        XCTAssertEqual(frame.u, [7, 8])
        XCTAssertEqual(frame.v, [9, 10])
        XCTAssertThrowsError(try I420Frame(width: 3, height: 2, y: [1, 2, 3, 0xFF, 4, 5], yStride: 4,
                                           u: [7, 8], uStride: 2, v: [9, 10], vStride: 2))
        XCTAssertThrowsError(try I420Frame(width: 3, height: 2, y: [UInt8](repeating: 0, count: 6), yStride: 2,
                                           u: [7, 8], uStride: 2, v: [9, 10], vStride: 2))
    }

    func testPatternMovesAndPSNR() throws {
        let a = try I420Frame.testPattern(width: 64, height: 48, frameIndex: 0)
        let b = try I420Frame.testPattern(width: 64, height: 48, frameIndex: 1)
        XCTAssertEqual(a, try I420Frame.testPattern(width: 64, height: 48, frameIndex: 0))
        XCTAssertNotEqual(a, b)
        XCTAssertEqual(a.psnr(against: a), .infinity)
        let p = try XCTUnwrap(a.psnr(against: b))
        XCTAssertTrue(p.isFinite && p > 0)
        XCTAssertNil(a.psnr(against: try I420Frame(width: 32, height: 48)))
        XCTAssertNoThrow(try I420Frame.testPattern(width: 1, height: 1, frameIndex: 7))
    }
}
