import COpenSSL
import SRTP

public enum DTLSError: Error, Equatable, Sendable {
    case context(String)
    case handshake(String)
    case fingerprintMismatch
    case missingPeerCertificate
    case noSRTPProfile
    case keyExport(String)
    case timedOut
}

/// The process-wide DTLS configuration: our certificate and the SRTP profiles we offer, in
/// preference order. One `SSL_CTX` serves every association; it is read-only after creation.
public final class DTLSContext: @unchecked Sendable {
    let context: OpaquePointer
    public let certificate: DTLSCertificate
    public let srtpProfiles: [SRTPProfile]

    public init(certificate: DTLSCertificate,
                srtpProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80]) throws(DTLSError) {
        guard !srtpProfiles.isEmpty else { throw .context("no SRTP profile configured") }
        guard let ctx = SSL_CTX_new(DTLS_method()) else { throw .context(OpenSSLError.drain()) }
        self.context = ctx
        self.certificate = certificate
        self.srtpProfiles = srtpProfiles
        guard SSL_CTX_use_certificate(ctx, certificate.x509) == 1,
              SSL_CTX_use_PrivateKey(ctx, certificate.privateKey) == 1,
              SSL_CTX_check_private_key(ctx) == 1 else {
            throw .context("certificate: \(OpenSSLError.drain())")
        }
        _ = sb_SSL_CTX_set_min_proto_version(ctx, sb_DTLS1_2_VERSION())
        // Peers are authenticated by fingerprint after the handshake, so accept any chain here,
        // but do require a certificate.
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, sb_verify_accept_all)
        // Returns 0 on success (unlike most of OpenSSL).
        guard SSL_CTX_set_tlsext_use_srtp(ctx, srtpProfiles.map(\.openSSLName).joined(separator: ":")) == 0 else {
            throw .context("use_srtp: \(OpenSSLError.drain())")
        }
        _ = SSL_CTX_set_cipher_list(ctx, "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
            + "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
            + "ECDHE-RSA-CHACHA20-POLY1305:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA")
        _ = sb_SSL_CTX_set_read_ahead(ctx, 1)
        // We set the MTU ourselves; there is no real socket for OpenSSL to ask.
        _ = sb_SSL_CTX_set_options(ctx, sb_SSL_OP_NO_QUERY_MTU())
    }

    deinit { SSL_CTX_free(context) }
}
