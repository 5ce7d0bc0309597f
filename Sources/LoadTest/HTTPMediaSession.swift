import DTLS
import ICE
import LoadPeer
import MediaTransport
import SDP

/// One WHIP publisher or WHEP viewer of the load: our offer (full ICE, controlling; DTLS client;
/// SRTP), POSTed with a room token, the server's answer applied, then ICE + DTLS on a LoadPeer.
/// Works against any WHIP/WHEP server, not only ours.
final class HTTPMediaSession: MediaSession, @unchecked Sendable {
    enum Role { case publisher, viewer }

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
         audioSections: Int, videoSections: Int, videoRIDs: [String] = []) throws {
        self.role = role
        self.http = http
        self.token = token
        let ice = ICECredentials.random()
        let (offer, outgoing) = try ClientOffer.make(sending: role == .publisher, ice: ice, certificate: certificate,
                                                     audioSections: audioSections, videoSections: videoSections,
                                                     videoRIDs: role == .publisher ? videoRIDs : [])

        let response = try http.send(method: "POST", path: path,
                                     headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/sdp"],
                                     body: offer)
        guard response.status == 201 else { throw Failure.refused(response.status, response.body) }
        location = response.headers["location"]
        do {
            let (server, serverICE, fingerprint, incoming) = try Self.parseAnswer(response.body)
            self.incoming = incoming
            self.outgoing = try ClientOffer.accepted(outgoing, answer: response.body)
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
    static func parseAnswer(_ text: String) throws -> (UDPAddress, ICECredentials, DTLSFingerprint, [UInt32: Bool]) {
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

    /// DELETE on the session's resource; errors are ignored (the server may be gone).
    func end() { Self.delete(http: http, location: location, token: token) }

    private static func delete(http: HTTPRequest, location: String?, token: String) {
        guard let location else { return }
        _ = try? http.send(method: "DELETE", path: location, headers: ["Authorization": "Bearer \(token)"], timeout: 3)
    }
}
