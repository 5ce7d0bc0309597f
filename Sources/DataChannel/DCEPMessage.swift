/// The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK,
/// sent on the channel's own stream with PPID 50. Pure values; `parse` never traps.
public enum DCEPMessage: Equatable, Sendable {
    case open(DataChannelParameters)
    case ack

    static let openType: UInt8 = 0x03, ackType: UInt8 = 0x02
    /// Labels and protocols are at most 65535 bytes by the wire format; we take far less.
    public static let maxLabelLength = 1024

    public enum ParseError: Error, Equatable, Sendable {
        case empty, unknownType(UInt8), truncated, unknownChannelType(UInt8), labelTooLong, notUTF8
    }

    public static func parse(_ bytes: [UInt8]) throws(ParseError) -> DCEPMessage {
        guard let type = bytes.first else { throw .empty }
        switch type {
        case ackType:
            return .ack
        case openType:
            guard bytes.count >= 12 else { throw .truncated }
            guard let channelType = DataChannelParameters.Reliability.ChannelType(rawValue: bytes[1]) else {
                throw .unknownChannelType(bytes[1])
            }
            let priority = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
            let value = UInt32(bytes[4]) << 24 | UInt32(bytes[5]) << 16 | UInt32(bytes[6]) << 8 | UInt32(bytes[7])
            let labelLength = Int(bytes[8]) << 8 | Int(bytes[9])
            let protocolLength = Int(bytes[10]) << 8 | Int(bytes[11])
            guard labelLength <= maxLabelLength, protocolLength <= maxLabelLength else { throw .labelTooLong }
            guard bytes.count >= 12 + labelLength + protocolLength else { throw .truncated }
            guard let label = String(validating: bytes[12..<12 + labelLength], as: UTF8.self),
                  let proto = String(validating: bytes[(12 + labelLength)..<(12 + labelLength + protocolLength)], as: UTF8.self)
            else { throw .notUTF8 }
            return .open(DataChannelParameters(label: label, protocol: proto, priority: priority,
                                               reliability: .init(channelType, value: value)))
        default:
            throw .unknownType(type)
        }
    }

    public var bytes: [UInt8] {
        switch self {
        case .ack:
            return [Self.ackType]
        case .open(let p):
            let label = Array(p.label.utf8), proto = Array(p.protocol.utf8)
            let (type, value) = p.reliability.wire
            var out: [UInt8] = [Self.openType, type.rawValue, UInt8(p.priority >> 8), UInt8(p.priority & 0xFF),
                                UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF),
                                UInt8(label.count >> 8), UInt8(label.count & 0xFF), UInt8(proto.count >> 8), UInt8(proto.count & 0xFF)]
            out += label
            out += proto
            return out
        }
    }
}

/// What a data channel is: its label and sub-protocol, and how it delivers (RFC 8832 §5.1).
public struct DataChannelParameters: Equatable, Sendable {
    public var label: String
    public var `protocol`: String
    public var priority: UInt16
    public var reliability: Reliability

    public init(label: String, protocol: String = "", priority: UInt16 = 256, reliability: Reliability = .reliable(ordered: true)) {
        self.label = label
        self.protocol = `protocol`
        self.priority = priority
        self.reliability = reliability
    }

    public enum Reliability: Equatable, Sendable {
        case reliable(ordered: Bool)
        /// Give up on a message after this many retransmissions (0: send once).
        case maxRetransmits(UInt32, ordered: Bool)
        /// Give up on a message after this many milliseconds.
        case maxLifetime(UInt32, ordered: Bool)

        enum ChannelType: UInt8 {
            case reliable = 0x00, partialRexmit = 0x01, partialTimed = 0x02
            case reliableUnordered = 0x80, partialRexmitUnordered = 0x81, partialTimedUnordered = 0x82
        }

        init(_ type: ChannelType, value: UInt32) {
            switch type {
            case .reliable: self = .reliable(ordered: true)
            case .reliableUnordered: self = .reliable(ordered: false)
            case .partialRexmit: self = .maxRetransmits(value, ordered: true)
            case .partialRexmitUnordered: self = .maxRetransmits(value, ordered: false)
            case .partialTimed: self = .maxLifetime(value, ordered: true)
            case .partialTimedUnordered: self = .maxLifetime(value, ordered: false)
            }
        }

        var wire: (ChannelType, UInt32) {
            switch self {
            case .reliable(let o): return (o ? .reliable : .reliableUnordered, 0)
            case .maxRetransmits(let n, let o): return (o ? .partialRexmit : .partialRexmitUnordered, n)
            case .maxLifetime(let ms, let o): return (o ? .partialTimed : .partialTimedUnordered, ms)
            }
        }

        public var isOrdered: Bool {
            switch self {
            case .reliable(let o), .maxRetransmits(_, let o), .maxLifetime(_, let o): return o
            }
        }
    }
}

/// SCTP payload protocol identifiers of WebRTC data channels (RFC 8831 §8).
public enum DataChannelPPID: UInt32, Sendable {
    case dcep = 50, string = 51, binary = 53, emptyString = 56, emptyBinary = 57
    /// Deprecated partial-message PPIDs; still legal on the wire, never sent by us.
    case stringPartial = 52, binaryPartial = 54
}
