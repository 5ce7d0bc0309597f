extension STUNMessage {
    /// Encodes the message (RFC 8489 §5, §14), padding every value with zero bytes.
    ///
    /// - Parameters:
    ///   - integrityKey: when given, any MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
    ///     FINGERPRINT in ``attributes`` are dropped (they would be stale) and a fresh
    ///     MESSAGE-INTEGRITY is appended, computed as §14.5 says: HMAC-SHA1 with this key over
    ///     the message so far, with the header length already counting the new attribute.
    ///     For ICE short-term credentials the key is the UTF-8 password (RFC 8489 §9.1.1);
    ///     for long-term credentials see ``STUNCredentials/longTermKey(username:realm:password:)``.
    ///   - addFingerprint: when true, any FINGERPRINT in ``attributes`` is dropped and a fresh
    ///     one is appended last (§14.7).
    /// - Returns: the datagram. Text attributes are cut to their RFC byte limits; the caller
    ///   keeps the whole message under 64 KiB (ICE messages are a few hundred bytes).
    public func serialized(integrityKey: [UInt8]? = nil, addFingerprint: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        out.appendUInt16(messageType.rawValue)
        out.appendUInt16(0)  // length, patched below
        out.appendUInt32(stunMagicCookie)
        out += transactionID.bytes

        for attribute in attributes {
            let type = attribute.type
            if integrityKey != nil
                && (type == .messageIntegrity || type == .messageIntegritySHA256 || type == .fingerprint) {
                continue
            }
            if addFingerprint && type == .fingerprint { continue }
            Self.append(type: type.rawValue, value: attribute.encodedValue(transactionID: transactionID), to: &out)
        }

        if let integrityKey {
            // §14.5: the length field must already include the 24-byte MESSAGE-INTEGRITY.
            out.storeUInt16(UInt16(truncatingIfNeeded: out.count - Self.headerLength + 24), at: 2)
            let mac = HMAC.sha1(key: integrityKey, message: out)
            Self.append(type: STUNAttributeType.messageIntegrity.rawValue, value: mac, to: &out)
        }
        if addFingerprint {
            // §14.7: likewise the length includes the 8-byte FINGERPRINT.
            out.storeUInt16(UInt16(truncatingIfNeeded: out.count - Self.headerLength + 8), at: 2)
            var crc: [UInt8] = []
            crc.appendUInt32(CRC32.checksum(out) ^ stunFingerprintXOR)
            Self.append(type: STUNAttributeType.fingerprint.rawValue, value: crc, to: &out)
        }
        out.storeUInt16(UInt16(truncatingIfNeeded: out.count - Self.headerLength), at: 2)
        return out
    }

    /// Appends a type-length-value with zero padding to a 4-byte boundary (§14).
    private static func append(type: UInt16, value: [UInt8], to out: inout [UInt8]) {
        out.appendUInt16(type)
        out.appendUInt16(UInt16(truncatingIfNeeded: value.count))
        out += value
        let padding = (4 - value.count % 4) % 4
        out += repeatElement(0, count: padding)
    }
}
