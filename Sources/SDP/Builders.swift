// Pieces shared by makeAnswer and makeOffer: the transport attributes every accepted
// m-section carries, and the codec / source lines of an RTP section.

/// Our ICE-lite / DTLS identity, common to offers and answers.
struct LocalTransport {
    var iceUfrag: String
    var icePwd: String
    var iceOptions: [String]
    var fingerprint: Fingerprint
    var setup: Setup
    var candidates: [Candidate]
    var endOfCandidates: Bool

    /// RFC 8839 §5.4 bounds on our own credentials and a usable fingerprint.
    func validate() throws(SDPBuildError) {
        guard ICEChars.isValid(Substring(iceUfrag)), iceUfrag.utf8.count >= 4 else {
            throw .invalidOptions("ice-ufrag must be 4-256 ice-chars (RFC 8839 §5.4)")
        }
        guard ICEChars.isValid(Substring(icePwd)), icePwd.utf8.count >= 22 else {
            throw .invalidOptions("ice-pwd must be 22-256 ice-chars (RFC 8839 §5.4)")
        }
        guard Fingerprint(attributeValue: Substring(fingerprint.attributeValue)) != nil, !fingerprint.bytes.isEmpty else {
            throw .invalidOptions("fingerprint is empty or does not match its algorithm's digest size")
        }
        guard iceOptions.allSatisfy({ Scan.isVisible(Substring($0)) }) else { throw .invalidOptions("bad ice-options") }
        for c in candidates where Candidate(attributeValue: Substring(c.attributeValue)) != c {
            throw .invalidOptions("candidate does not round-trip: \(c.attributeValue)")
        }
    }

    /// m-line port and c= line: the default candidate (RFC 8839 §4.2.1.4), else the JSEP
    /// placeholder `9` / `0.0.0.0` (RFC 8829 §5.2.1).
    var defaultAddress: (port: UInt16, connection: Connection) {
        let udp = candidates.first { $0.component == 1 && $0.transport.lowercased() == "udp" }
        guard let c = udp ?? candidates.first(where: { $0.component == 1 }) else {
            return (9, Connection(address: "0.0.0.0"))
        }
        return (c.port, Connection(address: c.address))
    }

    /// ICE + DTLS attributes. Repeated in every accepted section as libwebrtc and pion do;
    /// for bundled sections only the tagged one's values take effect (RFC 8843 §7.1.3).
    func attributes() -> [SDPAttribute] {
        var out = [SDPAttribute("ice-ufrag", iceUfrag), SDPAttribute("ice-pwd", icePwd)]
        if !iceOptions.isEmpty { out.append(SDPAttribute(ICEOptions(iceOptions))) }
        out.append(SDPAttribute(fingerprint))
        out.append(SDPAttribute(setup))
        out += candidates.map(SDPAttribute.init)
        if endOfCandidates { out.append(SDPAttribute("end-of-candidates")) }
        return out
    }
}

enum RTPLines {
    /// rtpmap, rtcp-fb, fmtp per codec in the order libwebrtc writes them.
    static func codecs(_ codecs: [Codec]) -> [SDPAttribute] {
        var out: [SDPAttribute] = []
        for c in codecs {
            out.append(SDPAttribute(c.rtpMap))
            out += c.feedback.map { SDPAttribute(RTCPFeedback(payloadType: c.payloadType, type: $0.type, parameter: $0.parameter)) }
            if !c.parameters.isEmpty { out.append(SDPAttribute(FMTP(payloadType: c.payloadType, parameters: c.parameters))) }
        }
        return out
    }

    /// RFC 5576 source lines, with the RTX SSRC paired by FID only if RTX is in use.
    static func sources(_ s: SendStream, withRTX: Bool) -> [SDPAttribute] {
        let msid = "\(s.streamID) \(s.trackID)"
        var ssrcs = [s.ssrc]
        var out: [SDPAttribute] = []
        if withRTX, let rtx = s.rtxSSRC {
            ssrcs.append(rtx)
            out.append(SDPAttribute(SSRCGroup(semantics: "FID", ssrcs: [s.ssrc, rtx])))
        }
        for ssrc in ssrcs {
            out.append(SDPAttribute(SSRCAttribute(ssrc: ssrc, attribute: "cname", value: s.cname)))
            out.append(SDPAttribute(SSRCAttribute(ssrc: ssrc, attribute: "msid", value: msid)))
        }
        return out
    }

    static func isValidStream(_ s: SendStream) -> Bool {
        Scan.isVisible(Substring(s.cname)) && Scan.isVisible(Substring(s.streamID)) && Scan.isVisible(Substring(s.trackID))
            && s.rtxSSRC != s.ssrc
    }
}
