/// The header extension of an RTP packet (RFC 3550 §5.3.1), decoded per RFC 8285 when it uses
/// one of that RFC's profiles.
public enum RTPHeaderExtension: Sendable, Hashable {
    /// RFC 8285 §4.2 one-byte form, profile 0xBEDE. When serialized, falls back to the
    /// two-byte form if any element does not fit (see ``RTPExtensionElement/fitsOneByteForm``).
    case oneByte([RTPExtensionElement])
    /// RFC 8285 §4.3 two-byte form, profile 0x100X; `appBits` is the low nibble X
    /// (application-defined, usually 0).
    case twoByte(appBits: UInt8, [RTPExtensionElement])
    /// Any other profile, kept as the raw extension body (a multiple of 4 bytes).
    case other(profile: UInt16, data: [UInt8])

    /// The profile for RFC 8285 one-byte elements.
    public static let oneByteProfile: UInt16 = 0xBEDE
    /// Profiles 0x1000...0x100F carry RFC 8285 two-byte elements.
    public static let twoByteProfileBase: UInt16 = 0x1000
    /// The most elements a parsed extension may hold. RFC 8285 allows at most 255 distinct
    /// ids; the cap bounds allocation for hostile packets.
    public static let maximumElementCount = 255

    /// The one-byte form when every element fits it, else the two-byte form with app bits 0,
    /// as RFC 8285 §4.1 recommends (one-byte unless two-byte is needed).
    public static func elements(_ elements: [RTPExtensionElement]) -> RTPHeaderExtension {
        elements.allSatisfy(\.fitsOneByteForm) ? .oneByte(elements) : .twoByte(appBits: 0, elements)
    }

    /// The RFC 8285 elements (empty for ``other(profile:data:)``).
    public var elements: [RTPExtensionElement] {
        switch self {
        case .oneByte(let elements), .twoByte(_, let elements): elements
        case .other: []
        }
    }

    /// The first element with `id`, if any.
    public func element(id: UInt8) -> RTPExtensionElement? {
        elements.first { $0.id == id }
    }
}
