import CZlib

/// Raw DEFLATE (RFC 1951) decompression with zlib, for text streams the SDKs send compressed
/// (`CompressionType.DEFLATE_RAW`). Bounded: never more than `limit` bytes out.
enum RawInflate {
    static func inflate(_ input: [UInt8], limit: Int) -> [UInt8]? {
        guard !input.isEmpty else { return [] }
        var output = [UInt8](repeating: 0, count: limit)
        let written = input.withUnsafeBufferPointer { source in
            output.withUnsafeMutableBufferPointer { target in
                sb_inflate_raw(source.baseAddress, source.count, target.baseAddress, target.count)
            }
        }
        guard written >= 0 else { return nil }
        output.removeSubrange(Int(written)...)
        return output
    }
}
