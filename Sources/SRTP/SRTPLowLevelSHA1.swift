import COpenSSL

/// OpenSSL 3.0's low-level SHA-1, through the COpenSSL shim's wrappers (deprecated upstream,
/// still shipped): see `SRTPHMACSHA1` for why EVP is not used for the HMAC.
enum SRTPLowLevelSHA1 {
    @inline(__always)
    static func start(_ ctx: UnsafeMutablePointer<SHA_CTX>) -> Bool { sb_SHA1_Init(ctx) == 1 }

    @inline(__always)
    static func update(_ ctx: UnsafeMutablePointer<SHA_CTX>, _ data: UnsafeRawPointer?, _ count: Int) -> Bool {
        sb_SHA1_Update(ctx, data, count) == 1
    }

    @inline(__always)
    static func finish(_ ctx: UnsafeMutablePointer<SHA_CTX>, into digest: UnsafeMutablePointer<UInt8>) -> Bool {
        sb_SHA1_Final(digest, ctx) == 1
    }
}
