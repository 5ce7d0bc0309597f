// Value encoding and decoding of the attributes STUNAttribute models (RFC 8489 §14,
// RFC 8445 §7.1). Headers, padding and ordering rules live in STUNMessage.

/// RFC 8489 §5: the fixed magic cookie, also the XOR key of XOR-MAPPED-ADDRESS.
let stunMagicCookie: UInt32 = 0x2112_A442

/// Byte limits on text attributes: USERNAME “fewer than 513 bytes” (RFC 5389 §15.3, the more
/// liberal of the two RFCs); REALM, NONCE, SOFTWARE and the ERROR-CODE reason
/// “as long as 763 bytes when decoding” (RFC 8489 §14.8-§14.10, §14.14).
let stunUsernameLimit = 512
let stunTextLimit = 763

extension STUNAttribute {
    /// Decodes one attribute value (without padding) of the given type.
    static func decode(
        type: UInt16, value: [UInt8], transactionID: STUNTransactionID
    ) throws(STUNParseError) -> STUNAttribute {
        let invalid = STUNParseError.invalidAttribute(type: type)
        switch STUNAttributeType(rawValue: type) {
        case .mappedAddress:
            return .mappedAddress(try decodeAddress(value, xorKey: nil, type: type))
        case .xorMappedAddress:
            return .xorMappedAddress(try decodeAddress(value, xorKey: transactionID, type: type))
        case .username:
            return .username(try decodeText(value, limit: stunUsernameLimit, type: type))
        case .messageIntegrity:
            guard value.count == 20 else { throw invalid }
            return .messageIntegrity(value)
        case .messageIntegritySHA256:
            // §14.6: at least 16 and at most 32 bytes, a multiple of 4.
            guard (16...32).contains(value.count), value.count % 4 == 0 else { throw invalid }
            return .messageIntegritySHA256(value)
        case .fingerprint:
            guard value.count == 4 else { throw invalid }
            return .fingerprint(readUInt32(value, 0))
        case .errorCode:
            // §14.8: 21 reserved bits, 3-bit class (3...6), 8-bit number (0...99), reason.
            guard value.count >= 4 else { throw invalid }
            let errorClass = UInt16(value[2] & 0x07), number = UInt16(value[3])
            guard (3...6).contains(errorClass), number < 100 else { throw invalid }
            let reason = try decodeText(Array(value[4...]), limit: stunTextLimit, type: type)
            return .errorCode(STUNErrorCode(code: errorClass * 100 + number, reason: reason))
        case .realm:
            return .realm(try decodeText(value, limit: stunTextLimit, type: type))
        case .nonce:
            return .nonce(try decodeText(value, limit: stunTextLimit, type: type))
        case .unknownAttributes:
            guard value.count % 2 == 0 else { throw invalid }
            return .unknownAttributes(stride(from: 0, to: value.count, by: 2).map { readUInt16(value, $0) })
        case .software:
            return .software(try decodeText(value, limit: stunTextLimit, type: type))
        case .priority:
            guard value.count == 4 else { throw invalid }
            return .priority(readUInt32(value, 0))
        case .useCandidate:
            guard value.isEmpty else { throw invalid }
            return .useCandidate
        case .iceControlled:
            guard value.count == 8 else { throw invalid }
            return .iceControlled(readUInt64(value, 0))
        case .iceControlling:
            guard value.count == 8 else { throw invalid }
            return .iceControlling(readUInt64(value, 0))
        default:
            return .unknown(type: type, value: value)
        }
    }

    /// Encodes the value (without header or padding).
    func encodedValue(transactionID: STUNTransactionID) -> [UInt8] {
        var out: [UInt8] = []
        switch self {
        case .mappedAddress(let address):
            Self.encodeAddress(address, xorKey: nil, into: &out)
        case .xorMappedAddress(let address):
            Self.encodeAddress(address, xorKey: transactionID, into: &out)
        case .username(let text):
            out = Self.truncatedUTF8(text, limit: stunUsernameLimit)
        case .messageIntegrity(let mac), .messageIntegritySHA256(let mac):
            out = mac
        case .fingerprint(let crc), .priority(let crc):
            out.appendUInt32(crc)
        case .errorCode(let error):
            out.appendUInt16(0)
            out.append(UInt8(truncatingIfNeeded: (error.code / 100) & 0x07))
            out.append(UInt8(truncatingIfNeeded: error.code % 100))
            out += Self.truncatedUTF8(error.reason, limit: stunTextLimit)
        case .realm(let text), .nonce(let text), .software(let text):
            out = Self.truncatedUTF8(text, limit: stunTextLimit)
        case .unknownAttributes(let types):
            for type in types { out.appendUInt16(type) }
        case .useCandidate:
            break
        case .iceControlled(let tieBreaker), .iceControlling(let tieBreaker):
            out.appendUInt64(tieBreaker)
        case .unknown(_, let value):
            out = value
        }
        return out
    }

    // MARK: Addresses (RFC 8489 §14.1, §14.2)

    private static func decodeAddress(
        _ value: [UInt8], xorKey: STUNTransactionID?, type: UInt16
    ) throws(STUNParseError) -> STUNAddress {
        guard value.count >= 4, let family = STUNAddress.Family(rawValue: value[1]),
              value.count == 4 + family.addressLength
        else { throw .invalidAttribute(type: type) }
        var port = readUInt16(value, 2)
        var address = Array(value[4...])
        if let xorKey {
            port ^= UInt16(stunMagicCookie >> 16)
            let key = xorKeyBytes(xorKey)
            for i in address.indices { address[i] ^= key[i] }
        }
        guard let result = STUNAddress(addressBytes: address, port: port) else {
            throw .invalidAttribute(type: type)
        }
        return result
    }

    private static func encodeAddress(
        _ address: STUNAddress, xorKey: STUNTransactionID?, into out: inout [UInt8]
    ) {
        out.append(0)
        out.append(address.family.rawValue)
        var port = address.port
        var bytes = address.addressBytes
        if let xorKey {
            port ^= UInt16(stunMagicCookie >> 16)
            let key = xorKeyBytes(xorKey)
            for i in bytes.indices { bytes[i] ^= key[i] }
        }
        out.appendUInt16(port)
        out += bytes
    }

    /// §14.2: IPv4 is XORed with the cookie; IPv6 with the cookie followed by the transaction ID.
    private static func xorKeyBytes(_ transactionID: STUNTransactionID) -> [UInt8] {
        var key: [UInt8] = []
        key.appendUInt32(stunMagicCookie)
        return key + transactionID.bytes
    }

    // MARK: Text

    private static func decodeText(
        _ value: [UInt8], limit: Int, type: UInt16
    ) throws(STUNParseError) -> String {
        guard value.count <= limit, let text = String(validating: value, as: UTF8.self) else {
            throw .invalidText(type: type)
        }
        return text
    }

    /// UTF-8 of `text`, cut at the last whole code point that fits in `limit` bytes so we never
    /// emit text a conforming peer must reject.
    private static func truncatedUTF8(_ text: String, limit: Int) -> [UInt8] {
        let utf8 = Array(text.utf8)
        guard utf8.count > limit else { return utf8 }
        var end = limit
        // Back up over continuation bytes (10xxxxxx) to a code point start.
        while end > 0 && utf8[end] & 0xC0 == 0x80 { end -= 1 }
        return Array(utf8[..<end])
    }
}
