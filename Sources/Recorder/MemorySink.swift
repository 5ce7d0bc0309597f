/// A sink that keeps the bytes in memory: for tests, and for building small files whole.
///
/// Single owner; `@unchecked Sendable` only so it can be handed to the owner.
public final class MemorySink: SeekableRecordingSink, @unchecked Sendable {
    /// Everything written so far.
    public private(set) var bytes: [UInt8] = []
    /// Number of `sync` calls (tests check that writers sync at page/cluster boundaries).
    public private(set) var syncCount = 0
    /// When set, appends beyond this many bytes fail with `ENOSPC` (simulates a full disk).
    public var capacityLimit: Int?

    /// Creates an empty sink, or one holding `bytes` (e.g. to repair them).
    public init(_ bytes: [UInt8] = []) {
        self.bytes = bytes
    }

    public var length: Int { bytes.count }

    public func append(_ buffer: UnsafeRawBufferPointer) throws(RecorderError) {
        if let capacityLimit, bytes.count + buffer.count > capacityLimit {
            throw .io(operation: "write", errno: 28 /* ENOSPC */)
        }
        bytes.append(contentsOf: buffer)
    }

    public func sync() throws(RecorderError) {
        syncCount += 1
    }

    public func overwrite(_ buffer: UnsafeRawBufferPointer, at offset: Int) throws(RecorderError) {
        guard offset >= 0, offset + buffer.count <= bytes.count else {
            throw .invalidArgument("overwrite of \(buffer.count) bytes at \(offset) past end \(bytes.count)")
        }
        bytes.withUnsafeMutableBytes { target in
            UnsafeMutableRawBufferPointer(rebasing: target[offset..<(offset + buffer.count)]).copyMemory(from: buffer)
        }
    }

    public func read(at offset: Int, count: Int) throws(RecorderError) -> [UInt8] {
        guard offset >= 0, count >= 0 else { throw .invalidArgument("read at \(offset) count \(count)") }
        guard offset < bytes.count else { return [] }
        return Array(bytes[offset..<min(bytes.count, offset + count)])
    }

    public func truncate(to length: Int) throws(RecorderError) {
        guard length >= 0, length <= bytes.count else { throw .invalidArgument("truncate to \(length)") }
        bytes.removeSubrange(length...)
    }
}
