/// The Ogg Opus comment header (RFC 7845 section 5.2): a vendor string and
/// `NAME=value` user comments, Vorbis-comment style with little-endian 32-bit lengths.
public struct OpusTags: Sendable, Equatable {
    /// The vendor string (who wrote the stream).
    public var vendor: String
    /// User comments, each `NAME=value`.
    public var comments: [String]

    /// Creates tags.
    public init(vendor: String = "Switchboard", comments: [String] = []) {
        self.vendor = vendor
        self.comments = comments
    }

    /// The serialized header.
    public func serialized() -> [UInt8] {
        var out = Array("OpusTags".utf8)
        let vendorBytes = Array(vendor.utf8)
        out.appendLittleEndian(UInt64(vendorBytes.count), bytes: 4)
        out += vendorBytes
        out.appendLittleEndian(UInt64(comments.count), bytes: 4)
        for comment in comments {
            let bytes = Array(comment.utf8)
            out.appendLittleEndian(UInt64(bytes.count), bytes: 4)
            out += bytes
        }
        return out
    }
}
