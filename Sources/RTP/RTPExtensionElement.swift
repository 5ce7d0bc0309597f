/// One RFC 8285 header extension element: a local identifier negotiated with
/// `a=extmap` and an opaque value.
public struct RTPExtensionElement: Sendable, Hashable {
    /// The local identifier, 1...255 (1...14 for the one-byte form).
    public let id: UInt8
    /// The element's data, at most 255 bytes (1...16 for the one-byte form).
    public let value: [UInt8]

    /// Creates an element; nil when `id` is 0 (reserved for padding, RFC 8285 §4.2/§4.3) or
    /// `value` is longer than the two-byte form can carry (255 bytes).
    public init?(id: UInt8, value: [UInt8]) {
        guard id != 0, value.count <= 255 else { return nil }
        self.id = id
        self.value = value
    }

    /// For the parser, whose input has already been bounds-checked.
    init(validatedID id: UInt8, value: [UInt8]) {
        self.id = id
        self.value = value
    }

    /// Whether the element can be written in the one-byte form (RFC 8285 §4.2): id 1...14
    /// (15 is reserved) and 1...16 bytes of data.
    public var fitsOneByteForm: Bool {
        (1...14).contains(id) && (1...16).contains(value.count)
    }
}
