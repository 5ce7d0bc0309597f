/// Both directions of SRTP for one endpoint of a DTLS-SRTP association.
/// The DTLS server sends with the server key and receives with the client key (RFC 5764 §4.2).
public struct SRTPContext: Sendable {
    public let outbound: SRTPSession
    public let inbound: SRTPSession

    public init(keys: SRTPKeyingMaterial, isDTLSClient: Bool) throws(SRTPError) {
        outbound = try SRTPSession(profile: keys.profile, masterKeyAndSalt: keys.masterKey(forClient: isDTLSClient),
                                   direction: .outbound)
        inbound = try SRTPSession(profile: keys.profile, masterKeyAndSalt: keys.masterKey(forClient: !isDTLSClient),
                                  direction: .inbound)
    }
}
