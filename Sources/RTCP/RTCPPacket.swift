/// One RTCP packet of a compound packet.
public enum RTCPPacket: Sendable, Equatable {
    /// SR, PT=200.
    case senderReport(SenderReport)
    /// RR, PT=201.
    case receiverReport(ReceiverReport)
    /// SDES, PT=202.
    case sourceDescription(SourceDescription)
    /// BYE, PT=203.
    case goodbye(Goodbye)
    /// Generic NACK, PT=205 FMT=1.
    case genericNACK(GenericNACK)
    /// Transport-wide CC feedback, PT=205 FMT=15.
    case transportWideFeedback(TransportWideFeedback)
    /// PLI, PT=206 FMT=1.
    case pictureLossIndication(PictureLossIndication)
    /// FIR, PT=206 FMT=4.
    case fullIntraRequest(FullIntraRequest)
    /// REMB, PT=206 FMT=15 with the 'REMB' identifier.
    case receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate)
    /// XR, PT=207 (RFC 3611).
    case extendedReport(ExtendedReport)
    /// Any other packet type or FMT (APP, XR, TMMBR, other AFB…): `count` is the 5-bit
    /// RC/SC/FMT field and `body` the octets after the 4-octet header, padding removed.
    case unknown(packetType: UInt8, count: UInt8, body: [UInt8])

    /// Decodes one packet from its header and its body (padding already removed).
    init(header: RTCPHeader, body: ArraySlice<UInt8>) throws(RTCPError) {
        switch (header.packetType, header.count) {
        case (RTCPPacketType.senderReport, let count):
            self = .senderReport(try SenderReport(count: count, body: body))
        case (RTCPPacketType.receiverReport, let count):
            self = .receiverReport(try ReceiverReport(count: count, body: body))
        case (RTCPPacketType.sourceDescription, let count):
            self = .sourceDescription(try SourceDescription(count: count, body: body))
        case (RTCPPacketType.goodbye, let count):
            self = .goodbye(try Goodbye(count: count, body: body))
        case (RTCPPacketType.transportFeedback, 1):
            self = .genericNACK(try GenericNACK(body: body))
        case (RTCPPacketType.transportFeedback, 15):
            self = .transportWideFeedback(try TransportWideFeedback(body: body))
        case (RTCPPacketType.payloadSpecificFeedback, 1):
            self = .pictureLossIndication(try PictureLossIndication(body: body))
        case (RTCPPacketType.payloadSpecificFeedback, 4):
            self = .fullIntraRequest(try FullIntraRequest(body: body))
        case (RTCPPacketType.payloadSpecificFeedback, 15) where ReceiverEstimatedMaximumBitrate.matches(body: body):
            self = .receiverEstimatedMaximumBitrate(try ReceiverEstimatedMaximumBitrate(body: body))
        case (RTCPPacketType.extendedReport, _):
            self = .extendedReport(try ExtendedReport(body: body))
        default:
            self = .unknown(packetType: header.packetType, count: header.count, body: Array(body))
        }
    }

    /// The packet type octet this packet is written with.
    public var packetType: UInt8 {
        switch self {
        case .senderReport: RTCPPacketType.senderReport
        case .receiverReport: RTCPPacketType.receiverReport
        case .sourceDescription: RTCPPacketType.sourceDescription
        case .goodbye: RTCPPacketType.goodbye
        case .genericNACK, .transportWideFeedback: RTCPPacketType.transportFeedback
        case .pictureLossIndication, .fullIntraRequest, .receiverEstimatedMaximumBitrate:
            RTCPPacketType.payloadSpecificFeedback
        case .extendedReport: RTCPPacketType.extendedReport
        case .unknown(let packetType, _, _): packetType
        }
    }

    /// Serializes this packet on its own.
    public func serialized() throws(RTCPError) -> [UInt8] {
        var out: [UInt8] = []
        try serialize(into: &out)
        return out
    }

    /// Appends this packet to `out`. When the body is not a multiple of 4 octets, RTCP
    /// padding is appended and the P bit set (RFC 3550 section 6.4.1): the last padding
    /// octet holds the padding length. On error `out` is left unchanged.
    public func serialize(into out: inout [UInt8]) throws(RTCPError) {
        let start = out.count
        out += [0, 0, 0, 0]  // header placeholder
        let count: UInt8
        do throws(RTCPError) {
            switch self {
            case .senderReport(let packet):
                try packet.writeBody(into: &out)
                count = packet.headerCount
            case .receiverReport(let packet):
                try packet.writeBody(into: &out)
                count = packet.headerCount
            case .sourceDescription(let packet):
                try packet.writeBody(into: &out)
                count = packet.headerCount
            case .goodbye(let packet):
                try packet.writeBody(into: &out)
                count = packet.headerCount
            case .genericNACK(let packet):
                try packet.writeBody(into: &out)
                count = 1
            case .transportWideFeedback(let packet):
                try packet.writeBody(into: &out)
                count = 15
            case .pictureLossIndication(let packet):
                packet.writeBody(into: &out)
                count = 1
            case .fullIntraRequest(let packet):
                try packet.writeBody(into: &out)
                count = 4
            case .receiverEstimatedMaximumBitrate(let packet):
                try packet.writeBody(into: &out)
                count = 15
            case .extendedReport(let packet):
                try packet.writeBody(into: &out)
                count = 0
            case .unknown(_, let headerCount, let body):
                guard headerCount <= 0x1F else { throw RTCPError.unencodable }
                out += body
                count = headerCount
            }
        } catch {
            out.removeSubrange(start...)
            throw error
        }
        var size = out.count - start
        let padding = (4 - size % 4) % 4
        if padding > 0 {
            out += [UInt8](repeating: 0, count: padding - 1)
            out.append(UInt8(padding))
            size += padding
        }
        guard size / 4 - 1 <= Int(UInt16.max) else {
            out.removeSubrange(start...)
            throw .unencodable
        }
        var header: [UInt8] = []
        RTCPHeader(padding: padding > 0, count: count, packetType: packetType,
                   length: UInt16(size / 4 - 1)).write(into: &header)
        out.replaceSubrange(start..<(start + 4), with: header)
    }
}
