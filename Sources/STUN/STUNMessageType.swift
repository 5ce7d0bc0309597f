/// The class of a STUN message: the two C bits of the message type (RFC 8489 §5).
public enum STUNMessageClass: UInt8, Sendable, Hashable, CaseIterable {
    case request = 0b00
    case indication = 0b01
    case successResponse = 0b10
    case errorResponse = 0b11
}

/// A STUN method: the 12 M bits of the message type (RFC 8489 §5, §18.2).
///
/// Kept open (a raw value rather than an enum) so a message with a method this build does not
/// know still parses; the ICE agent decides whether to answer it with a 400.
public struct STUNMethod: RawRepresentable, Sendable, Hashable {
    /// The 12-bit method number. Values above 0xFFF are masked when encoded.
    public let rawValue: UInt16

    /// Creates a method from its 12-bit number (higher bits are dropped).
    public init(rawValue: UInt16) { self.rawValue = rawValue & 0x0FFF }

    /// Binding (RFC 8489 §18.2), the only method ICE and WebRTC use.
    public static let binding = STUNMethod(rawValue: 0x001)
}

/// The 14-bit STUN message type: a class and a method with their bits interleaved.
///
/// RFC 8489 §5, Figure 3: `M11..M7 C1 M6..M4 C0 M3..M0`.
public struct STUNMessageType: Sendable, Hashable {
    /// Request, indication, success or error response.
    public var messageClass: STUNMessageClass
    /// The method (Binding for ICE).
    public var method: STUNMethod

    /// Creates a type from its class and method.
    public init(_ messageClass: STUNMessageClass, _ method: STUNMethod = .binding) {
        self.messageClass = messageClass
        self.method = method
    }

    /// Decodes the interleaved bits of the first header word. The two top bits are ignored
    /// here; the parser checks them separately.
    public init(rawValue: UInt16) {
        let c = ((rawValue >> 4) & 0x1) | ((rawValue >> 7) & 0x2)
        let m = (rawValue & 0x000F) | ((rawValue & 0x00E0) >> 1) | ((rawValue & 0x3E00) >> 2)
        // `c` is two bits, so every value has a case; fall back to request only to stay total.
        self.messageClass = STUNMessageClass(rawValue: UInt8(c)) ?? .request
        self.method = STUNMethod(rawValue: m)
    }

    /// The 14-bit wire encoding (top two bits zero).
    public var rawValue: UInt16 {
        let m = method.rawValue
        let c = UInt16(messageClass.rawValue)
        return (m & 0x000F) | ((c & 0x1) << 4) | ((m & 0x0070) << 1) | ((c & 0x2) << 7)
            | ((m & 0x0F80) << 2)
    }

    /// Binding request (0x0001).
    public static let bindingRequest = STUNMessageType(.request)
    /// Binding indication (0x0011), used by ICE as a keepalive.
    public static let bindingIndication = STUNMessageType(.indication)
    /// Binding success response (0x0101).
    public static let bindingSuccess = STUNMessageType(.successResponse)
    /// Binding error response (0x0111).
    public static let bindingError = STUNMessageType(.errorResponse)
}
