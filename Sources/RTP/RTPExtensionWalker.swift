/// Walks the elements of an RFC 8285 extension block in place. Shared by the view (finding
/// and validating without allocating) and the value parser so the two always agree.
///
/// Every read is preceded by an explicit bounds check against `end`, which the caller has
/// checked against the buffer.
enum RTPExtensionWalker {
    /// Which RFC 8285 element encoding a profile uses, or nil for other profiles.
    enum Form: Sendable {
        case oneByte, twoByte

        init?(profile: UInt16) {
            if profile == RTPHeaderExtension.oneByteProfile {
                self = .oneByte
            } else if profile & 0xFFF0 == RTPHeaderExtension.twoByteProfileBase {
                self = .twoByte
            } else {
                return nil
            }
        }
    }

    /// Calls `visit(id, valueStart, valueLength)` for each element in `start..<end` until it
    /// returns true. Padding bytes (id 0) are skipped; in the one-byte form id 15 ends the
    /// walk (RFC 8285 §4.2: “processing of the entire extension should terminate”).
    /// - Returns: nil when the block is well formed up to where the walk stopped.
    static func walk(
        _ buffer: UnsafeRawBufferPointer, start: Int, end: Int, form: Form,
        _ visit: (UInt8, Int, Int) -> Bool
    ) -> RTPParseError? {
        guard start >= 0, start <= end, end <= buffer.count else { return .extensionOverflow }
        var offset = start
        var count = 0
        while offset < end {
            let first = buffer[offset]
            let id: UInt8, valueStart: Int, valueLength: Int
            switch form {
            case .oneByte:
                id = first >> 4
                if id == 0 { offset += 1; continue }
                if id == 15 { return nil }
                valueStart = offset + 1
                valueLength = Int(first & 0x0F) + 1
            case .twoByte:
                id = first
                if id == 0 { offset += 1; continue }
                guard end - offset >= 2 else { return .malformedExtensionElement }
                valueStart = offset + 2
                valueLength = Int(buffer[offset + 1])
            }
            guard end - valueStart >= valueLength else { return .malformedExtensionElement }
            count += 1
            guard count <= RTPHeaderExtension.maximumElementCount else { return .tooManyExtensionElements }
            if visit(id, valueStart, valueLength) { return nil }
            offset = valueStart + valueLength
        }
        return nil
    }
}
