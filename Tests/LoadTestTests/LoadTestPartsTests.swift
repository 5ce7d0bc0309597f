@testable import LoadTest
import XCTest

final class LoadTestPartsTests: XCTestCase {
    func testURLParsing() throws {
        let v4 = try HTTPRequest(url: "http://127.0.0.1:7880/")
        XCTAssertEqual(v4.host, "127.0.0.1")
        XCTAssertEqual(v4.port, 7880)
        let v6 = try HTTPRequest(url: "http://[::1]:9000/base")
        XCTAssertEqual(v6.host, "::1")
        XCTAssertEqual(v6.port, 9000)
        XCTAssertEqual(v6.basePath, "base")
        XCTAssertThrowsError(try HTTPRequest(url: "https://example.com"))
        XCTAssertThrowsError(try HTTPRequest(url: "http://"))
    }

    func testResponseParsing() throws {
        let plain = try HTTPRequest.parse(Array("HTTP/1.1 201 Created\r\nLocation: /whip/r/PA_1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\n".utf8))
        XCTAssertEqual(plain.status, 201)
        XCTAssertEqual(plain.headers["location"], "/whip/r/PA_1")
        XCTAssertEqual(plain.body, "v=0\r\n")
        let chunked = try HTTPRequest.parse(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n".utf8))
        XCTAssertEqual(chunked.body, "abcde")
        XCTAssertThrowsError(try HTTPRequest.parse(Array("HTTP/1.1 200 OK\r\n".utf8)), "no end of headers")
        XCTAssertThrowsError(try HTTPRequest.parse(Array("garbage\r\n\r\n".utf8)))
    }

    func testVP8PacketizationMarksFrameStartsOnly() {
        let frame = (0..<2500).map { UInt8(truncatingIfNeeded: $0) }
        let payloads = EncodedMedia.packetizeVP8(frame)
        XCTAssertEqual(payloads.count, 3)
        XCTAssertEqual(payloads.map { $0[0] }, [0x10, 0x00, 0x00], "S bit on the first packet only (RFC 7741 §4.2)")
        XCTAssertTrue(payloads.allSatisfy { $0.count <= EncodedMedia.maxPayload })
        XCTAssertEqual(Array(payloads.map { $0.dropFirst() }.joined()), frame)
    }

    func testLatencyPercentiles() {
        var histogram = LatencyHistogram()
        XCTAssertNil(histogram.percentile(0.5))
        for micros in 1...1000 { histogram.record(nanoseconds: Int64(micros) * 1000) }
        histogram.record(nanoseconds: 120_000_000) // one 120 ms outlier
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(0.5)), 0.50, accuracy: 0.011)
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(0.99)), 0.99, accuracy: 0.011)
        XCTAssertEqual(try XCTUnwrap(histogram.percentile(1.0)), 121, accuracy: 0.001)
        var merged = LatencyHistogram()
        merged.add(histogram)
        XCTAssertEqual(merged.count, 1001)
        XCTAssertEqual(merged.maximum, 120_000_000)
    }

    func testEncodedMediaHitsItsBitrate() throws {
        let media = try EncodedMedia.make(videoBitrateKbps: 1500, seconds: 1)
        XCTAssertTrue(media.video.first?.isKeyframe == true, "the loop starts with a keyframe")
        XCTAssertEqual(media.video.count, 30)
        XCTAssertEqual(media.measuredVideoKbps, 1500, accuracy: 450, "\(media.measuredVideoKbps)")
        XCTAssertEqual(media.audio.count, 50)
        let low = try EncodedMedia.make(videoBitrateKbps: 300, seconds: 1)
        XCTAssertEqual(low.measuredVideoKbps, 300, accuracy: 150, "the picture detail follows the target: \(low.measuredVideoKbps)")
    }
}
