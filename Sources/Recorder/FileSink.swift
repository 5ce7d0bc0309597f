#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A recording file: appends with `write(2)`, fix-ups with `pwrite(2)`, `fsync(2)` on sync.
/// Writers hand it whole pages/elements, so after a crash the file holds a prefix of what
/// was written up to the last completed `append`.
///
/// Single owner (the recording's writer); `@unchecked Sendable` only so it can be created on
/// one thread and handed to the writer. Closes the descriptor in `deinit` or `close()`.
public final class FileSink: SeekableRecordingSink, @unchecked Sendable {
    /// How to open the file.
    public enum Mode: Sendable {
        /// Create, or truncate an existing file (a new recording).
        case create
        /// Open an existing file for reading and fix-ups (repair).
        case update
    }

    /// The path given to `init`.
    public let path: String
    public private(set) var length: Int
    private var fd: Int32

    /// Opens `path`.
    public init(path: String, mode: Mode = .create) throws(RecorderError) {
        let flags: Int32 = switch mode {
        case .create: O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC
        case .update: O_RDWR | O_CLOEXEC
        }
        let fd = open(path, flags, 0o644)
        guard fd >= 0 else { throw .io(operation: "open \(path)", errno: errno) }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else {
            let error = errno
            _ = closeDescriptor(fd)
            throw .io(operation: "lseek", errno: error)
        }
        self.path = path
        self.fd = fd
        self.length = Int(end)
    }

    deinit {
        if fd >= 0 { _ = closeDescriptor(fd) }
    }

    /// Closes the file; later calls throw `.finished`.
    public func close() throws(RecorderError) {
        guard fd >= 0 else { return }
        let result = closeDescriptor(fd)
        fd = -1
        if result != 0 { throw .io(operation: "close", errno: errno) }
    }

    public func append(_ bytes: UnsafeRawBufferPointer) throws(RecorderError) {
        try writeAll(bytes, at: length)
        length += bytes.count
    }

    public func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RecorderError) {
        guard offset >= 0, offset + bytes.count <= length else {
            throw .invalidArgument("overwrite of \(bytes.count) bytes at \(offset) past end \(length)")
        }
        try writeAll(bytes, at: offset)
    }

    public func read(at offset: Int, count: Int) throws(RecorderError) -> [UInt8] {
        guard fd >= 0 else { throw .finished }
        guard offset >= 0, count >= 0 else { throw .invalidArgument("read at \(offset) count \(count)") }
        let wanted = max(0, min(count, length - offset))
        var out = [UInt8](repeating: 0, count: wanted)
        var done = 0
        while done < wanted {
            let n = out.withUnsafeMutableBytes { buffer in
                pread(fd, buffer.baseAddress! + done, wanted - done, off_t(offset + done))
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pread", errno: errno)
            }
            if n == 0 { break }
            done += n
        }
        if done < wanted { out.removeSubrange(done...) }
        return out
    }

    public func truncate(to newLength: Int) throws(RecorderError) {
        guard fd >= 0 else { throw .finished }
        guard newLength >= 0, newLength <= length else { throw .invalidArgument("truncate to \(newLength)") }
        guard ftruncate(fd, off_t(newLength)) == 0 else { throw .io(operation: "ftruncate", errno: errno) }
        length = newLength
    }

    public func sync() throws(RecorderError) {
        guard fd >= 0 else { throw .finished }
        guard fsync(fd) == 0 else { throw .io(operation: "fsync", errno: errno) }
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RecorderError) {
        guard fd >= 0 else { throw .finished }
        guard let base = bytes.baseAddress else { return }
        var done = 0
        while done < bytes.count {
            let n = pwrite(fd, base + done, bytes.count - done, off_t(offset + done))
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(operation: "pwrite", errno: errno)
            }
            done += n
        }
    }
}

// Inside the class `close` names the method, so the system call is reached through here.
@inline(__always)
private func closeDescriptor(_ fd: Int32) -> Int32 {
    close(fd)
}
