import DTLS
import ICE
import LiveKitProtocol
import MediaTransport
import SDP

/// The server-to-client peer connection: we offer one sendonly m-section per subscribed track
/// (msid "<participant sid>|<track sid>" as LiveKit SDKs expect) and the client answers.
/// Negotiation is serialised: one offer in flight; changes made meanwhile produce one re-offer
/// after the answer arrives, so there is never glare.
final class SubscriberConnection {
    struct Section {
        let mid: String
        let kind: MediaKind
        /// nil: a stopped slot kept (inactive) so m-line order never changes; reused later.
        var trackSid: String?
        var publisherSid: String?
        var codecs: [Codec]
        var ssrc: UInt32
        var rtxSSRC: UInt32?
        /// Publisher payload type -> ours, when the client chose the numbers (a WHEP offer);
        /// nil: we offered the publisher's own.
        var payloadMap: [(UInt8, UInt8)]? = nil
        /// Header extension ids by URI, when the client chose them (a WHEP offer).
        var extensionIDs: [String: UInt8]? = nil
    }

    let transport: WebRTCTransport
    let egress: SubscriberEgress
    /// `_reliable` and `_lossy`, opened by us once the transport connects (media loop only).
    private let dataChannels: PeerDataChannels
    let transports: TransportServer
    var sections: [Section] = []
    private var nextMid = 1
    private var awaitingAnswer = false
    private var needsOffer = false
    private var sessionVersion: UInt64 = 1
    private let sessionID = String(UInt64.random(in: 1..<(1 << 62)))
    private var remoteKnown = false
    /// Tracks in the offer in flight: their consumers start sending once it is answered.
    private var offeredTrackSids: Set<String> = []
    /// Tracks whose section the subscriber has answered.
    var answeredTrackSids: Set<String> = []

    /// Header extensions offered to subscribers, with the ids the forwarder will write.
    static let audioExtensions = [
        ExtMap(id: 1, uri: "urn:ietf:params:rtp-hdrext:ssrc-audio-level"),
        ExtMap(id: 2, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"),
        ExtMap(id: 3, uri: "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01"),
        ExtMap(id: 4, uri: "urn:ietf:params:rtp-hdrext:sdes:mid"),
        // The publisher's capture clock, passed through: receivers use it for A/V sync across
        // an SFU and for end-to-end latency (the load generator measures with it).
        ExtMap(id: 5, uri: "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"),
    ]
    static let videoExtensions = Array(audioExtensions.dropFirst())

    /// - Parameters: onSlowData: the participant's reliable data channel overflowed;
    ///   onDataOpen: our data channels to it are open (both on the media loop).
    init(transports: TransportServer, stats: ForwardingStats, dataStats: DataChannelStats, maxBitrate: Int64 = 8_000_000,
         onState: @escaping @Sendable (TransportState) -> Void,
         onSlowData: @escaping @Sendable () -> Void,
         onDataOpen: @escaping @Sendable () -> Void) throws(NegotiationError) {
        self.transports = transports
        egress = SubscriberEgress(stats: stats, maxBitrate: maxBitrate)
        do { transport = try transports.makeTransport() } catch { throw .transport("\(error)") }
        let channels = PeerDataChannels(role: .subscriber, transport: transport, transports: transports, stats: dataStats)
        channels.onOverflow = onSlowData
        channels.onOpen = onDataOpen
        dataChannels = channels
        transport.onStateChange = { state in
            channels.transportStateChanged(state)
            onState(state)
        }
        transport.onApplicationData = { packet in channels.receive(packet) }
        let egress = self.egress
        egress.transport = transport
        transport.onRTCP = { packet in egress.receiveRTCP(packet) }
        transport.onTick = { now in
            egress.tick(now: now)
            channels.tick()
        }
        transports.register(transport)
    }

    /// For a viewer whose offer had no application section: no SCTP toward it.
    func disableDataChannels() {
        let channels = dataChannels
        transports.execute { channels.enabled = false }
    }

    /// Sends an encoded DataPacket to this participant (on the media loop, in call order).
    func sendData(_ bytes: [UInt8], kind: DataChannelKind) {
        let channels = dataChannels
        transports.execute { channels.send(bytes, kind: kind) }
    }

    /// Subscriber-side header extension ids by URI, as offered.
    static func extensionIDs(video: Bool) -> [String: UInt8] {
        Dictionary((video ? videoExtensions : audioExtensions).map { ($0.uri, UInt8($0.id)) }, uniquingKeysWith: { a, _ in a })
    }

    func section(trackSid: String) -> Section? { sections.first { $0.trackSid == trackSid } }

    var subscribedTrackSids: [String] { sections.compactMap(\.trackSid) }

    /// Adds a section for `track` of `publisherSid` (reusing a stopped slot of the same kind) and
    /// a consumer feeding it from the track's producer.
    func add(track: PublishedTrack, publisherSid: String) {
        defer { attachConsumer(track) }
        guard !sections.contains(where: { $0.trackSid == track.sid }), !track.codecs.isEmpty else { return }
        let kind: MediaKind = track.kind == .audio ? .audio : .video
        let hasRTX = track.codecs.contains { $0.isRTX }
        if let slot = sections.firstIndex(where: { $0.trackSid == nil && $0.kind == kind }) {
            sections[slot].trackSid = track.sid
            sections[slot].publisherSid = publisherSid
            sections[slot].codecs = track.codecs
            sections[slot].ssrc = UInt32.random(in: 1...UInt32.max)
            sections[slot].rtxSSRC = hasRTX ? UInt32.random(in: 1...UInt32.max) : nil
        } else {
            sections.append(Section(mid: String(nextMid), kind: kind, trackSid: track.sid, publisherSid: publisherSid,
                                    codecs: track.codecs, ssrc: UInt32.random(in: 1...UInt32.max),
                                    rtxSSRC: hasRTX ? UInt32.random(in: 1...UInt32.max) : nil))
            nextMid += 1
        }
        needsOffer = true
    }

    func attachConsumer(_ track: PublishedTrack) {
        guard let producer = track.producer, let section = section(trackSid: track.sid) else { return }
        let isVideo = track.kind == .video
        let consumer = Consumer(trackSid: track.sid, transport: transport, ssrc: section.ssrc, isVideo: isVideo,
                                extensionMap: HeaderExtensionMap(publisher: producer.extensionIDs,
                                                                 subscriber: section.extensionIDs ?? Self.extensionIDs(video: isVideo)),
                                payloadTypes: section.payloadMap ?? section.codecs.map { ($0.payloadType, $0.payloadType) },
                                rtxSSRC: section.rtxSSRC,
                                rtxPayloadTypes: Dictionary(section.codecs.compactMap { codec in
                                    codec.isRTX ? codec.associatedPayloadType.map { ($0, codec.payloadType) } : nil
                                }, uniquingKeysWith: { a, _ in a }),
                                bandwidth: egress.bandwidth)
        consumer.negotiated = answeredTrackSids.contains(track.sid)
        let egress = self.egress
        transports.execute {
            guard egress.consumer(trackSid: consumer.trackSid) == nil else { return }
            producer.add(consumer)
            egress.add(consumer, of: producer)
        }
    }

    func remove(trackSid: String) {
        let egress = self.egress
        transports.execute {
            if let (consumer, producer) = egress.remove(trackSid: trackSid) { producer.remove(consumer) }
        }
        guard let i = sections.firstIndex(where: { $0.trackSid == trackSid }) else { return }
        sections[i].trackSid = nil
        sections[i].publisherSid = nil
        needsOffer = true
    }

    /// The next offer to send, or nil while one is in flight (the change goes out after the answer).
    /// `restart`: a resumed client lost whatever was in flight; offer again regardless.
    func nextOffer(force: Bool = false, restart: Bool = false) throws(NegotiationError) -> String? {
        if force { needsOffer = true }
        if restart { awaitingAnswer = false }
        guard needsOffer, !awaitingAnswer else { return nil }
        var offerSections = [OfferSection.application(mid: "0")]
        for s in sections {
            var section = OfferSection(kind: s.kind, mid: s.mid, direction: s.trackSid == nil ? .inactive : .sendonly,
                                       codecs: s.codecs,
                                       extensions: s.kind == .audio ? Self.audioExtensions : Self.videoExtensions)
            if let track = s.trackSid, let publisher = s.publisherSid {
                section.stream = SendStream(ssrc: s.ssrc, rtxSSRC: s.rtxSSRC, cname: publisher,
                                            streamID: "\(publisher)|\(track)", trackID: track)
            }
            offerSections.append(section)
        }
        var options = SDPOfferOptions(
            iceUfrag: transport.parameters.ice.ufrag, icePwd: transport.parameters.ice.pwd,
            fingerprint: Fingerprint(sha256: transport.parameters.fingerprint.bytes),
            candidates: transport.parameters.candidates.compactMap { try? Candidate(parsing: $0.sdpAttribute) },
            sections: offerSections, sessionID: sessionID)
        sessionVersion += 1
        options.sessionVersion = sessionVersion
        let offer: SessionDescription
        do { offer = try makeOffer(options: options) } catch { throw .badSDP("\(error)") }
        needsOffer = false
        awaitingAnswer = true
        offeredTrackSids = Set(sections.compactMap(\.trackSid))
        return offer.serialized()
    }

    /// Applies the client's answer; returns whether another offer is due.
    func apply(answerText: String) throws(NegotiationError) {
        let answer: SessionDescription
        do { answer = try SessionDescription(parsing: answerText) } catch { throw .badSDP("\(error)") }
        awaitingAnswer = false
        let accepted = offeredTrackSids.intersection(sections.compactMap(\.trackSid))
        answeredTrackSids = accepted
        let egress = self.egress
        transports.execute { egress.markNegotiated(trackSids: accepted) }
        // A subscriber that rejected the data channel section gets no SCTP association.
        if answer.media.contains(where: { $0.kind == .application && $0.port == 0 }) { disableDataChannels() }
        guard let first = answer.media.first(where: { $0.port != 0 }) else { return }
        let credentials = answer.iceCredentials(for: first)
        let fingerprint = answer.fingerprints(for: first).first { $0.algorithm.lowercased() == "sha-256" }
        let transport = self.transport
        let ice = credentials.map { ICECredentials(ufrag: $0.ufrag, pwd: $0.pwd) }
        let dtls = fingerprint.map { DTLSFingerprint(algorithm: $0.algorithm, bytes: $0.bytes) }
        if !remoteKnown || ice != nil {
            remoteKnown = true
            transports.execute { transport.setRemote(ice: ice, fingerprint: dtls) }
        }
    }

    var hasPendingChanges: Bool { needsOffer }

    func close() {
        let transport = self.transport
        transports.execute { transport.close() }
    }
}
