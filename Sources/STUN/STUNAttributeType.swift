/// A STUN attribute type number (RFC 8489 §14, §18.3; ICE additions from RFC 8445 §16.1).
public struct STUNAttributeType: RawRepresentable, Sendable, Hashable {
    /// The 16-bit type as it appears on the wire.
    public let rawValue: UInt16

    /// Wraps a raw type number.
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Types 0x0000-0x7FFF are comprehension-required: an agent that does not understand one
    /// must reject the request with 420 Unknown Attribute (RFC 8489 §14).
    public var isComprehensionRequired: Bool { rawValue < 0x8000 }

    public static let mappedAddress = STUNAttributeType(rawValue: 0x0001)
    public static let username = STUNAttributeType(rawValue: 0x0006)
    public static let messageIntegrity = STUNAttributeType(rawValue: 0x0008)
    public static let errorCode = STUNAttributeType(rawValue: 0x0009)
    public static let unknownAttributes = STUNAttributeType(rawValue: 0x000A)
    public static let realm = STUNAttributeType(rawValue: 0x0014)
    public static let nonce = STUNAttributeType(rawValue: 0x0015)
    public static let messageIntegritySHA256 = STUNAttributeType(rawValue: 0x001C)
    public static let xorMappedAddress = STUNAttributeType(rawValue: 0x0020)
    public static let priority = STUNAttributeType(rawValue: 0x0024)
    public static let useCandidate = STUNAttributeType(rawValue: 0x0025)
    public static let software = STUNAttributeType(rawValue: 0x8022)
    public static let fingerprint = STUNAttributeType(rawValue: 0x8028)
    public static let iceControlled = STUNAttributeType(rawValue: 0x8029)
    public static let iceControlling = STUNAttributeType(rawValue: 0x802A)
}
