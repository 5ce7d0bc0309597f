// Typed errors for the codec wrappers. Each carries the library's own error string so a log
// line says what libopus / libvpx said, not just a number.

/// An error reported by libopus (or a precondition checked before calling it).
public struct OpusError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libopus call (or wrapper method) that failed, e.g. "opus_encode".
    public let operation: String
    /// The libopus error code (`OPUS_BAD_ARG` = -1, `OPUS_INVALID_PACKET` = -4, ...).
    public let code: Int32
    /// `opus_strerror(code)`, or a wrapper-supplied explanation for argument checks.
    public let message: String

    public init(operation: String, code: Int32, message: String) {
        self.operation = operation
        self.code = code
        self.message = message
    }

    public var description: String { "\(operation) failed (\(code)): \(message)" }

    /// libopus error codes (from opus_defines.h), for matching.
    public static let badArgument: Int32 = -1
    public static let bufferTooSmall: Int32 = -2
    public static let internalError: Int32 = -3
    public static let invalidPacket: Int32 = -4
    public static let unimplemented: Int32 = -5
    public static let invalidState: Int32 = -6
    public static let allocationFailure: Int32 = -7
}

/// An error reported by libvpx (or a precondition checked before calling it).
public struct VPXError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The libvpx call (or wrapper method) that failed, e.g. "vpx_codec_decode".
    public let operation: String
    /// The `vpx_codec_err_t` value (`VPX_CODEC_CORRUPT_FRAME` = 7, ...).
    public let code: Int32
    /// `vpx_codec_err_to_string(code)`.
    public let message: String
    /// `vpx_codec_error_detail(ctx)` when libvpx supplied one, or a wrapper-supplied detail.
    public let detail: String?

    public init(operation: String, code: Int32, message: String, detail: String? = nil) {
        self.operation = operation
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String {
        if let detail, !detail.isEmpty { return "\(operation) failed (\(code)): \(message): \(detail)" }
        return "\(operation) failed (\(code)): \(message)"
    }

    /// `vpx_codec_err_t` values (from vpx_codec.h), for matching.
    public static let error: Int32 = 1
    public static let memoryError: Int32 = 2
    public static let abiMismatch: Int32 = 3
    public static let incapable: Int32 = 4
    public static let unsupportedBitstream: Int32 = 5
    public static let unsupportedFeature: Int32 = 6
    public static let corruptFrame: Int32 = 7
    public static let invalidParameter: Int32 = 8
}

/// A malformed `I420Frame` (plane sizes that do not match the dimensions).
public struct I420FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { "invalid I420 frame: \(message)" }
}
