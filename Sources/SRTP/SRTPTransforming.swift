/// What both SRTP implementations offer: in-place protect/unprotect on a caller's buffer with
/// `SRTPProfile.maxTrailerLength` spare bytes (the forwarding path), and array conveniences on
/// top (tests, signalling-rate traffic).
public protocol SRTPTransforming {
    func protectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int
    func unprotectRTP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int
    func protectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int
    func unprotectRTCP(_ buffer: UnsafeMutableRawBufferPointer, length: Int) throws(SRTPError) -> Int
}

extension SRTPTransforming {
    public func protectRTP(_ packet: inout [UInt8]) throws(SRTPError) { try inPlace(&packet, protectRTP) }
    public func unprotectRTP(_ packet: inout [UInt8]) throws(SRTPError) { try inPlace(&packet, unprotectRTP) }
    public func protectRTCP(_ packet: inout [UInt8]) throws(SRTPError) { try inPlace(&packet, protectRTCP) }
    public func unprotectRTCP(_ packet: inout [UInt8]) throws(SRTPError) { try inPlace(&packet, unprotectRTCP) }

    private func inPlace(_ packet: inout [UInt8],
                         _ body: (UnsafeMutableRawBufferPointer, Int) throws(SRTPError) -> Int) throws(SRTPError) {
        let length = packet.count
        packet.append(contentsOf: repeatElement(0, count: SRTPProfile.maxTrailerLength))
        let result = packet.withUnsafeMutableBytes { buffer -> Result<Int, SRTPError> in
            do throws(SRTPError) { return .success(try body(buffer, length)) } catch { return .failure(error) }
        }
        switch result {
        case .success(let newLength): packet.removeLast(packet.count - newLength)
        case .failure(let error):
            packet.removeLast(SRTPProfile.maxTrailerLength)
            throw error
        }
    }
}
