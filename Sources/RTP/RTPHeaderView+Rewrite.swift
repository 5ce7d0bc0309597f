// In-place header rewrites for the forwarder (RFC 3550 §5.1 field layout, RFC 8285 elements):
// an SFU rewrites SSRC, sequence number, timestamp and payload type per subscriber, and
// extension values such as the transport-wide sequence number, without copying the packet.

extension RTPHeaderView {
    /// Overwrites the SSRC. False if the buffer is shorter than the fixed header.
    @discardableResult
    public static func setSSRC(_ ssrc: UInt32, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        store(ssrc, at: 8, in: packet)
    }

    /// Overwrites the sequence number. False if the buffer is shorter than the fixed header.
    @discardableResult
    public static func setSequenceNumber(_ sequenceNumber: UInt16, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard packet.count >= RTPPacket.fixedHeaderLength else { return false }
        packet[2] = UInt8(truncatingIfNeeded: sequenceNumber >> 8)
        packet[3] = UInt8(truncatingIfNeeded: sequenceNumber)
        return true
    }

    /// Overwrites the timestamp. False if the buffer is shorter than the fixed header.
    @discardableResult
    public static func setTimestamp(_ timestamp: UInt32, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        store(timestamp, at: 4, in: packet)
    }

    /// Overwrites the payload type, keeping the marker bit. False if `payloadType` > 127 or the
    /// buffer is shorter than the fixed header.
    @discardableResult
    public static func setPayloadType(_ payloadType: UInt8, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard payloadType <= 0x7F, packet.count >= RTPPacket.fixedHeaderLength else { return false }
        packet[1] = (packet[1] & 0x80) | payloadType
        return true
    }

    /// Sets or clears the marker bit, keeping the payload type. False if the buffer is
    /// shorter than the fixed header.
    @discardableResult
    public static func setMarker(_ marker: Bool, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard packet.count >= RTPPacket.fixedHeaderLength else { return false }
        packet[1] = (packet[1] & 0x7F) | (marker ? 0x80 : 0)
        return true
    }

    /// Overwrites the value of the first extension element with `id`. The new value must have
    /// the same length as the old one (the packet layout does not change). False if the
    /// packet is invalid, the element is absent, or the lengths differ.
    @discardableResult
    public static func setExtensionValue(
        id: UInt8, to value: UnsafeRawBufferPointer, in packet: UnsafeMutableRawBufferPointer
    ) -> Bool {
        let readOnly = UnsafeRawBufferPointer(packet)
        guard let view = try? RTPHeaderView(validating: readOnly),
              let range = view.extensionRange(id: id, in: readOnly),
              range.count == value.count
        else { return false }
        for (i, byte) in value.enumerated() { packet[range.lowerBound + i] = byte }
        return true
    }

    /// Array convenience for the `UnsafeRawBufferPointer` overload.
    @discardableResult
    public static func setExtensionValue(
        id: UInt8, to value: [UInt8], in packet: UnsafeMutableRawBufferPointer
    ) -> Bool {
        value.withUnsafeBytes { setExtensionValue(id: id, to: $0, in: packet) }
    }

    /// Renumbers the first extension element with `id` to `newID` (when the sender's and the
    /// receiver's `a=extmap` ids differ). `newID` must be 1...14 in the one-byte form and
    /// 1...255 in the two-byte form. False otherwise or if the element is absent.
    @discardableResult
    public static func setExtensionID(
        _ id: UInt8, to newID: UInt8, in packet: UnsafeMutableRawBufferPointer
    ) -> Bool {
        let readOnly = UnsafeRawBufferPointer(packet)
        guard let view = try? RTPHeaderView(validating: readOnly),
              let location = view.elementLocation(id: id, in: readOnly)
        else { return false }
        switch location.form {
        case .oneByte:
            guard (1...14).contains(newID) else { return false }
            packet[location.idOffset] = (newID << 4) | (packet[location.idOffset] & 0x0F)
        case .twoByte:
            guard newID != 0 else { return false }
            packet[location.idOffset] = newID
        }
        return true
    }

    private static func store(_ value: UInt32, at offset: Int, in packet: UnsafeMutableRawBufferPointer) -> Bool {
        guard packet.count >= RTPPacket.fixedHeaderLength else { return false }
        packet[offset] = UInt8(truncatingIfNeeded: value >> 24)
        packet[offset + 1] = UInt8(truncatingIfNeeded: value >> 16)
        packet[offset + 2] = UInt8(truncatingIfNeeded: value >> 8)
        packet[offset + 3] = UInt8(truncatingIfNeeded: value)
        return true
    }
}
