import DTLS
import ICE
import LoadPeer
import MediaTransport
import SDP

/// One WHIP publisher or WHEP viewer of the load: our offer (full ICE, controlling; DTLS client;
/// SRTP), POSTed with a room token, the server's answer applied, then ICE + DTLS on a LoadPeer.
/// Works against any WHIP/WHEP server, not only ours.
final class HTTPMediaSession {
    enum Role { case publisher, viewer }

    /// What a sending section carries.
    struct OutgoingStream {
        let isVideo: Bool
        let ssrc: UInt32
        let payloadType: UInt8
    }

    let role: Role
    let peer: LoadPeer
    /// Publisher: the streams it announced. Viewer: empty.
    let outgoing: [OutgoingStream]
    /// Viewer: the SSRCs the answer announced, and whether each is video.
    let incoming: [UInt32: Bool]
    /// Where DELETE ends the session (the answer's Location).
    let location: String?
    private let http: HTTPRequest
    private let token: String

    /// The abs-capture-time extension id in every offer: stamped by publishers, read by viewers.
    static let absCaptureTimeID: UInt8 = 5
    static let absCaptureTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
    static let opusPayloadType: UInt8 = 111
    static let vp8PayloadType: UInt8 = 96

    enum Failure: Error, CustomStringConvertible {
        case refused(Int, String)
        case badAnswer(String)
        case connect(String)

        var description: String {
            switch self {
            case .refused(let status, let body): return "HTTP \(status): \(body.trimmingCharacters(in: .whitespacesAndNewlines))"
            case .badAnswer(let m): return "answer: \(m)"
            case .connect(let m): return m
            }
        }
    }

    /// - Parameters: path: `/whip/<room>` or `/whep/<room>`; sections: for a publisher whether
    ///   each sends video; for a viewer how many audio and video sections to offer.
    init(role: Role, http: HTTPRequest, path: String, token: String, certificate: DTLSCertificate,
         audioSections: Int, videoSections: Int) throws {
        self.role = role
        self.http = http
        self.token = token
        let ice = ICECredentials.random()
        var sections: [OfferSection] = []
        var outgoing: [OutgoingStream] = []
        let extensions = [ExtMap(id: UInt16(Self.absCaptureTimeID), uri: Self.absCaptureTimeURI)]
        let kinds = Array(repeating: false, count: audioSections) + Array(repeating: true, count: videoSections)
        for (index, isVideo) in kinds.enumerated() {
            let codec = isVideo
                ? Codec(payloadType: Self.vp8PayloadType, name: "VP8", clockRate: 90000,
                        feedback: [RTCPFeedback(payloadType: Self.vp8PayloadType, type: "nack"),
                                   RTCPFeedback(payloadType: Self.vp8PayloadType, type: "nack", parameter: "pli")])
                : Codec(payloadType: Self.opusPayloadType, name: "opus", clockRate: 48000, channels: 2,
                        parameters: [SDPParameter("minptime", "10"), SDPParameter("useinbandfec", "1")])
            var section = OfferSection(kind: isVideo ? .video : .audio, mid: String(index),
                                       direction: role == .publisher ? .sendonly : .recvonly,
                                       codecs: [codec], extensions: extensions)
            if role == .publisher {
                let ssrc = UInt32.random(in: 1...UInt32.max)
                let track = "\(isVideo ? "video" : "audio")-\(index)"
                section.stream = SendStream(ssrc: ssrc, cname: "loadtest", streamID: "loadtest", trackID: track)
                outgoing.append(OutgoingStream(isVideo: isVideo, ssrc: ssrc, payloadType: codec.payloadType))
            }
            sections.append(section)
        }
        var options = SDPOfferOptions(iceUfrag: ice.ufrag, icePwd: ice.pwd,
                                      fingerprint: Fingerprint(sha256: certificate.fingerprint.bytes), sections: sections)
        options.iceLite = false
        options.endOfCandidates = false
        // LoadPeer is always the DTLS client (RFC 8842 §5.2: an offerer may insist on active).
        options.setup = .active
        let offer = try makeOffer(options: options).serialized()

        let response = try http.send(method: "POST", path: path,
                                     headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/sdp"],
                                     body: offer)
        guard response.status == 201 else { throw Failure.refused(response.status, response.body) }
        location = response.headers["location"]
        do {
            let (server, serverICE, fingerprint, incoming) = try Self.parseAnswer(response.body)
            self.incoming = incoming
            self.outgoing = outgoing
            peer = try LoadPeer(server: server, serverFingerprint: fingerprint, certificate: certificate, ice: ice)
            guard peer.connect(serverICE: serverICE, deadline: .seconds(10)) else {
                throw Failure.connect("ICE/DTLS with \(server) did not complete in 10 s")
            }
        } catch {
            // The server made a session for the 201: end it.
            Self.delete(http: http, location: location, token: token)
            throw error
        }
    }

    /// The server's address (first numeric UDP candidate), ICE credentials, certificate
    /// fingerprint, and the SSRCs it will send with whether each is video.
    private static func parseAnswer(_ text: String) throws -> (UDPAddress, ICECredentials, DTLSFingerprint, [UInt32: Bool]) {
        let answer: SessionDescription
        do { answer = try SessionDescription(parsing: text) } catch { throw Failure.badAnswer("\(error)") }
        guard let first = answer.media.first(where: { $0.port != 0 }),
              let credentials = answer.iceCredentials(for: first),
              let fingerprint = answer.fingerprints(for: first).first(where: { $0.algorithm == "sha-256" }) else {
            throw Failure.badAnswer("no accepted section with ICE credentials and a sha-256 fingerprint")
        }
        let udp = answer.media.flatMap(\.candidates).first { $0.transport.lowercased() == "udp" && UDPAddress(host: $0.address, port: $0.port) != nil }
        guard let udp, let server = UDPAddress(host: udp.address, port: udp.port) else {
            throw Failure.badAnswer("no UDP candidate with a numeric address")
        }
        var incoming: [UInt32: Bool] = [:]
        for m in answer.media where m.port != 0 && m.direction.sends {
            for ssrc in m.ssrcs { incoming[ssrc] = m.kind == .video }
        }
        // An RTX SSRC (FID group's second) carries no media of its own.
        for m in answer.media {
            for group in m.ssrcGroups where group.semantics == "FID" && group.ssrcs.count == 2 { incoming[group.ssrcs[1]] = nil }
        }
        return (server, ICECredentials(ufrag: credentials.ufrag, pwd: credentials.pwd),
                DTLSFingerprint(algorithm: fingerprint.algorithm, bytes: fingerprint.bytes), incoming)
    }

    /// A consent check (RFC 7675), due every few seconds while the session lasts.
    func keepAlive() {
        // The credentials were checked at connect; the server's answer to this is not awaited.
        peer.sendConsent()
    }

    /// DELETE on the session's resource; errors are ignored (the server may be gone).
    func end() { Self.delete(http: http, location: location, token: token) }

    private static func delete(http: HTTPRequest, location: String?, token: String) {
        guard let location else { return }
        _ = try? http.send(method: "DELETE", path: location, headers: ["Authorization": "Bearer \(token)"], timeout: 3)
    }
}
