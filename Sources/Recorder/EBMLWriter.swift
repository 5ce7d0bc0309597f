/// EBML encoding helpers (RFC 8794): element IDs, variable-size integers, and elements of
/// each type, appended to a byte buffer.
public enum EBML {
    /// The 8-byte "unknown size" value (all value bits set, RFC 8794 section 6.2): used for a
    /// live Segment and Clusters, fixed up at finalize.
    public static let unknownSize: [UInt8] = [0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF]
    /// Largest value an 8-byte VINT can hold (2^56 - 2; all ones means unknown).
    public static let maxSize: Int = (1 << 56) - 2

    /// Appends an element ID (its marker bits are part of the value).
    public static func appendID(_ id: UInt32, to out: inout [UInt8]) {
        if id > 0xFF_FFFF { out.append(UInt8(truncatingIfNeeded: id >> 24)) }
        if id > 0xFFFF { out.append(UInt8(truncatingIfNeeded: id >> 16)) }
        if id > 0xFF { out.append(UInt8(truncatingIfNeeded: id >> 8)) }
        out.append(UInt8(truncatingIfNeeded: id))
    }

    /// Octets needed for `value` as a VINT (1...8), never using the all-ones pattern.
    public static func vintLength(_ value: Int) -> Int {
        var length = 1
        while length < 8, value >= (1 << (7 * length)) - 1 { length += 1 }
        return length
    }

    /// Appends `value` as a VINT of `width` octets (minimal when nil).
    public static func appendSize(_ value: Int, width: Int? = nil, to out: inout [UInt8]) {
        let width = width ?? vintLength(value)
        let marked = UInt64(value) | (1 << (7 * UInt64(width)))
        for index in stride(from: width - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: marked >> (8 * UInt64(index))))
        }
    }

    /// The 8-octet VINT for `value` (for sizes patched in place).
    public static func size8(_ value: Int) -> [UInt8] {
        var out: [UInt8] = []
        appendSize(value, width: 8, to: &out)
        return out
    }

    /// Appends an unsigned-integer element, minimal width unless `width` is given.
    public static func appendUInt(_ id: UInt32, _ value: UInt64, width: Int? = nil, to out: inout [UInt8]) {
        var length = width ?? 1
        if width == nil { while length < 8, value >> (8 * UInt64(length)) != 0 { length += 1 } }
        appendID(id, to: &out)
        appendSize(length, to: &out)
        for index in stride(from: length - 1, through: 0, by: -1) {
            out.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(index))))
        }
    }

    /// Appends an 8-octet float element.
    public static func appendFloat(_ id: UInt32, _ value: Double, to out: inout [UInt8]) {
        appendID(id, to: &out)
        appendSize(8, to: &out)
        let bits = value.bitPattern
        for index in stride(from: 7, through: 0, by: -1) { out.append(UInt8(truncatingIfNeeded: bits >> (8 * UInt64(index)))) }
    }

    /// Appends a string (ASCII or UTF-8) element.
    public static func appendString(_ id: UInt32, _ value: String, to out: inout [UInt8]) {
        appendBinary(id, Array(value.utf8), to: &out)
    }

    /// Appends a binary element.
    public static func appendBinary(_ id: UInt32, _ value: [UInt8], to out: inout [UInt8]) {
        appendID(id, to: &out)
        appendSize(value.count, to: &out)
        out += value
    }

    /// Appends a master element whose children `body` appends (header-time only: builds the
    /// body in a temporary buffer to learn its size).
    public static func appendMaster(_ id: UInt32, to out: inout [UInt8], _ body: (inout [UInt8]) -> Void) {
        var children: [UInt8] = []
        body(&children)
        appendBinary(id, children, to: &out)
    }

    /// Appends a Void element of exactly `totalLength` octets (at least 2): reserved space
    /// that readers skip and finalization overwrites.
    public static func appendVoid(totalLength: Int, to out: inout [UInt8]) {
        precondition(totalLength >= 2, "a Void element takes at least 2 octets")
        appendID(MatroskaID.void, to: &out)
        if totalLength - 2 < 127 {
            appendSize(totalLength - 2, width: 1, to: &out)
            out += repeatElement(0, count: totalLength - 2)
        } else {
            appendSize(totalLength - 9, width: 8, to: &out)
            out += repeatElement(0, count: totalLength - 9)
        }
    }
}
