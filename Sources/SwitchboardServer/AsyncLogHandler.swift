import Foundation
import Logging

/// swift-log handler in StreamLogHandler's line format whose writes happen on a thread of
/// their own. A `write(2)` to a log file can block for tens of milliseconds while the file
/// system commits another file's fsync (SQLite's WAL checkpoints share the disk); the actor
/// that logged "participant joined" must not wait for that, nor for a slow pipe reader.
/// Lines beyond `LogWriter.maxPendingLines` are dropped and counted, never buffered without
/// bound; `critical` waits until everything before it is written.
public struct AsyncLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let writer: LogWriter

    public init(label: String, writer: LogWriter = .standardOutput) {
        self.label = label
        self.writer = writer
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(level: Logger.Level, message: Logger.Message, metadata explicit: Logger.Metadata?, source: String,
                    file: String, function: String, line: UInt) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let explicit { merged.merge(explicit) { $1 } }
        let pretty = merged.isEmpty ? "" : " " + merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        writer.enqueue("\(LogWriter.timestamp()) \(level) \(label):\(pretty) [\(source)] \(message)\n")
        if level == .critical { writer.flush() }
    }
}

/// The thread that writes log lines to a file descriptor in order.
public final class LogWriter: @unchecked Sendable {
    public static let standardOutput = LogWriter(fileDescriptor: 1)
    public static let maxPendingLines = 10_000

    private let fileDescriptor: Int32
    private let condition = NSCondition()
    private var pending: [String] = []
    private var writing = false
    private var dropped = 0

    public init(fileDescriptor: Int32) {
        self.fileDescriptor = fileDescriptor
        let thread = Thread { [self] in run() }
        thread.name = "sb-log"
        thread.start()
    }

    /// Lines dropped because the writer fell `maxPendingLines` behind.
    public var droppedLines: Int { condition.withLock { dropped } }

    func enqueue(_ line: String) {
        condition.lock()
        if pending.count >= Self.maxPendingLines {
            dropped += 1
        } else {
            pending.append(line)
            condition.broadcast()
        }
        condition.unlock()
    }

    /// Returns once every line enqueued before the call is written.
    public func flush() {
        condition.lock()
        while !pending.isEmpty || writing { condition.wait() }
        condition.unlock()
    }

    private func run() {
        var reportedDrops = 0
        while true {
            condition.lock()
            while pending.isEmpty { condition.wait() }
            var batch = pending
            pending.removeAll(keepingCapacity: true)
            let drops = dropped
            writing = true
            condition.unlock()
            if drops > reportedDrops {
                batch.append("\(Self.timestamp()) warning switchboard: [Log] \(drops - reportedDrops) log line(s) dropped: output too slow\n")
                reportedDrops = drops
            }
            var bytes = Array(batch.joined().utf8)
            var offset = 0
            while offset < bytes.count {
                let n = bytes.withUnsafeMutableBytes { Foundation.write(fileDescriptor, $0.baseAddress! + offset, $0.count - offset) }
                if n > 0 { offset += n } else if n < 0 && errno == EINTR { continue } else { break }
            }
            bytes.removeAll()
            condition.lock()
            writing = false
            condition.broadcast()
            condition.unlock()
        }
    }

    static func timestamp() -> String {
        var now = time(nil)
        var parts = tm()
        localtime_r(&now, &parts)
        var buffer = [Int8](repeating: 0, count: 64)
        let count = strftime(&buffer, buffer.count, "%Y-%m-%dT%H:%M:%S%z", &parts)
        return String(decoding: buffer[..<count].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
