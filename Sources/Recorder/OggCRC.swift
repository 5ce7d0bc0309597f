/// The Ogg page checksum (RFC 3533 section 6): CRC-32 with the generator polynomial
/// 0x04C11DB7, most significant bit first, initial value 0, no final XOR, computed over the
/// whole page with its checksum field set to zero.
public enum OggCRC {
    /// Lookup table for the byte-wise algorithm.
    static let table: [UInt32] = (0..<256).map { index in
        var remainder = UInt32(index) << 24
        for _ in 0..<8 {
            remainder = remainder & 0x8000_0000 != 0 ? (remainder << 1) ^ 0x04C1_1DB7 : remainder << 1
        }
        return remainder
    }

    /// Continues `crc` over `bytes` (start with 0).
    public static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        table.withUnsafeBufferPointer { table in
            for byte in bytes {
                crc = (crc << 8) ^ table[Int((crc >> 24) ^ UInt32(byte))]
            }
        }
        return crc
    }

    /// The checksum of `bytes`.
    public static func checksum(_ bytes: [UInt8]) -> UInt32 {
        bytes.withUnsafeBytes { update(0, $0) }
    }
}
