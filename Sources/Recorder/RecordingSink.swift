/// Where a writer's bytes go: a file, or memory in tests. Writers produce whole Ogg pages and
/// Matroska elements, so what reached the sink is always a playable prefix of the file.
///
/// Sinks are reference types with a single owner (the recording that writes to them); they
/// are not safe to use from two threads at once.
public protocol RecordingSink: AnyObject {
    /// Bytes appended so far: the offset the next `append` writes at.
    var length: Int { get }
    /// Appends `bytes` at the end.
    func append(_ bytes: UnsafeRawBufferPointer) throws(RecorderError)
    /// Makes everything appended so far durable (fsync for files).
    func sync() throws(RecorderError)
}

/// A sink that can also rewrite and read earlier bytes: what Matroska finalization (sizes,
/// Cues, Duration fixed up in place) and crash repair need.
public protocol SeekableRecordingSink: RecordingSink {
    /// Overwrites `bytes` at `offset` (which must be `<= length - bytes.count`); does not move
    /// the append position.
    func overwrite(_ bytes: UnsafeRawBufferPointer, at offset: Int) throws(RecorderError)
    /// Reads up to `count` bytes at `offset` (fewer at the end of the data).
    func read(at offset: Int, count: Int) throws(RecorderError) -> [UInt8]
    /// Cuts the data to `length` bytes.
    func truncate(to length: Int) throws(RecorderError)
}

extension RecordingSink {
    /// Appends an array of bytes.
    public func append(_ bytes: [UInt8]) throws(RecorderError) {
        try withBytes(bytes) { buffer throws(RecorderError) in try append(buffer) }
    }
}

extension SeekableRecordingSink {
    /// Overwrites an array of bytes at `offset`.
    public func overwrite(_ bytes: [UInt8], at offset: Int) throws(RecorderError) {
        try withBytes(bytes) { buffer throws(RecorderError) in try overwrite(buffer, at: offset) }
    }
}
