/// Both directions of SRTP for one endpoint of a DTLS-SRTP association, on our OpenSSL EVP
/// implementation (no allocation or lock per packet; libsrtp stays as the tests' cross-check).
/// The DTLS server sends with the server key and receives with the client key (RFC 5764 §4.2).
public struct SRTPContext: Sendable {
    public let outbound: EVPSRTPSession
    public let inbound: EVPSRTPSession

    public init(keys: SRTPKeyingMaterial, isDTLSClient: Bool) throws(SRTPError) {
        outbound = try EVPSRTPSession(profile: keys.profile, masterKeyAndSalt: keys.masterKey(forClient: isDTLSClient),
                                   direction: .outbound)
        inbound = try EVPSRTPSession(profile: keys.profile, masterKeyAndSalt: keys.masterKey(forClient: !isDTLSClient),
                                  direction: .inbound)
    }
}
