import COpenSSL

/// The only place this module touches OpenSSL: one-shot HMAC and digest calls.
///
/// Each call returns an empty array if OpenSSL fails, which can never compare equal to a
/// received MAC, so a failure reads as “integrity check failed” rather than a crash or a pass.
enum HMAC {
    /// HMAC-SHA1 (RFC 2104), for MESSAGE-INTEGRITY.
    static func sha1(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(EVP_sha1(), key: key, message: message)
    }

    /// HMAC-SHA256, for MESSAGE-INTEGRITY-SHA256.
    static func sha256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        mac(EVP_sha256(), key: key, message: message)
    }

    /// MD5 digest, used only to derive long-term credential keys (RFC 8489 §9.2.2).
    static func md5(_ message: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // A one-byte stand-in keeps the data pointer non-null for an empty message.
        let input = message.isEmpty ? [0] : message
        let ok = input.withUnsafeBytes { data in
            digest.withUnsafeMutableBufferPointer { out in
                EVP_Digest(data.baseAddress, message.count, out.baseAddress, &length, EVP_md5(), nil)
            }
        }
        guard ok == 1 else { return [] }
        return Array(digest.prefix(Int(length)))
    }

    private static func mac(_ md: OpaquePointer?, key: [UInt8], message: [UInt8]) -> [UInt8] {
        guard let md else { return [] }
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        // Non-empty stand-ins keep both pointers non-null; the real lengths are passed.
        let keyBytes = key.isEmpty ? [0] : key
        let data = message.isEmpty ? [0] : message
        let result = keyBytes.withUnsafeBytes { k in
            data.withUnsafeBufferPointer { d in
                digest.withUnsafeMutableBufferPointer { out in
                    COpenSSL.HMAC(md, k.baseAddress, Int32(clamping: key.count),
                                  d.baseAddress, message.count, out.baseAddress, &length)
                }
            }
        }
        guard result != nil else { return [] }
        return Array(digest.prefix(Int(length)))
    }
}
