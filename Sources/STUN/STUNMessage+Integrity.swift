/// RFC 8489 §14.7: the CRC-32 is XORed with 0x5354554E so it differs from any CRC another
/// protocol sharing the port might carry.
let stunFingerprintXOR: UInt32 = 0x5354_554E

extension STUNMessage {
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5) of the datagram this message was parsed from.
    ///
    /// Computes HMAC-SHA1 with `key` over the bytes before the first MESSAGE-INTEGRITY
    /// attribute, with the header length field replaced by the length up to and including
    /// that attribute (so a trailing FINGERPRINT is excluded), and compares it in constant time.
    /// - Parameters:
    ///   - rawBytes: the datagram exactly as received.
    ///   - key: for short-term credentials (ICE) the UTF-8 bytes of the password.
    /// - Returns: false when the attribute is missing, malformed or does not match.
    public func verifyMessageIntegrity(rawBytes: [UInt8], key: [UInt8]) -> Bool {
        Self.verifyMAC(rawBytes: rawBytes, key: key, type: .messageIntegrity)
    }

    /// Checks MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6) the same way, accepting a value
    /// truncated to 16...32 bytes.
    public func verifyMessageIntegritySHA256(rawBytes: [UInt8], key: [UInt8]) -> Bool {
        Self.verifyMAC(rawBytes: rawBytes, key: key, type: .messageIntegritySHA256)
    }

    /// Checks FINGERPRINT (RFC 8489 §14.7): it must be the last attribute and equal the CRC-32
    /// of everything before it (header length counting the fingerprint) XOR 0x5354554E.
    /// - Returns: false when the attribute is missing, not last, or does not match.
    public func verifyFingerprint(rawBytes: [UInt8]) -> Bool {
        guard let found = Self.locate(.fingerprint, in: rawBytes), found.valueLength == 4,
              found.offset + 8 == rawBytes.count
        else { return false }
        var prefix = Array(rawBytes[..<found.offset])
        prefix.storeUInt16(UInt16(truncatingIfNeeded: found.offset + 8 - Self.headerLength), at: 2)
        let expected = CRC32.checksum(prefix) ^ stunFingerprintXOR
        return readUInt32(rawBytes, found.offset + 4) == expected
    }

    private static func verifyMAC(rawBytes: [UInt8], key: [UInt8], type: STUNAttributeType) -> Bool {
        guard let found = locate(type, in: rawBytes) else { return false }
        let validLength = type == .messageIntegrity
            ? found.valueLength == 20
            : (16...32).contains(found.valueLength) && found.valueLength % 4 == 0
        guard validLength else { return false }
        let attributeEnd = found.offset + 4 + found.valueLength
        var prefix = Array(rawBytes[..<found.offset])
        prefix.storeUInt16(UInt16(truncatingIfNeeded: attributeEnd - headerLength), at: 2)
        let computed = type == .messageIntegrity
            ? HMAC.sha1(key: key, message: prefix)
            : HMAC.sha256(key: key, message: prefix)
        let received = rawBytes[(found.offset + 4)..<attributeEnd]
        return constantTimeEqual(Array(computed.prefix(found.valueLength)), Array(received))
    }

    /// Walks the attribute headers of a raw datagram and returns the first attribute of
    /// `type`. A datagram whose header length disagrees with its size yields nil, so a
    /// truncated or padded copy never verifies.
    private static func locate(
        _ type: STUNAttributeType, in bytes: [UInt8]
    ) -> (offset: Int, valueLength: Int)? {
        guard bytes.count >= headerLength, readUInt32(bytes, 4) == stunMagicCookie,
              headerLength + Int(readUInt16(bytes, 2)) == bytes.count
        else { return nil }
        let end = bytes.count
        var offset = headerLength
        var steps = 0
        while end - offset >= 4 && steps <= maximumAttributeCount {
            let attributeType = readUInt16(bytes, offset)
            let valueLength = Int(readUInt16(bytes, offset + 2))
            guard end - offset - 4 >= valueLength else { return nil }
            if attributeType == type.rawValue { return (offset, valueLength) }
            offset += 4 + ((valueLength + 3) & ~3)
            steps += 1
        }
        return nil
    }

    /// Compares MACs without an early exit so timing reveals nothing about the expected value.
    private static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in a.indices { difference |= a[i] ^ b[i] }
        return difference == 0
    }
}
