/// A local host candidate as an ICE-lite server announces it (RFC 8445 §5.1.1.1, §5.1.2;
/// SDP grammar RFC 8839 §5.1). An ICE-lite agent gathers host candidates only.
public struct ICECandidate: Sendable, Hashable {
    public let foundation: String
    public let component: Int
    public let host: String
    public let port: UInt16
    public let isIPv6: Bool
    public let priority: UInt32

    /// Priority per RFC 8445 §5.1.2.1 with the host type preference 126 and the local preference
    /// favouring IPv6 slightly (RFC 8421 §4), component 1 (RTP and RTCP are multiplexed).
    public init(host: String, port: UInt16, isIPv6: Bool) {
        let typePreference: UInt32 = 126
        let localPreference: UInt32 = isIPv6 ? 65535 : 65534
        self.foundation = isIPv6 ? "2" : "1"
        self.component = 1
        self.host = host
        self.port = port
        self.isIPv6 = isIPv6
        self.priority = (typePreference << 24) | (localPreference << 8) | (256 - 1)
    }

    /// The value of an `a=candidate:` attribute, after `candidate:`.
    public var sdpValue: String {
        "\(foundation) \(component) udp \(priority) \(host) \(port) typ host generation 0"
    }

    /// `candidate:...` as used in SDP attributes and in trickle messages.
    public var sdpAttribute: String { "candidate:" + sdpValue }
}
