// The answer an ICE-lite SFU gives to a JSEP offer (RFC 8829 §5.3.1, RFC 3264 §6,
// RFC 8843 §7.3 for BUNDLE). The offer's m-line order and mids are kept; sections are
// accepted or rejected (port 0) one by one.

public struct SDPAnswerOptions: Sendable {
    public enum CodecSelection: Sendable {
        /// Every offered codec we support, in our preference order (plus their RTX / RED).
        case allMatching
        /// Only the single most preferred codec (plus its RTX): the publisher has no choice.
        case preferredOnly
    }

    public var iceUfrag: String
    public var icePwd: String
    public var iceOptions: [String] = []
    /// Our DTLS certificate fingerprint (use `Fingerprint(sha256:)`).
    public var fingerprint: Fingerprint
    /// `passive`: the browser, as DTLS client, connects to us (RFC 8842 §5.3).
    public var setup: Setup = .passive
    /// All our candidates: an ICE-lite agent gathers up front (RFC 8445 §2.5), hence end-of-candidates.
    public var candidates: [Candidate] = []
    public var endOfCandidates = true
    /// Preference order, most preferred first.
    public var audioCodecs: [CodecCapability] = [.opus, .audioRED]
    public var videoCodecs: [CodecCapability] = [.vp8, .h264(), .vp9, .av1]
    public var codecSelection: CodecSelection = .allMatching
    /// Header extensions we understand; offered ones with these URIs are kept with the offer's ids.
    public var headerExtensions: Set<String> = SDPAnswerOptions.defaultHeaderExtensions
    /// Answer `a=rid ... recv` / `a=simulcast:recv` to a simulcast send offer (RFC 8853 §5.3).
    public var acceptSimulcast = true
    public var rejectApplication = false
    public var sctpPort: UInt16 = 5000
    public var maxMessageSize: UInt64 = 262_144
    public var direction: DirectionPolicy = .mirror
    /// What we send in each section, by mid. A sending section without an entry gets no ssrc lines.
    public var sendStreams: [String: SendStream] = [:]
    public var sessionID: String
    public var sessionVersion: UInt64 = 2

    public init(iceUfrag: String, icePwd: String, fingerprint: Fingerprint, candidates: [Candidate] = [],
                sessionID: String = String(UInt64.random(in: 1..<(1 << 62)))) {
        self.iceUfrag = iceUfrag
        self.icePwd = icePwd
        self.fingerprint = fingerprint
        self.candidates = candidates
        self.sessionID = sessionID
    }

    /// Convenience for the common case: raw SHA-256 digest and `candidate:...` strings.
    public init(iceUfrag: String, icePwd: String, fingerprintSHA256: [UInt8], candidates: [String],
                sessionID: String = String(UInt64.random(in: 1..<(1 << 62)))) throws(SDPParseError) {
        var parsed: [Candidate] = []
        for c in candidates { parsed.append(try Candidate(parsing: c)) }
        self.init(iceUfrag: iceUfrag, icePwd: icePwd, fingerprint: Fingerprint(sha256: fingerprintSHA256),
                  candidates: parsed, sessionID: sessionID)
    }

    public static let defaultHeaderExtensions: Set<String> = [
        "urn:ietf:params:rtp-hdrext:sdes:mid",                                       // RFC 8843 §15.2
        "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id",                             // RFC 8852 §4.3
        "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id",                    // RFC 8852 §4.4
        "urn:ietf:params:rtp-hdrext:ssrc-audio-level",                               // RFC 6464
        "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time",
        "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01",
    ]

    var transport: LocalTransport {
        LocalTransport(iceUfrag: iceUfrag, icePwd: icePwd, iceOptions: iceOptions, fingerprint: fingerprint,
                       setup: setup, candidates: candidates, endOfCandidates: endOfCandidates)
    }
}

/// Builds the SFU's answer to `offer`. Throws only for offers JSEP says cannot be answered
/// (no mid, no ICE credentials or fingerprint on an accepted section, DTLS role conflict) or
/// invalid options; everything else unsupported is rejected per section with port 0.
public func makeAnswer(to offer: SessionDescription, options: SDPAnswerOptions) throws(SDPBuildError) -> SessionDescription {
    let transport = options.transport
    try transport.validate()
    guard options.setup == .active || options.setup == .passive else {
        throw .invalidOptions("an answer's setup must be active or passive (RFC 4145 §4)")
    }

    let offeredBundle = offer.bundleGroup
    var answer = SessionDescription(origin: Origin(sessionID: options.sessionID, sessionVersion: options.sessionVersion))
    var accepted: [String] = []
    var anySending = false

    for (index, m) in offer.media.enumerated() {
        guard let mid = m.mid else { throw .missingMid(sectionIndex: index) }
        var section = AnswerSection(offer: offer, media: m, mid: mid, options: options, transport: transport)
        // max-bundle (RFC 8829 §4.1.1): one transport, so sections outside the BUNDLE group are rejected.
        let outsideBundle = offeredBundle.map { !$0.mids.contains(mid) } ?? false
        let built = outsideBundle ? nil : try section.build()
        if let built {
            accepted.append(mid)
            anySending = anySending || (built.isRTP && built.direction.sends && options.sendStreams[mid] != nil)
            answer.media.append(built)
        } else {
            answer.media.append(rejected(m, mid: mid))
        }
    }

    // RFC 8843 §7.3: the answer's group lists only accepted mids, in the offer's order. When the
    // offerer-tagged section is rejected, the first accepted one becomes the tagged section, which
    // is what libwebrtc does (RFC 8843 §7.3.3 would have the answerer reject the whole group).
    if let offeredBundle {
        let mids = offeredBundle.mids.filter(accepted.contains)
        if !mids.isEmpty { answer.append(Group.bundle(mids)) }
    }
    answer.append(flag: "ice-lite")                       // RFC 8839 §5.3: session level only
    if offer.extmapAllowMixed { answer.append(flag: "extmap-allow-mixed") } // RFC 8285 §6
    if anySending { answer.append(MSIDSemantic(semantic: "WMS", identifiers: ["*"])) }
    return answer
}

/// Rejected section (RFC 3264 §6, RFC 8829 §5.3.1): port 0, the offered formats, and the mid so
/// the m-line still maps to its transceiver.
private func rejected(_ m: MediaDescription, mid: String) -> MediaDescription {
    MediaDescription(kind: m.kind, port: 0, proto: m.proto, formats: m.formats,
                     attributes: [SDPAttribute("mid", mid)])
}

/// The decisions for one offered m-section.
private struct AnswerSection {
    let offer: SessionDescription
    let media: MediaDescription
    let mid: String
    let options: SDPAnswerOptions
    let transport: LocalTransport

    /// nil when the section is rejected.
    mutating func build() throws(SDPBuildError) -> MediaDescription? {
        // Port 0 without bundle-only means the offerer disabled the section (RFC 8843 §6).
        if media.port == 0 && !media.isBundleOnly { return nil }
        switch media.kind {
        case .application:
            guard !options.rejectApplication, media.isSCTP else { return nil }
            try checkTransport()
            return application()
        case .audio, .video:
            // DTLS-SRTP profiles only (RFC 8827 §6.5), and only muxed RTCP (RFC 8829 §5.1.3).
            guard media.proto.uppercased().hasSuffix("RTP/SAVPF") || media.proto.uppercased().hasSuffix("RTP/SAVP"),
                  media.isRTCPMux else { return nil }
            guard let codecs = chooseCodecs() else { return nil }
            try checkTransport()
            return rtp(codecs)
        case .other:
            return nil
        }
    }

    private func checkTransport() throws(SDPBuildError) {
        guard offer.iceCredentials(for: media) != nil else { throw .missingICECredentials(mid: mid) }
        guard !offer.fingerprints(for: media).isEmpty else { throw .missingFingerprint(mid: mid) }
        // RFC 8842 §5.3 / RFC 4145 §4: roles must be complementary; absent means active.
        let offered = offer.setup(for: media) ?? .active
        switch (offered, options.setup) {
        case (.actpass, _), (.active, .passive), (.passive, .active): break
        default: throw .incompatibleSetup(offered: offered, ours: options.setup)
        }
    }

    /// Picks codecs keeping the offerer's payload types (RFC 3264 §6.1: the answer uses the
    /// offer's numbers for the same formats). nil when no media codec survives.
    func chooseCodecs() -> [Codec]? {
        let offered = media.codecs
        let capabilities = media.kind == .audio ? options.audioCodecs : options.videoCodecs
        var kept: [(codec: Codec, rtx: Bool)] = []
        outer: for cap in capabilities {
            for c in offered where !c.isRTX && cap.matches(c) && !kept.contains(where: { $0.codec.payloadType == c.payloadType }) {
                var chosen = c
                chosen.feedback = c.feedback.filter { f in cap.feedback.contains { $0.sameMechanism(as: f) } }
                kept.append((chosen, cap.allowsRTX))
                let isMedia = !c.isRED && !c.isFEC
                if options.codecSelection == .preferredOnly && isMedia { break outer }
            }
        }
        if options.codecSelection == .preferredOnly {
            kept.removeAll { $0.codec.isRED || $0.codec.isFEC }
        }
        // RED is only usable if every codec it carries is kept (RFC 2198 §5).
        let keptPTs = Set(kept.map(\.codec.payloadType))
        kept.removeAll { $0.codec.isRED && !$0.codec.redundantPayloadTypes.allSatisfy(keptPTs.contains) }
        guard kept.contains(where: { !$0.codec.isRED && !$0.codec.isFEC }) else { return nil }

        // Each kept codec is followed by the offered RTX whose apt names it (RFC 4588 §8.6).
        var out: [Codec] = []
        for (codec, allowsRTX) in kept {
            out.append(codec)
            guard allowsRTX else { continue }
            if let rtx = offered.first(where: { $0.isRTX && $0.associatedPayloadType == codec.payloadType }) {
                var r = rtx
                r.feedback = []
                out.append(r)
            }
        }
        return out
    }

    private func application() -> MediaDescription {
        let (port, connection) = transport.defaultAddress
        var m = MediaDescription(kind: .application, port: port, proto: media.proto, formats: media.formats,
                                 connection: connection)
        m.attributes.append(SDPAttribute("mid", mid))
        m.attributes += transport.attributes()
        if let old = media.sctpMap {
            // Pre-RFC 8841 form: the format is the SCTP port and sctpmap describes it.
            m.append(SCTPMap(port: old.port, application: old.application, streams: old.streams))
        } else {
            m.attributes.append(SDPAttribute("sctp-port", "\(options.sctpPort)"))
            m.attributes.append(SDPAttribute("max-message-size", "\(options.maxMessageSize)"))
        }
        return m
    }

    private func rtp(_ codecs: [Codec]) -> MediaDescription {
        let (port, connection) = transport.defaultAddress
        let direction = options.direction.resolve(media)
        var m = MediaDescription(kind: media.kind, port: port, proto: media.proto,
                                 formats: codecs.map { "\($0.payloadType)" }, connection: connection)
        m.attributes.append(SDPAttribute("mid", mid))
        m.attributes += transport.attributes()
        // Same ids as offered (RFC 8285 §6); a directional extmap is answered with the reverse.
        // Ids 4096-4351 would need renumbering (RFC 8285 §7), so such extensions are dropped.
        for e in media.extMaps where e.id <= 255 && options.headerExtensions.contains(e.uri) {
            m.append(ExtMap(id: e.id, uri: e.uri, direction: e.direction?.reversed))
        }
        m.attributes.append(SDPAttribute(direction.rawValue))
        let stream = direction.sends ? options.sendStreams[mid].flatMap { RTPLines.isValidStream($0) ? $0 : nil } : nil
        if let stream { m.append(MSID(streamID: stream.streamID, trackID: stream.trackID)) }
        m.append(flag: "rtcp-mux")
        if media.isRTCPReducedSize { m.append(flag: "rtcp-rsize") } // RFC 5506 §5: only if offered
        m.attributes += RTPLines.codecs(codecs)
        if direction.receives && options.acceptSimulcast { m.attributes += simulcastAnswer(codecs) }
        if let stream { m.attributes += RTPLines.sources(stream, withRTX: codecs.contains { $0.isRTX }) }
        return m
    }

    /// RFC 8853 §5.3 / RFC 8851 §7: the answerer receives the offered send streams with
    /// `a=rid:<id> recv` and `a=simulcast:recv`, dropping rids whose pt list lost every codec.
    private func simulcastAnswer(_ codecs: [Codec]) -> [SDPAttribute] {
        guard let sim = media.simulcast, !sim.send.isEmpty else { return [] }
        let keptPTs = Set(codecs.map(\.payloadType))
        var rids: [RID] = []
        for rid in media.rids where rid.direction == .send {
            var restrictions = rid.restrictions.filter { $0.key != "pt" }
            if !rid.payloadTypes.isEmpty {
                let pts = rid.payloadTypes.filter(keptPTs.contains)
                if pts.isEmpty { continue }
                restrictions.insert(SDPParameter("pt", pts.map(String.init).joined(separator: ",")), at: 0)
            }
            rids.append(RID(id: rid.id, direction: .recv, restrictions: restrictions))
        }
        let ids = Set(rids.map(\.id))
        let list = sim.send.map { $0.filter { ids.contains($0.rid) } }.filter { !$0.isEmpty }
        guard !list.isEmpty else { return [] }
        let used = Set(list.flatMap { $0.map(\.rid) })
        return rids.filter { used.contains($0.id) }.map(SDPAttribute.init) + [SDPAttribute(Simulcast(recv: list))]
    }
}
