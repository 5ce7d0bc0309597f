import Foundation
import Recorder
import XCTest

/// Builds an RTP packet (RFC 3550, no CSRC or extensions).
func rtpPacket(sequence: UInt16, timestamp: UInt32, ssrc: UInt32 = 0x1234_5678, payloadType: UInt8 = 111,
               marker: Bool = false, payload: [UInt8]) -> [UInt8] {
    var bytes: [UInt8] = [0x80, (marker ? 0x80 : 0) | payloadType,
                          UInt8(sequence >> 8), UInt8(sequence & 0xFF)]
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: timestamp >> UInt32(shift))) }
    for shift in stride(from: 24, through: 0, by: -8) { bytes.append(UInt8(truncatingIfNeeded: ssrc >> UInt32(shift))) }
    return bytes + payload
}

/// A structurally valid 20 ms Opus packet (RFC 6716: TOC config 31 = CELT fullband 20 ms,
/// mono, one frame). The recorder checks structure, not content.
let opusPacket: [UInt8] = [0xF8, 0xFF, 0xFE, 0x01, 0x02]

/// The i-th packet of a 20 ms Opus stream.
func opusRTP(_ i: Int, ssrc: UInt32 = 0x1234_5678) -> [UInt8] {
    rtpPacket(sequence: UInt16(truncatingIfNeeded: 1000 + i), timestamp: UInt32(truncatingIfNeeded: 5000 + i * 960),
              ssrc: ssrc, payload: opusPacket)
}

/// Waits (polling) until `condition` holds or `timeout` passes.
func waitUntil(_ what: String, timeout: TimeInterval = 5, file: StaticString = #filePath, line: UInt = #line,
               _ condition: () throws -> Bool) rethrows {
    let deadline = Date().addingTimeInterval(timeout)
    while Date() < deadline {
        if try condition() { return }
        usleep(2_000)
    }
    XCTFail("timed out after \(timeout)s waiting for \(what)", file: file, line: line)
}

/// A temporary directory removed by the test's tear-down.
func makeTemporaryDirectory(_ label: String) throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("\(label)-\(UUID().uuidString)", isDirectory: true)
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

/// A file sink that can be made to stall, like a disk that stopped answering: once `stall()`
/// was called, the next append blocks until `resume()`.
final class StallingSink: SeekableRecordingSink, @unchecked Sendable {
    private let inner: FileSink
    private let lock = NSCondition()
    private var stalled = false
    private(set) var blockedWrites = 0

    init(path: String) throws(RecorderError) {
        inner = try FileSink(path: path)
    }

    func stall() { lock.withLock { stalled = true } }

    func resume() {
        lock.withLock {
            stalled = false
            lock.broadcast()
        }
    }

    var isBlocked: Bool { lock.withLock { blockedWrites > 0 && stalled } }

    private func waitWhileStalled() {
        lock.withLock {
            if stalled { blockedWrites += 1 }
            while stalled { lock.wait() }
        }
    }

    var length: Int { inner.length }

    func append(_ bytes: UnsafeRawBufferPointer) throws(RecorderError) {
        waitWhileStalled()
        try inner.append(bytes)
    }

    func sync() throws(RecorderError) { try inner.sync() }

    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RecorderError) {
        waitWhileStalled()
        try inner.overwrite(bytes, at: offset)
    }

    func read(at offset: Int, count: Int) throws(RecorderError) -> [UInt8] { try inner.read(at: offset, count: count) }
    func truncate(to length: Int) throws(RecorderError) { try inner.truncate(to: length) }
}
