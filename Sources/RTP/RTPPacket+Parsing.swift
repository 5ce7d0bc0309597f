extension RTPPacket {
    /// Parses an RTP packet (RFC 3550 §5.1) with the same validation as
    /// ``RTPHeaderView/init(validating:)``, decoding RFC 8285 extension elements
    /// (one-byte profile 0xBEDE, two-byte profile 0x100X) and keeping other profiles raw.
    public init(parsing bytes: [UInt8]) throws(RTPParseError) {
        let result: Result<RTPPacket, RTPParseError> = bytes.withUnsafeBytes { buffer in
            do throws(RTPParseError) {
                return .success(try RTPPacket(validatedFrom: buffer, view: RTPHeaderView(validating: buffer)))
            } catch {
                return .failure(error)
            }
        }
        self = try result.get()
    }

    /// Parses a packet held in a raw buffer.
    public init(parsing buffer: UnsafeRawBufferPointer) throws(RTPParseError) {
        self = try RTPPacket(validatedFrom: buffer, view: RTPHeaderView(validating: buffer))
    }

    /// Copies the fields out of a buffer `view` has validated, so every offset is in bounds.
    private init(validatedFrom buffer: UnsafeRawBufferPointer, view: RTPHeaderView) throws(RTPParseError) {
        var csrcs: [UInt32] = []
        csrcs.reserveCapacity(view.csrcCount)
        for index in 0..<view.csrcCount {
            if let csrc = view.csrc(at: index, in: buffer) { csrcs.append(csrc) }
        }

        var headerExtension: RTPHeaderExtension?
        if view.hasExtension {
            let start = view.extensionOffset, end = start + view.extensionLength
            if let form = RTPExtensionWalker.Form(profile: view.extensionProfile) {
                var elements: [RTPExtensionElement] = []
                let error = RTPExtensionWalker.walk(buffer, start: start, end: end, form: form) { id, valueStart, length in
                    let value = Array(buffer[valueStart..<(valueStart + length)])
                    elements.append(RTPExtensionElement(validatedID: id, value: value))
                    return false
                }
                if let error { throw error }
                headerExtension = form == .oneByte
                    ? .oneByte(elements)
                    : .twoByte(appBits: UInt8(view.extensionProfile & 0x000F), elements)
            } else {
                headerExtension = .other(profile: view.extensionProfile, data: Array(buffer[start..<end]))
            }
        }

        self.init(
            marker: view.marker,
            payloadType: view.payloadType,
            sequenceNumber: view.sequenceNumber,
            timestamp: view.timestamp,
            ssrc: view.ssrc,
            csrcs: csrcs,
            headerExtension: headerExtension,
            payload: Array(buffer[view.payloadRange]),
            paddingLength: UInt8(truncatingIfNeeded: view.paddingLength)
        )
    }
}
