/// The header of one EBML element as read back.
public struct EBMLElementHeader: Sendable, Equatable {
    /// Element ID with marker bits.
    public var id: UInt32
    /// Offset of the ID.
    public var offset: Int
    /// ID plus size field length.
    public var headerLength: Int
    /// Length of the size field.
    public var sizeLength: Int
    /// Data size, or nil for "unknown".
    public var size: Int?
    /// Offset of the data.
    public var dataOffset: Int { offset + headerLength }
}

/// Reads EBML element headers and values (RFC 8794) from a byte buffer.
public enum EBMLReader {
    /// Reads the element header at `offset` of `bytes`; nil if truncated or malformed.
    public static func header(in bytes: UnsafeRawBufferPointer, at offset: Int) -> EBMLElementHeader? {
        guard offset < bytes.count else { return nil }
        let first = bytes[offset]
        guard first != 0 else { return nil }
        let idLength = first.leadingZeroBitCount + 1
        guard idLength <= 4, offset + idLength <= bytes.count else { return nil }
        var id: UInt32 = 0
        for index in 0..<idLength { id = id << 8 | UInt32(bytes[offset + index]) }
        let sizeOffset = offset + idLength
        guard sizeOffset < bytes.count else { return nil }
        let sizeFirst = bytes[sizeOffset]
        guard sizeFirst != 0 else { return nil }
        let sizeLength = sizeFirst.leadingZeroBitCount + 1
        guard sizeOffset + sizeLength <= bytes.count else { return nil }
        var value = UInt64(sizeFirst) & ((1 << (8 - UInt64(sizeLength))) - 1)
        var allOnes = value == (1 << (8 - UInt64(sizeLength))) - 1
        for index in 1..<sizeLength {
            let byte = bytes[sizeOffset + index]
            value = value << 8 | UInt64(byte)
            allOnes = allOnes && byte == 0xFF
        }
        let size: Int? = allOnes ? nil : (value > UInt64(Int.max) ? nil : Int(value))
        return EBMLElementHeader(id: id, offset: offset, headerLength: idLength + sizeLength,
                                 sizeLength: sizeLength, size: size)
    }

    /// Array convenience for `header(in:at:)`.
    public static func header(in bytes: [UInt8], at offset: Int) -> EBMLElementHeader? {
        bytes.withUnsafeBytes { header(in: $0, at: offset) }
    }

    /// A big-endian unsigned integer of `length` octets.
    public static func uint(_ bytes: [UInt8], at offset: Int, length: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in 0..<length where offset + index < bytes.count { value = value << 8 | UInt64(bytes[offset + index]) }
        return value
    }

    /// A float element's value (4 or 8 octets).
    public static func float(_ bytes: [UInt8], at offset: Int, length: Int) -> Double {
        if length == 4 { return Double(Float(bitPattern: UInt32(uint(bytes, at: offset, length: 4)))) }
        return Double(bitPattern: uint(bytes, at: offset, length: 8))
    }

    /// Reads a VINT value (used for a block's track number); nil if malformed.
    public static func vint(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (value: UInt64, length: Int)? {
        guard offset < bytes.count, bytes[offset] != 0 else { return nil }
        let length = bytes[offset].leadingZeroBitCount + 1
        guard offset + length <= bytes.count else { return nil }
        var value = UInt64(bytes[offset]) & ((1 << (8 - UInt64(length))) - 1)
        for index in 1..<length { value = value << 8 | UInt64(bytes[offset + index]) }
        return (value, length)
    }
}
