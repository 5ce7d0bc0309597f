/// In-place rewriting of VP8 descriptor fields, for simulcast layer switching: the SFU
/// forwards one layer as a single continuous stream, so the picture ID and TL0PICIDX
/// must stay monotonic across switches (RFC 7741 sections 4.2 and 5).
extension VP8PayloadDescriptor {
    /// Overwrites the picture ID in `payload`, keeping its existing 7- or 15-bit size.
    /// `pictureID` is reduced modulo the field width (the field wraps by design).
    /// Throws `.fieldAbsent` when the descriptor has no picture ID.
    public static func rewritePictureID(_ pictureID: UInt16, in payload: UnsafeMutableRawBufferPointer) throws(VP8Error) {
        let descriptor = try VP8PayloadDescriptor(parsing: UnsafeRawBufferPointer(payload))
        guard descriptor.pictureID != nil else { throw .fieldAbsent }
        // The picture ID always follows the mandatory octet and the extension octet.
        if descriptor.pictureIDIs15Bit {
            payload[2] = 0x80 | UInt8((pictureID >> 8) & 0x7F)
            payload[3] = UInt8(truncatingIfNeeded: pictureID)
        } else {
            payload[2] = UInt8(pictureID & 0x7F)
        }
    }

    /// Overwrites TL0PICIDX in `payload`. Throws `.fieldAbsent` when the descriptor has none.
    public static func rewriteTL0PicIdx(_ tl0PicIdx: UInt8, in payload: UnsafeMutableRawBufferPointer) throws(VP8Error) {
        let descriptor = try VP8PayloadDescriptor(parsing: UnsafeRawBufferPointer(payload))
        guard descriptor.tl0PicIdx != nil else { throw .fieldAbsent }
        var offset = 2
        if descriptor.pictureID != nil { offset += descriptor.pictureIDIs15Bit ? 2 : 1 }
        payload[offset] = tl0PicIdx
    }

    /// Array convenience for `rewritePictureID(_:in:)`.
    public static func rewritePictureID(_ pictureID: UInt16, in payload: inout [UInt8]) throws(VP8Error) {
        try payload.withUnsafeMutableBytes { buffer in
            Result { () throws(VP8Error) in try rewritePictureID(pictureID, in: buffer) }
        }.get()
    }

    /// Array convenience for `rewriteTL0PicIdx(_:in:)`.
    public static func rewriteTL0PicIdx(_ tl0PicIdx: UInt8, in payload: inout [UInt8]) throws(VP8Error) {
        try payload.withUnsafeMutableBytes { buffer in
            Result { () throws(VP8Error) in try rewriteTL0PicIdx(tl0PicIdx, in: buffer) }
        }.get()
    }
}
