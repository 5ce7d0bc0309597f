extension RTPPacket {
    /// Encodes the packet (RFC 3550 §5.1, RFC 8285 §4).
    ///
    /// Total by construction: the payload type is masked to 7 bits, only the first 15 CSRCs
    /// and first ``RTPHeaderExtension/maximumElementCount`` elements are written, raw
    /// extension data is zero-padded to a 32-bit boundary. ``RTPHeaderExtension/oneByte(_:)``
    /// is written in the one-byte form when every element fits, else in the two-byte form.
    /// Padding is written as zero bytes followed by the count, so parsing then serializing a
    /// packet reproduces it exactly unless its padding or extension padding held other bytes
    /// or sat between elements.
    public func serialized() -> [UInt8] {
        let csrcList = csrcs.prefix(Self.maximumCSRCCount)
        var out: [UInt8] = []
        out.reserveCapacity(Self.fixedHeaderLength + 4 * csrcList.count + 64 + payload.count + Int(paddingLength))
        let padding: UInt8 = paddingLength > 0 ? 0x20 : 0
        let ext: UInt8 = headerExtension != nil ? 0x10 : 0
        out.append(Self.version << 6 | padding | ext | UInt8(csrcList.count))
        out.append((marker ? 0x80 : 0) | (payloadType & 0x7F))
        out.appendRTPUInt16(sequenceNumber)
        out.appendRTPUInt32(timestamp)
        out.appendRTPUInt32(ssrc)
        for csrc in csrcList { out.appendRTPUInt32(csrc) }

        if let headerExtension {
            let (profile, body) = Self.encode(headerExtension)
            out.appendRTPUInt16(profile)
            out.appendRTPUInt16(UInt16(truncatingIfNeeded: body.count / 4))
            out += body
        }
        out += payload
        if paddingLength > 0 {
            out += repeatElement(0, count: Int(paddingLength) - 1)
            out.append(paddingLength)
        }
        return out
    }

    /// The profile and the body (a multiple of 4 bytes, at most 0xFFFF words) of an extension.
    private static func encode(_ headerExtension: RTPHeaderExtension) -> (UInt16, [UInt8]) {
        var body: [UInt8] = []
        let profile: UInt16
        switch headerExtension {
        case .oneByte(let elements) where elements.allSatisfy(\.fitsOneByteForm):
            profile = RTPHeaderExtension.oneByteProfile
            for element in elements.prefix(RTPHeaderExtension.maximumElementCount) {
                body.append(element.id << 4 | UInt8(element.value.count - 1))
                body += element.value
            }
        case .oneByte(let elements), .twoByte(appBits: 0, let elements):
            profile = RTPHeaderExtension.twoByteProfileBase
            appendTwoByte(elements, to: &body)
        case .twoByte(let appBits, let elements):
            profile = RTPHeaderExtension.twoByteProfileBase | UInt16(appBits & 0x0F)
            appendTwoByte(elements, to: &body)
        case .other(let otherProfile, let data):
            profile = otherProfile
            body = Array(data.prefix(0xFFFF * 4))
        }
        // RFC 3550 §5.3.1: the extension length counts 32-bit words; pad with zeros
        // (RFC 8285 §4.2/§4.3 padding bytes are 0).
        body += repeatElement(0, count: (4 - body.count % 4) % 4)
        return (profile, body)
    }

    private static func appendTwoByte(_ elements: [RTPExtensionElement], to body: inout [UInt8]) {
        // 255 elements of at most 257 bytes each stay under the 0xFFFF-word limit.
        for element in elements.prefix(RTPHeaderExtension.maximumElementCount) {
            body.append(element.id)
            body.append(UInt8(truncatingIfNeeded: element.value.count))
            body += element.value
        }
    }
}

extension Array where Element == UInt8 {
    @inline(__always)
    mutating func appendRTPUInt16(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value >> 8))
        append(UInt8(truncatingIfNeeded: value))
    }

    @inline(__always)
    mutating func appendRTPUInt32(_ value: UInt32) {
        appendRTPUInt16(UInt16(truncatingIfNeeded: value >> 16))
        appendRTPUInt16(UInt16(truncatingIfNeeded: value))
    }
}
