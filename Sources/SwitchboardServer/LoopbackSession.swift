import DTLS
import ICE
import Logging
import MediaTransport
import RTP
import SDP

/// Test-only "loopback" mode (`serve --loopback`): the server answers an offer and sends every
/// RTP packet it receives back to the same peer under new SSRCs, which its answer announces.
/// Until rooms exist this proves ICE-lite, DTLS-SRTP and SRTP both ways against real WebRTC
/// stacks. Keyframe requests and NACKs the peer sends for our SSRCs are mapped back to its own
/// SSRCs so its encoder and retransmission logic keep working through the server.
final class LoopbackSession: @unchecked Sendable {
    /// Peer SSRC -> our SSRC, and back. Tiny arrays: a linear scan beats hashing here.
    private var forward: [(UInt32, UInt32)] = []
    private var backward: [(UInt32, UInt32)] = []
    private let transport: WebRTCTransport
    private let logger: Logger

    enum SetupError: Error, CustomStringConvertible {
        case badOffer(String)
        case transport(String)
        var description: String {
            switch self {
            case .badOffer(let m): return "offer: \(m)"
            case .transport(let m): return "transport: \(m)"
            }
        }
    }

    /// Parses `offerText`, registers a transport and returns the SDP answer.
    static func start(offerText: String, server: TransportServer, logger: Logger) throws(SetupError) -> String {
        let offer: SessionDescription
        do { offer = try SessionDescription(parsing: offerText) } catch { throw .badOffer("\(error)") }
        guard let first = offer.media.first(where: { $0.isRTP && $0.port != 0 }) else { throw .badOffer("no RTP section") }
        guard let credentials = offer.iceCredentials(for: first),
              let fingerprint = offer.fingerprints(for: first).first(where: { $0.algorithm.lowercased() == "sha-256" }) else {
            throw .badOffer("missing ice-ufrag/ice-pwd or sha-256 fingerprint")
        }
        let transport: WebRTCTransport
        do {
            transport = try server.makeTransport(
                remoteICE: ICECredentials(ufrag: credentials.ufrag, pwd: credentials.pwd),
                remoteFingerprint: DTLSFingerprint(algorithm: fingerprint.algorithm, bytes: fingerprint.bytes))
        } catch { throw .transport("\(error)") }

        let session = LoopbackSession(transport: transport, logger: logger)
        var options = SDPAnswerOptions(
            iceUfrag: transport.parameters.ice.ufrag, icePwd: transport.parameters.ice.pwd,
            fingerprint: Fingerprint(sha256: transport.parameters.fingerprint.bytes),
            candidates: transport.parameters.candidates.compactMap { try? Candidate(parsing: $0.sdpAttribute) })
        options.rejectApplication = true
        options.direction = .mirror
        for m in offer.media where m.isRTP {
            guard let mid = m.mid, let primary = m.primarySSRC else { continue }
            let ours = UInt32.random(in: 1...UInt32.max)
            session.map(primary, to: ours)
            var rtx: UInt32?
            if let peerRTX = m.rtxSSRC(for: primary) {
                rtx = UInt32.random(in: 1...UInt32.max)
                session.map(peerRTX, to: rtx!)
            }
            options.sendStreams[mid] = SendStream(ssrc: ours, rtxSSRC: rtx, cname: "switchboard-loopback",
                                                  streamID: "loopback", trackID: "loopback-\(mid)")
        }
        let answer: SessionDescription
        do { answer = try makeAnswer(to: offer, options: options) } catch { throw .badOffer("\(error)") }

        transport.onRTP = { [session] packet in session.echoRTP(packet) }
        transport.onRTCP = { [session] packet in session.reflectFeedback(packet) }
        transport.onStateChange = { [session] state in session.stateChanged(state) }
        server.register(transport)
        logger.info("loopback transport \(transport.id) ready", metadata: ["ufrag": "\(transport.parameters.ice.ufrag)"])
        return answer.serialized()
    }

    private init(transport: WebRTCTransport, logger: Logger) {
        self.transport = transport
        self.logger = logger
    }

    private func map(_ peer: UInt32, to ours: UInt32) {
        forward.append((peer, ours))
        backward.append((ours, peer))
    }

    private static func lookup(_ table: [(UInt32, UInt32)], _ key: UInt32) -> UInt32? {
        for (k, v) in table where k == key { return v }
        return nil
    }

    // MARK: Media loop

    private func echoRTP(_ packet: UnsafeMutableRawBufferPointer) {
        guard let header = try? RTPHeaderView(validating: UnsafeRawBufferPointer(packet)),
              let ours = Self.lookup(forward, header.ssrc) else { return }
        RTPHeaderView.setSSRC(ours, in: packet)
        transport.sendRTP(UnsafeRawBufferPointer(packet))
    }

    /// Rewrites the media SSRC of RTPFB/PSFB feedback (RFC 4585 §6.1; FIR entries RFC 5104 §4.3.1)
    /// from our SSRCs to the peer's and sends it back as reduced-size RTCP (RFC 5506).
    private func reflectFeedback(_ packet: UnsafeMutableRawBufferPointer) {
        var offset = 0
        var out: [UInt8] = []
        while offset + 4 <= packet.count {
            let length = ((Int(packet[offset + 2]) << 8 | Int(packet[offset + 3])) + 1) * 4
            guard length >= 4, offset + length <= packet.count else { break }
            let type = packet[offset + 1], format = packet[offset] & 0x1F
            if (type == 205 || type == 206) && length >= 12 {
                var copy = Array(packet[offset..<offset + length])
                var mapped = rewriteSSRC(&copy, at: 8)
                if type == 206 && format == 4 {
                    var entry = 12
                    while entry + 8 <= copy.count { mapped = rewriteSSRC(&copy, at: entry) || mapped; entry += 8 }
                }
                if mapped { out += copy }
            }
            offset += length
        }
        if !out.isEmpty { transport.sendRTCP(out) }
    }

    private func rewriteSSRC(_ bytes: inout [UInt8], at offset: Int) -> Bool {
        let ssrc = UInt32(bytes[offset]) << 24 | UInt32(bytes[offset + 1]) << 16 | UInt32(bytes[offset + 2]) << 8 | UInt32(bytes[offset + 3])
        guard let peer = Self.lookup(backward, ssrc) else { return false }
        bytes[offset] = UInt8(peer >> 24); bytes[offset + 1] = UInt8((peer >> 16) & 0xFF)
        bytes[offset + 2] = UInt8((peer >> 8) & 0xFF); bytes[offset + 3] = UInt8(peer & 0xFF)
        return true
    }

    private func stateChanged(_ state: TransportState) {
        logger.info("loopback transport \(transport.id): \(state)")
        if state.isClosed {
            // Break the transport -> closure -> session -> transport cycle.
            transport.onRTP = nil
            transport.onRTCP = nil
            transport.onStateChange = nil
        }
    }
}

extension MediaDescription {
    /// The SSRC the peer sends media with: the first of an FID group, else the first listed.
    var primarySSRC: UInt32? {
        if let fid = ssrcGroups.first(where: { $0.semantics == "FID" }), let first = fid.ssrcs.first { return first }
        return ssrcs.first
    }

    /// The RTX SSRC paired with `primary` by `a=ssrc-group:FID` (RFC 4588 §8.1).
    func rtxSSRC(for primary: UInt32) -> UInt32? {
        guard let fid = ssrcGroups.first(where: { $0.semantics == "FID" && $0.ssrcs.first == primary }),
              fid.ssrcs.count > 1 else { return nil }
        return fid.ssrcs[1]
    }
}
