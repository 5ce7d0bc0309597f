// A server-initiated offer (RFC 8829 §5.2.1), used for subscriber connections: the SFU lists
// the tracks it will send, each in its own m-section, with its own payload types.

/// One m-section of a server offer.
public struct OfferSection: Sendable {
    public var kind: MediaKind
    public var mid: String
    /// Usually sendonly for a subscriber connection; recvonly/sendrecv are allowed.
    public var direction: Direction
    /// Codecs with *our* payload types, most preferred first; include RTX as `Codec.rtx(...)`.
    public var codecs: [Codec]
    public var extensions: [ExtMap]
    public var stream: SendStream?
    /// RFC 5506 reduced-size RTCP; libwebrtc offers it for every RTP section.
    public var rtcpReducedSize: Bool
    /// Port 0: a stopped/recycled transceiver slot that must keep its place (RFC 8829 §5.2.2).
    public var disabled: Bool
    public var sctpPort: UInt16
    public var maxMessageSize: UInt64
    /// Simulcast (RFC 8853): the send rids, lowest layer first. Each layer's SSRC is then learned
    /// from the RID header extension, so `stream` gives only the msid, no `a=ssrc` lines.
    public var sendRIDs: [String] = []

    public init(kind: MediaKind, mid: String, direction: Direction = .sendonly, codecs: [Codec],
                extensions: [ExtMap] = [], stream: SendStream? = nil, rtcpReducedSize: Bool = true,
                disabled: Bool = false) {
        self.kind = kind
        self.mid = mid
        self.direction = direction
        self.codecs = codecs
        self.extensions = extensions
        self.stream = stream
        self.rtcpReducedSize = rtcpReducedSize
        self.disabled = disabled
        self.sctpPort = 5000
        self.maxMessageSize = 262_144
    }

    /// A data channel section (RFC 8841): `UDP/DTLS/SCTP webrtc-datachannel`.
    public static func application(mid: String, sctpPort: UInt16 = 5000, maxMessageSize: UInt64 = 262_144) -> OfferSection {
        var s = OfferSection(kind: .application, mid: mid, direction: .sendrecv, codecs: [])
        s.sctpPort = sctpPort
        s.maxMessageSize = maxMessageSize
        return s
    }
}

public struct SDPOfferOptions: Sendable {
    public var iceUfrag: String
    public var icePwd: String
    public var iceOptions: [String] = []
    public var fingerprint: Fingerprint
    /// JSEP offers carry actpass (RFC 8829 §5.2.1); LiveKit-style SFUs keep that even though they
    /// end up passive. A server that can only be passive may offer `.passive` (RFC 8842 §5.2).
    public var setup: Setup = .actpass
    public var candidates: [Candidate] = []
    public var endOfCandidates = true
    public var iceLite = true
    public var extmapAllowMixed = true
    public var sections: [OfferSection]
    public var sessionID: String
    /// Increment for every re-offer of the same session (RFC 8829 §5.2.2).
    public var sessionVersion: UInt64 = 2

    public init(iceUfrag: String, icePwd: String, fingerprint: Fingerprint, candidates: [Candidate] = [],
                sections: [OfferSection], sessionID: String = String(UInt64.random(in: 1..<(1 << 62)))) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.sections = sections
        self.sessionID = sessionID
    }

    var transport: LocalTransport {
        LocalTransport(iceUfrag: iceUfrag, icePwd: icePwd, iceOptions: iceOptions, fingerprint: fingerprint,
                       setup: setup, candidates: candidates, endOfCandidates: endOfCandidates)
    }
}

/// Builds the server's offer: every enabled section is in one BUNDLE group (max-bundle).
public func makeOffer(options: SDPOfferOptions) throws(SDPBuildError) -> SessionDescription {
    let transport = options.transport
    try transport.validate()
    guard options.setup != .holdconn else { throw .invalidOptions("setup:holdconn cannot start DTLS") }
    var mids: Set<String> = []
    for s in options.sections {
        guard MidSyntax.isValid(Substring(s.mid)), mids.insert(s.mid).inserted else {
            throw .invalidOptions("mid '\(s.mid)' is invalid or duplicated")
        }
        try validate(s)
    }

    var offer = SessionDescription(origin: Origin(sessionID: options.sessionID, sessionVersion: options.sessionVersion))
    let enabled = options.sections.filter { !$0.disabled }.map(\.mid)
    if !enabled.isEmpty { offer.append(Group.bundle(enabled)) }
    if options.iceLite { offer.append(flag: "ice-lite") }
    if options.extmapAllowMixed { offer.append(flag: "extmap-allow-mixed") }
    if options.sections.contains(where: { $0.stream != nil }) {
        offer.append(MSIDSemantic(semantic: "WMS", identifiers: ["*"]))
    }
    let (port, connection) = transport.defaultAddress
    for s in options.sections {
        if s.kind == .application {
            var m = MediaDescription(kind: .application, port: s.disabled ? 0 : port, proto: "UDP/DTLS/SCTP",
                                     formats: ["webrtc-datachannel"], connection: connection)
            m.attributes.append(SDPAttribute("mid", s.mid))
            if !s.disabled {
                m.attributes += transport.attributes()
                m.attributes.append(SDPAttribute("sctp-port", "\(s.sctpPort)"))
                m.attributes.append(SDPAttribute("max-message-size", "\(s.maxMessageSize)"))
            }
            offer.media.append(m)
            continue
        }
        var m = MediaDescription(kind: s.kind, port: s.disabled ? 0 : port, proto: "UDP/TLS/RTP/SAVPF",
                                 formats: s.codecs.map { "\($0.payloadType)" }, connection: connection)
        m.attributes.append(SDPAttribute("mid", s.mid))
        if !s.disabled { m.attributes += transport.attributes() }
        m.attributes += s.extensions.map(SDPAttribute.init)
        m.attributes.append(SDPAttribute(s.disabled ? Direction.inactive.rawValue : s.direction.rawValue))
        let stream = s.disabled || !s.direction.sends ? nil : s.stream
        if let stream { m.append(MSID(streamID: stream.streamID, trackID: stream.trackID)) }
        m.append(flag: "rtcp-mux")
        if s.rtcpReducedSize { m.append(flag: "rtcp-rsize") }
        m.attributes += RTPLines.codecs(s.codecs)
        if !s.sendRIDs.isEmpty && s.direction.sends && !s.disabled {
            m.attributes += s.sendRIDs.map { SDPAttribute(RID(id: $0, direction: .send)) }
            m.append(Simulcast(send: s.sendRIDs.map { [Simulcast.Stream(rid: $0)] }))
        } else if let stream {
            m.attributes += RTPLines.sources(stream, withRTX: s.codecs.contains { $0.isRTX })
        }
        offer.media.append(m)
    }
    return offer
}

/// Our own sections must be internally consistent before a peer sees them.
private func validate(_ s: OfferSection) throws(SDPBuildError) {
    guard s.kind != .application else { return }
    guard s.kind == .audio || s.kind == .video else { throw .invalidOptions("unsupported kind \(s.kind)") }
    guard !s.codecs.isEmpty else { throw .invalidOptions("section \(s.mid) has no codecs") }
    var pts: Set<UInt8> = []
    for c in s.codecs {
        guard c.payloadType <= 127, pts.insert(c.payloadType).inserted,
              RTPMap(attributeValue: Substring(c.rtpMap.attributeValue)) != nil else {
            throw .invalidOptions("section \(s.mid): bad or duplicate payload type \(c.payloadType)")
        }
    }
    for c in s.codecs where c.isRTX {
        guard let apt = c.associatedPayloadType, pts.contains(apt) else {
            throw .invalidOptions("section \(s.mid): rtx \(c.payloadType) has no primary codec")
        }
    }
    var ids: Set<UInt16> = []
    for e in s.extensions {
        guard (1...255).contains(e.id), ids.insert(e.id).inserted, Scan.isVisible(Substring(e.uri)) else {
            throw .invalidOptions("section \(s.mid): bad or duplicate extmap id \(e.id)")
        }
    }
    guard s.sendRIDs.allSatisfy({ RID.isValidID(Substring($0)) }), Set(s.sendRIDs).count == s.sendRIDs.count else {
        throw .invalidOptions("section \(s.mid): bad or duplicate rid")
    }
    if let stream = s.stream, !RTPLines.isValidStream(stream) {
        throw .invalidOptions("section \(s.mid): stream identifiers must be visible ASCII without spaces")
    }
}
