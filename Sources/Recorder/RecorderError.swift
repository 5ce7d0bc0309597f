import PayloadFormats
import RTP

/// Why the recorder refused input or could not write. Every public throwing API of the
/// Recorder module throws this one type, so callers can switch over it exhaustively.
public enum RecorderError: Error, Sendable, Equatable {
    /// The bytes are not an RTP packet (RFC 3550 section 5.1).
    case malformedRTP(RTPParseError)
    /// The VP8 payload descriptor or header is malformed (RFC 7741 section 4).
    case malformedVP8(VP8Error)
    /// The Opus packet violates RFC 6716 section 3.4 (bad TOC, lengths or duration).
    case malformedOpus
    /// An Ogg page or Matroska/EBML structure is malformed (reading or repairing a file).
    case malformedContainer(String)
    /// A system call on the recording's file failed; `errno` is the C error number.
    case io(operation: String, errno: Int32)
    /// A parameter is out of range (channel count, track number, dimensions, ...).
    case invalidArgument(String)
    /// A bounded buffer is full: the writer fell too far behind (a slow disk). The
    /// recording should be failed rather than let memory grow.
    case bufferFull
    /// The writer or recording has already been finished or aborted.
    case finished
}

/// Runs `body` on the bytes of `array`, keeping `body`'s typed error (the standard library's
/// `withUnsafeBytes` only rethrows untyped errors).
@inline(__always)
func withBytes<R>(
    _ array: [UInt8], _ body: (UnsafeRawBufferPointer) throws(RecorderError) -> R
) throws(RecorderError) -> R {
    let result: Result<R, RecorderError> = array.withUnsafeBytes { buffer in
        Result { () throws(RecorderError) in try body(buffer) }
    }
    return try result.get()
}
