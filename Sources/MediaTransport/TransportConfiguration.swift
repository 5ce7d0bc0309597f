import DTLS
import SRTP

/// How the media transport listens and what it announces.
public struct TransportConfiguration: Sendable {
    /// Local addresses to bind, at most one per family (e.g. "0.0.0.0", "::", "127.0.0.1").
    public var bindAddresses: [String]
    /// UDP port for all media (0 picks a free port, for tests).
    public var udpPort: UInt16
    /// Addresses put into host candidates; empty means "derive from the bound addresses".
    public var nodeIPs: [String]
    /// SRTP profiles offered in DTLS use_srtp, in preference order.
    public var srtpProfiles: [SRTPProfile]
    /// RFC 7675 consent timeout; also bounds how long a new transport may wait for ICE+DTLS.
    public var consentTimeout: Duration
    /// nil generates a fresh ECDSA P-256 certificate at start-up.
    public var certificate: DTLSCertificate?
    /// SCHED_FIFO priority (1-99) of the media thread; nil keeps normal scheduling.
    public var realtimePriority: Int32?

    public init(bindAddresses: [String] = ["0.0.0.0"], udpPort: UInt16 = 7882, nodeIPs: [String] = [],
                srtpProfiles: [SRTPProfile] = [.aeadAes128Gcm, .aes128CmHmacSha1_80],
                consentTimeout: Duration = .seconds(30), certificate: DTLSCertificate? = nil, realtimePriority: Int32? = nil) {
        self.bindAddresses = bindAddresses
        self.udpPort = udpPort
        self.nodeIPs = nodeIPs
        self.srtpProfiles = srtpProfiles
        self.consentTimeout = consentTimeout
        self.certificate = certificate
        self.realtimePriority = realtimePriority
    }
}
