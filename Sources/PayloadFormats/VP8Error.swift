/// Errors from VP8 RTP payload parsing and rewriting.
public enum VP8Error: Error, Equatable, Sendable {
    /// The buffer ends before the descriptor or header it declares.
    case truncated
    /// A field holds a value that cannot be encoded (e.g. a 7-bit picture ID above 127,
    /// a partition index above 7).
    case invalidValue
    /// The rewrite target (picture ID, TL0PICIDX) is not present in the descriptor.
    case fieldAbsent
    /// The frame is not a keyframe, or its start code is not 9d 01 2a (RFC 6386 section 9.1).
    case notKeyframe
}
