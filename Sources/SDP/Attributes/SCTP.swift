// Data channel attributes: sctp-port and max-message-size (RFC 8841 §5-6) and the pre-RFC
// `a=sctpmap` form (draft-ietf-mmusic-sctp-sdp-05) that old stacks still send with `DTLS/SCTP`.

/// `a=sctpmap:<port> <app> [<streams>]`, e.g. `a=sctpmap:5000 webrtc-datachannel 1024`.
public struct SCTPMap: SDPAttributeValue, Hashable {
    public static let attributeName = "sctpmap"
    public var port: UInt16
    public var application: String
    public var streams: UInt32?

    public init(port: UInt16, application: String, streams: UInt32? = nil) {
        self.port = port
        self.application = application
        self.streams = streams
    }

    public init?(attributeValue: Substring) {
        let f = Scan.fields(attributeValue)
        guard f.count == 2 || f.count == 3, let port = Scan.decimal(f[0], as: UInt16.self),
              Scan.isToken(f[1]) else { return nil }
        var streams: UInt32?
        if f.count == 3 {
            guard let s = Scan.decimal(f[2], as: UInt32.self) else { return nil }
            streams = s
        }
        self.init(port: port, application: String(f[1]), streams: streams)
    }

    public var attributeValue: String { "\(port) \(application)" + (streams.map { " \($0)" } ?? "") }
}
