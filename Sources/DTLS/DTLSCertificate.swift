import COpenSSL

public enum DTLSCertificateError: Error, Equatable, Sendable {
    case generation(String)
    case load(String)
}

/// An ECDSA P-256 certificate and private key for DTLS, owning the OpenSSL objects.
/// WebRTC peers authenticate certificates by the fingerprint in SDP, so it is self-signed.
/// Immutable after creation, so it may be shared between threads.
public final class DTLSCertificate: @unchecked Sendable {
    let x509: OpaquePointer
    let privateKey: OpaquePointer
    /// SHA-256 digest of the DER certificate, announced as `a=fingerprint:sha-256 ...`.
    public let fingerprint: DTLSFingerprint

    private init(x509: OpaquePointer, privateKey: OpaquePointer) throws(DTLSCertificateError) {
        self.x509 = x509
        self.privateKey = privateKey
        guard let digest = DTLSCertificate.sha256(of: x509) else {
            X509_free(x509); EVP_PKEY_free(privateKey)
            throw .generation("X509_digest failed: \(OpenSSLError.drain())")
        }
        fingerprint = DTLSFingerprint(bytes: digest)
    }

    deinit {
        X509_free(x509)
        EVP_PKEY_free(privateKey)
    }

    /// Makes a new key pair and a self-signed certificate valid from yesterday for `validDays`.
    public static func generateSelfSigned(commonName: String = "switchboard", validDays: Int = 365) throws(DTLSCertificateError) -> DTLSCertificate {
        guard let key = sb_EVP_EC_gen_p256() else { throw .generation("EC key: \(OpenSSLError.drain())") }
        guard let cert = X509_new() else {
            EVP_PKEY_free(key)
            throw .generation("X509_new: \(OpenSSLError.drain())")
        }
        var serial = UInt32.random(in: 1...UInt32(Int32.max))
        var ok = X509_set_version(cert, 2) == 1
        ok = ok && ASN1_INTEGER_set(X509_get_serialNumber(cert), Int(serial)) == 1
        serial = 0
        ok = ok && X509_gmtime_adj(sb_X509_getm_notBefore(cert), -86_400) != nil
        ok = ok && X509_gmtime_adj(sb_X509_getm_notAfter(cert), validDays * 86_400) != nil
        ok = ok && X509_set_pubkey(cert, key) == 1
        if ok, let name = X509_get_subject_name(cert) {
            ok = X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, commonName, -1, -1, 0) == 1
            ok = ok && X509_set_issuer_name(cert, name) == 1
        } else {
            ok = false
        }
        ok = ok && X509_sign(cert, key, EVP_sha256()) > 0
        guard ok else {
            X509_free(cert); EVP_PKEY_free(key)
            throw .generation(OpenSSLError.drain())
        }
        return try DTLSCertificate(x509: cert, privateKey: key)
    }

    /// Loads a PEM certificate and private key (e.g. from the config file).
    public static func load(certificatePEM: String, privateKeyPEM: String) throws(DTLSCertificateError) -> DTLSCertificate {
        guard let cert = readPEM(certificatePEM, { PEM_read_bio_X509($0, nil, nil, nil) }) else {
            throw .load("certificate: \(OpenSSLError.drain())")
        }
        guard let key = readPEM(privateKeyPEM, { PEM_read_bio_PrivateKey($0, nil, nil, nil) }) else {
            X509_free(cert)
            throw .load("private key: \(OpenSSLError.drain())")
        }
        guard X509_check_private_key(cert, key) == 1 else {
            X509_free(cert); EVP_PKEY_free(key)
            throw .load("private key does not match certificate")
        }
        return try DTLSCertificate(x509: cert, privateKey: key)
    }

    /// PEM text of the certificate and key, for writing to the data directory.
    public func pem() -> (certificate: String, privateKey: String) {
        (writePEM { PEM_write_bio_X509($0, x509) },
         writePEM { PEM_write_bio_PrivateKey($0, privateKey, nil, nil, 0, nil, nil) })
    }

    static func sha256(of cert: OpaquePointer) -> [UInt8]? {
        var digest = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard X509_digest(cert, EVP_sha256(), &digest, &length) == 1 else { return nil }
        return Array(digest.prefix(Int(length)))
    }

    private static func readPEM(_ text: String, _ read: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
        let bytes = Array(text.utf8)
        // The memory BIO borrows `bytes`, so it must not outlive this closure.
        return bytes.withUnsafeBytes { raw -> OpaquePointer? in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return read(bio)
        }
    }

    private func writePEM(_ write: (OpaquePointer) -> Int32) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { return "" }
        defer { BIO_free(bio) }
        guard write(bio) == 1 else { return "" }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = BIO_read(bio, &chunk, Int32(chunk.count))
            if n <= 0 { break }
            out += chunk.prefix(Int(n))
        }
        return String(decoding: out, as: UTF8.self)
    }
}
