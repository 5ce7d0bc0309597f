// One m-section (RFC 8866 §5.14) with typed accessors for the WebRTC attributes.

public struct MediaDescription: Hashable, Sendable {
    public var kind: MediaKind
    /// 0 marks a rejected or bundle-only section (RFC 3264 §6, RFC 8843 §6).
    public var port: UInt16
    /// The `/<number of ports>` suffix; never used by WebRTC.
    public var portCount: UInt16?
    /// e.g. `UDP/TLS/RTP/SAVPF` (RFC 5764 §8) or `UDP/DTLS/SCTP` (RFC 8841 §4).
    public var proto: String
    /// Payload type numbers for RTP protocols, `webrtc-datachannel` (or a port) for SCTP.
    public var formats: [String]
    public var information: String?
    public var connections: [Connection] = []
    public var bandwidths: [Bandwidth] = []
    public var encryptionKey: String?
    public var attributes: [SDPAttribute] = []

    public init(kind: MediaKind, port: UInt16 = 9, proto: String, formats: [String],
                connection: Connection? = Connection(address: "0.0.0.0"), attributes: [SDPAttribute] = []) {
        self.kind = kind
        self.port = port
        self.proto = proto
        self.formats = formats
        self.connections = connection.map { [$0] } ?? []
        self.attributes = attributes
    }

    /// RTP-based protocols carry payload type numbers as formats (RFC 8866 §5.14).
    public var isRTP: Bool { Self.isRTP(proto) }
    static func isRTP(_ proto: String) -> Bool { proto.uppercased().contains("RTP/") }
    /// `UDP/DTLS/SCTP`, `TCP/DTLS/SCTP` (RFC 8841) and the legacy `DTLS/SCTP`.
    public var isSCTP: Bool { proto.uppercased().hasSuffix("SCTP") }
}

extension MediaDescription: SDPAttributeContainer {
    public var mid: String? { firstValue("mid") }
    public var connection: Connection? { connections.first }

    /// Explicit direction attribute, or sendrecv when none is present (RFC 8866 §6.7).
    public var direction: Direction {
        get { attributes.lazy.compactMap { Direction(rawValue: $0.name) }.first ?? .sendrecv }
        set {
            if let i = attributes.firstIndex(where: { Direction(rawValue: $0.name) != nil }) {
                attributes[i] = SDPAttribute(newValue.rawValue)
            } else {
                attributes.append(SDPAttribute(newValue.rawValue))
            }
        }
    }

    public var isRTCPMux: Bool { has("rtcp-mux") }
    public var isRTCPReducedSize: Bool { has("rtcp-rsize") }
    public var isBundleOnly: Bool { has("bundle-only") }
    public var endOfCandidates: Bool { has("end-of-candidates") }

    public var rtpMaps: [RTPMap] { values(RTPMap.self) }
    public var fmtps: [FMTP] { values(FMTP.self) }
    public var rtcpFeedback: [RTCPFeedback] { values(RTCPFeedback.self) }
    public var ssrcAttributes: [SSRCAttribute] { values(SSRCAttribute.self) }
    public var ssrcGroups: [SSRCGroup] { values(SSRCGroup.self) }
    public var msids: [MSID] { values(MSID.self) }
    public var rids: [RID] { values(RID.self) }
    public var simulcast: Simulcast? { value(Simulcast.self) }
    public var candidates: [Candidate] { values(Candidate.self) }
    public var sctpPort: UInt16? { firstValue("sctp-port").flatMap { Scan.decimal($0, as: UInt16.self) } }
    public var maxMessageSize: UInt64? { firstValue("max-message-size").flatMap { Scan.decimal($0, as: UInt64.self) } }
    public var sctpMap: SCTPMap? { value(SCTPMap.self) }

    /// SSRCs in order of first appearance in a=ssrc lines.
    public var ssrcs: [UInt32] {
        var seen: Set<UInt32> = []
        return ssrcAttributes.compactMap { seen.insert($0.ssrc).inserted ? $0.ssrc : nil }
    }

    /// `a=ssrc:<ssrc> cname:<value>` (RFC 5576 §6.1).
    public func cname(ssrc: UInt32) -> String? {
        ssrcAttributes.first { $0.ssrc == ssrc && $0.attribute == "cname" }?.value
    }

    /// The codecs of an RTP section in m-line order, joined from rtpmap / fmtp / rtcp-fb.
    /// Static payload types without rtpmap (0 PCMU, 8 PCMA, 9 G722) get their RFC 3551 §6
    /// defaults so they are not lost; other unmapped formats are skipped.
    public var codecs: [Codec] {
        guard isRTP else { return [] }
        let maps = rtpMaps, params = fmtps, feedback = rtcpFeedback
        var out: [Codec] = []
        var seen: Set<UInt8> = []
        for f in formats {
            guard let pt = Scan.decimal(f, as: UInt8.self), seen.insert(pt).inserted else { continue }
            let map = maps.first { $0.payloadType == pt } ?? Codec.staticPayloadTypes[pt]
            guard let map else { continue }
            out.append(Codec(payloadType: pt, name: map.encodingName, clockRate: map.clockRate,
                             channels: map.channels,
                             parameters: params.first { $0.payloadType == pt }?.parameters ?? [],
                             feedback: feedback.filter { $0.payloadType == pt || $0.payloadType == nil }
                                 .map { RTCPFeedback(payloadType: pt, type: $0.type, parameter: $0.parameter) }))
        }
        return out
    }
}
