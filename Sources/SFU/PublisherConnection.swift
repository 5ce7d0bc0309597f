import DTLS
import ICE
import MediaTransport
import SDP

/// One m-section of the publisher's offer, as the room needs it: which client track it carries
/// (msid track id = AddTrackRequest.cid), what was negotiated, and the SSRCs it announced.
struct PublisherSection: Sendable {
    let mid: String
    let kind: MediaKind
    let direction: Direction
    let clientTrackID: String?
    let codecs: [Codec]
    let extensions: [ExtMap]
    let ssrcs: [UInt32]
    /// Media SSRC -> RTX SSRC (`a=ssrc-group:FID`, RFC 4588 §8.1).
    let rtxPairs: [UInt32: UInt32]
}

/// The ICE credentials and sha-256 certificate fingerprint an offer announces for its first live
/// section (BUNDLE: one transport for all).
func remoteTransport(of offer: SessionDescription) throws(NegotiationError) -> (ICECredentials, DTLSFingerprint) {
    guard let first = offer.media.first(where: { $0.port != 0 }),
          let credentials = offer.iceCredentials(for: first),
          let fingerprint = offer.fingerprints(for: first).first(where: { $0.algorithm.lowercased() == "sha-256" }) else {
        throw .badSDP("offer lacks ICE credentials or a sha-256 fingerprint")
    }
    return (ICECredentials(ufrag: credentials.ufrag, pwd: credentials.pwd),
            DTLSFingerprint(algorithm: fingerprint.algorithm, bytes: fingerprint.bytes))
}

enum NegotiationError: Error, CustomStringConvertible {
    case badSDP(String)
    case transport(String)

    var description: String {
        switch self {
        case .badSDP(let m): return "SDP: \(m)"
        case .transport(let m): return "transport: \(m)"
        }
    }
}

/// The client-to-server peer connection: the client offers, we answer (receive only). The
/// application section carries the client's data channels (`_reliable`, `_lossy`); what
/// arrives on them goes to `onData`.
final class PublisherConnection {
    private let transports: TransportServer
    let ingress: PublisherIngress
    private(set) var transport: WebRTCTransport?
    private var sessionVersion: UInt64 = 1
    private let sessionID = String(UInt64.random(in: 1..<(1 << 62)))
    private let dataStats: DataChannelStats
    /// An encoded DataPacket from the client's data channels (called on the media loop, in order).
    private let onData: @Sendable (DataChannelKind, [UInt8]) -> Void

    init(transports: TransportServer, stats: ForwardingStats, dataStats: DataChannelStats,
         onData: @escaping @Sendable (DataChannelKind, [UInt8]) -> Void) {
        self.transports = transports
        ingress = PublisherIngress(stats: stats)
        self.dataStats = dataStats
        self.onData = onData
    }

    /// Answers `offerText`; the transport is made on the first offer, from its credentials.
    func answer(offerText: String, onState: @escaping @Sendable (TransportState) -> Void) throws(NegotiationError)
        -> (answer: String, sections: [PublisherSection])
    {
        let offer: SessionDescription
        do { offer = try SessionDescription(parsing: offerText) } catch { throw .badSDP("\(error)") }
        let (remoteICE, remoteFingerprint) = try remoteTransport(of: offer)
        let transport: WebRTCTransport
        if let existing = self.transport, !existing.state.isClosed {
            transport = existing
            transports.execute { transport.setRemote(ice: remoteICE, fingerprint: nil) }
        } else {
            do {
                transport = try transports.makeTransport(remoteICE: remoteICE, remoteFingerprint: remoteFingerprint)
            } catch { throw .transport("\(error)") }
            let channels = PeerDataChannels(role: .publisher, transport: transport, transports: transports, stats: dataStats)
            channels.onMessage = onData
            transport.onStateChange = { state in
                channels.transportStateChanged(state)
                onState(state)
            }
            transport.onApplicationData = { packet in channels.receive(packet) }
            let ingress = self.ingress
            ingress.transport = transport
            transport.onRTP = { packet in ingress.receive(packet) }
            transport.onRTCP = { packet in ingress.receiveRTCP(packet) }
            transport.onTick = { now in
                ingress.tick(now: now)
                channels.tick()
            }
            transports.register(transport)
            self.transport = transport
        }

        var options = SDPAnswerOptions(
            iceUfrag: transport.parameters.ice.ufrag, icePwd: transport.parameters.ice.pwd,
            fingerprint: Fingerprint(sha256: transport.parameters.fingerprint.bytes),
            candidates: transport.parameters.candidates.compactMap { try? Candidate(parsing: $0.sdpAttribute) },
            sessionID: sessionID)
        options.direction = .receiveOnly
        options.codecSelection = .preferredOnly
        options.rejectApplication = false
        options.acceptSimulcast = true
        // Forwarded to subscribers that negotiate it too (WHEP viewers): end-to-end latency.
        options.headerExtensions.insert(SubscriberConnection.absCaptureTimeURI)
        sessionVersion += 1
        options.sessionVersion = sessionVersion
        let answer: SessionDescription
        do { answer = try makeAnswer(to: offer, options: options) } catch { throw .badSDP("\(error)") }

        var sections: [PublisherSection] = []
        for (offered, answered) in zip(offer.media, answer.media) where offered.isRTP {
            guard let mid = offered.mid else { continue }
            // A stopped transceiver (port 0) or a rejected section sends nothing: its track, if
            // any, is unpublished.
            let stopped = offered.port == 0 || answered.port == 0
            sections.append(PublisherSection(
                mid: mid, kind: offered.kind, direction: stopped ? .inactive : offered.direction,
                clientTrackID: offered.msids.first?.trackID, codecs: answered.codecs,
                extensions: answered.extMaps, ssrcs: offered.ssrcs,
                rtxPairs: Dictionary(offered.ssrcGroups.filter { $0.semantics == "FID" && $0.ssrcs.count == 2 }
                    .map { ($0.ssrcs[0], $0.ssrcs[1]) }, uniquingKeysWith: { a, _ in a })))
        }
        return (answer.serialized(), sections)
    }

    func close() {
        guard let transport else { return }
        transports.execute { transport.close() }
    }
}
