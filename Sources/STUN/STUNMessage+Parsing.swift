extension STUNMessage {
    /// Parses one STUN datagram (RFC 8489 §5, §6.3).
    ///
    /// Rejects: fewer than 20 bytes; non-zero top bits; wrong magic cookie; a length field that
    /// is not a multiple of 4 or disagrees with the datagram size; attributes overrunning the
    /// message; more than ``maximumAttributeCount`` attributes; anything after FINGERPRINT;
    /// known attributes with malformed values. Attributes after MESSAGE-INTEGRITY other than
    /// MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are skipped, as §14.5 requires.
    /// Integrity and fingerprint are *not* verified here; see
    /// ``verifyMessageIntegrity(rawBytes:key:)`` and ``verifyFingerprint(rawBytes:)``.
    public init(parsing bytes: [UInt8]) throws(STUNParseError) {
        guard bytes.count >= Self.headerLength else { throw .truncated }
        guard bytes[0] & 0xC0 == 0 else { throw .notSTUN }
        guard readUInt32(bytes, 4) == stunMagicCookie else { throw .badMagicCookie }
        let length = Int(readUInt16(bytes, 2))
        guard length % 4 == 0 else { throw .badLength }
        guard Self.headerLength + length == bytes.count else {
            throw bytes.count < Self.headerLength + length ? .truncated : .badLength
        }
        let type = STUNMessageType(rawValue: readUInt16(bytes, 0))
        guard let transactionID = STUNTransactionID(bytes: bytes[8..<20]) else { throw .truncated }

        var attributes: [STUNAttribute] = []
        var offset = Self.headerLength
        var count = 0
        // §14.5/§14.6: once an integrity attribute is seen, later attributes are ignored except
        // the ones that may legitimately follow it.
        var seenIntegrity = false, seenIntegritySHA256 = false, seenFingerprint = false
        while offset < bytes.count {
            guard bytes.count - offset >= 4 else { throw .truncated }
            let attributeType = readUInt16(bytes, offset)
            let valueLength = Int(readUInt16(bytes, offset + 2))
            let valueStart = offset + 4
            // §14: values are padded to a multiple of 4; the padding must fit in the message.
            let paddedLength = (valueLength + 3) & ~3
            guard bytes.count - valueStart >= paddedLength else { throw .truncated }
            count += 1
            guard count <= Self.maximumAttributeCount else { throw .tooManyAttributes }
            guard !seenFingerprint else { throw .fingerprintNotLast }

            let kind = STUNAttributeType(rawValue: attributeType)
            let keep: Bool
            switch kind {
            case .fingerprint: keep = true; seenFingerprint = true
            case .messageIntegritySHA256: keep = !seenIntegritySHA256; seenIntegritySHA256 = true
            default: keep = !seenIntegrity && !seenIntegritySHA256
            }
            if kind == .messageIntegrity && keep { seenIntegrity = true }
            if keep {
                let value = Array(bytes[valueStart..<(valueStart + valueLength)])
                attributes.append(try STUNAttribute.decode(
                    type: attributeType, value: value, transactionID: transactionID))
            }
            offset = valueStart + paddedLength
        }
        self.init(type: type, transactionID: transactionID, attributes: attributes)
    }

    /// Parses a datagram held in a raw buffer (copied; STUN is not on the media hot path).
    public init(parsing buffer: UnsafeRawBufferPointer) throws(STUNParseError) {
        try self.init(parsing: Array(buffer))
    }
}
