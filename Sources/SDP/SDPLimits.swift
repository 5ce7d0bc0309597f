// Bounds applied while parsing. SDP arrives from untrusted peers over signalling; these caps
// keep parsing cost linear in a small input and stop memory blow-ups from hostile offers.

public struct SDPLimits: Sendable, Equatable {
    /// Total size of the text in bytes. Real offers are 2-20 KiB; 256 KiB leaves ample room.
    public var maxBytes: Int
    public var maxLines: Int
    /// Longest single line in bytes (long H.264 sprop-parameter-sets fit comfortably).
    public var maxLineBytes: Int
    public var maxMediaSections: Int
    /// Attribute (`a=`) lines allowed at session level and in each m-section.
    public var maxAttributesPerSection: Int

    public init(maxBytes: Int = 256 * 1024, maxLines: Int = 16_384, maxLineBytes: Int = 4096,
                maxMediaSections: Int = 256, maxAttributesPerSection: Int = 1024) {
        self.maxBytes = maxBytes
        self.maxLines = maxLines
        self.maxLineBytes = maxLineBytes
        self.maxMediaSections = maxMediaSections
        self.maxAttributesPerSection = maxAttributesPerSection
    }

    public static let `default` = SDPLimits()
}
