import DTLS
import ICE
import SDP

/// WHEP (draft-ietf-wish-whep): here the viewer offers and we answer, the reverse of LiveKit's
/// subscriber connection. Each receiving audio/video m-section of the offer gets the next room
/// track of its kind whose codec it offers; the rest are answered inactive. The client's payload
/// types and header extension ids are kept (RFC 3264 §6.1), so each consumer maps the
/// publisher's numbers to the client's.
extension SubscriberConnection {
    /// abs-capture-time: the sender's capture clock, which load generators stamp to measure
    /// end-to-end latency through the server.
    static let absCaptureTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"

    struct HTTPOfferAnswer {
        let sdp: String
        /// The tracks given a section, in the offer's order.
        let trackSids: [String]
    }

    func answerHTTPOffer(_ offerText: String, tracks: [(track: PublishedTrack, publisherSid: String)])
        throws(NegotiationError) -> HTTPOfferAnswer
    {
        let offer: SessionDescription
        do { offer = try SessionDescription(parsing: offerText) } catch { throw .badSDP("\(error)") }
        let (remoteICE, remoteFingerprint) = try remoteTransport(of: offer)
        guard sections.isEmpty else { throw .badSDP("this session already has an offer; renegotiation is not supported") }

        // Which track goes into which offered section.
        var remaining = tracks.filter { $0.track.producer != nil && !$0.track.codecs.isEmpty }
        var assigned: [String: (track: PublishedTrack, publisherSid: String, ssrc: UInt32, rtxSSRC: UInt32?)] = [:]
        var sendStreams: [String: SendStream] = [:]
        var videoCapabilities: [CodecCapability] = []
        var audioCapabilities: [CodecCapability] = []
        // The answer's codec choice is made per kind, not per section: every track given to a
        // section of one kind must have the same codec (the first one chosen), or a section
        // could be answered with a codec its track does not carry.
        var chosen: [MediaKind: Codec] = [:]
        for m in offer.media where m.isRTP && m.port != 0 && m.direction.receives {
            guard let mid = m.mid else { continue }
            let kind: MediaKind = m.kind == .audio ? .audio : .video
            guard let index = remaining.firstIndex(where: { candidate in
                guard (candidate.track.kind == .audio) == (kind == .audio), let primary = candidate.track.primaryCodec else { return false }
                if let codec = chosen[kind], !Self.sameCodec(codec, primary) { return false }
                return m.codecs.contains { Self.sameCodec($0, primary) }
            }) else { continue }
            let (track, publisherSid) = remaining.remove(at: index)
            guard let primary = track.primaryCodec else { continue }
            chosen[kind] = primary
            let offersRTX = m.codecs.contains { rtx in
                rtx.isRTX && m.codecs.contains { $0.payloadType == rtx.associatedPayloadType && Self.sameCodec($0, primary) }
            }
            let rtxSSRC = offersRTX && track.codecs.contains { $0.isRTX } ? UInt32.random(in: 1...UInt32.max) : nil
            let ssrc = UInt32.random(in: 1...UInt32.max)
            assigned[mid] = (track, publisherSid, ssrc, rtxSSRC)
            sendStreams[mid] = SendStream(ssrc: ssrc, rtxSSRC: rtxSSRC, cname: publisherSid,
                                          streamID: "\(publisherSid)|\(track.sid)", trackID: track.sid)
            let capability = CodecCapability.forwarding(primary)
            if kind == .audio {
                if !audioCapabilities.contains(where: { $0.name.lowercased() == capability.name.lowercased() }) { audioCapabilities.append(capability) }
            } else if !videoCapabilities.contains(where: { $0.name.lowercased() == capability.name.lowercased() }) {
                videoCapabilities.append(capability)
            }
        }

        let parameters = transport.parameters
        var options = SDPAnswerOptions(
            iceUfrag: parameters.ice.ufrag, icePwd: parameters.ice.pwd,
            fingerprint: Fingerprint(sha256: parameters.fingerprint.bytes),
            candidates: parameters.candidates.compactMap { try? Candidate(parsing: $0.sdpAttribute) })
        let sending = Set(assigned.keys)
        options.direction = .custom { offered in offered.mid.map(sending.contains) == true ? .sendonly : .inactive }
        options.audioCodecs = audioCapabilities.isEmpty ? [.opus] : audioCapabilities
        options.videoCodecs = videoCapabilities.isEmpty ? [.vp8] : videoCapabilities
        options.codecSelection = .preferredOnly
        options.rejectApplication = true
        options.acceptSimulcast = false
        options.headerExtensions.insert(Self.absCaptureTimeURI)
        options.sendStreams = sendStreams
        let answer: SessionDescription
        do { answer = try makeAnswer(to: offer, options: options) } catch { throw .badSDP("\(error)") }

        var trackSids: [String] = []
        for answered in answer.media where answered.port != 0 {
            guard let mid = answered.mid, let (track, publisherSid, ssrc, rtxSSRC) = assigned[mid] else { continue }
            let codecs = answered.codecs
            guard let primary = track.primaryCodec, codecs.contains(where: { !$0.isRTX && Self.sameCodec($0, primary) }) else {
                throw .badSDP("section \(mid) was answered with a codec its track does not carry")
            }
            sections.append(Section(
                mid: mid, kind: answered.kind == .audio ? .audio : .video, trackSid: track.sid, publisherSid: publisherSid,
                codecs: codecs, ssrc: ssrc, rtxSSRC: codecs.contains { $0.isRTX } ? rtxSSRC : nil,
                payloadMap: Self.payloadMap(publisher: track.codecs, subscriber: codecs),
                extensionIDs: Dictionary(answered.extMaps.map { ($0.uri, UInt8(truncatingIfNeeded: $0.id)) },
                                         uniquingKeysWith: { a, _ in a })))
            trackSids.append(track.sid)
        }
        guard !trackSids.isEmpty else { throw .badSDP("no offered section can receive any of this room's tracks") }
        answeredTrackSids = Set(trackSids)
        for sid in trackSids {
            if let (track, _, _, _) = assigned.values.first(where: { $0.track.sid == sid }) { attachConsumer(track) }
        }
        let transport = self.transport, egress = self.egress, negotiated = Set(trackSids)
        transports.execute {
            transport.setRemote(ice: remoteICE, fingerprint: remoteFingerprint)
            egress.markNegotiated(trackSids: negotiated)
        }
        return HTTPOfferAnswer(sdp: answer.serialized(), trackSids: trackSids)
    }

    /// Whether some receiving audio/video section of `offer` offers the codec of one of `tracks`.
    static func anySectionReceives(_ offer: SessionDescription, tracks: [(track: PublishedTrack, publisherSid: String)]) -> Bool {
        offer.media.contains { m in
            m.isRTP && m.port != 0 && m.direction.receives && tracks.contains { candidate in
                (candidate.track.kind == .audio) == (m.kind == .audio)
                    && candidate.track.primaryCodec.map { primary in m.codecs.contains { sameCodec($0, primary) } } == true
            }
        }
    }

    /// Same encoding: name and clock rate (channels are not compared: Opus is always /2).
    static func sameCodec(_ a: Codec, _ b: Codec) -> Bool {
        a.name.lowercased() == b.name.lowercased() && a.clockRate == b.clockRate
    }

    /// The publisher's payload types to the client's, for the primary codecs and their RTX.
    static func payloadMap(publisher: [Codec], subscriber: [Codec]) -> [(UInt8, UInt8)] {
        var map: [(UInt8, UInt8)] = []
        for p in publisher where !p.isRTX {
            guard let s = subscriber.first(where: { !$0.isRTX && sameCodec($0, p) }) else { continue }
            map.append((p.payloadType, s.payloadType))
            if let pr = publisher.first(where: { $0.isRTX && $0.associatedPayloadType == p.payloadType }),
               let sr = subscriber.first(where: { $0.isRTX && $0.associatedPayloadType == s.payloadType }) {
                map.append((pr.payloadType, sr.payloadType))
            }
        }
        return map
    }
}

extension PublishedTrack {
    /// The media codec the publisher sends (not RTX, RED or FEC).
    var primaryCodec: Codec? { codecs.first { !$0.isRTX && !$0.isRED && !$0.isFEC } }
}

extension CodecCapability {
    /// What a viewer must accept to receive `codec` unchanged.
    static func forwarding(_ codec: Codec) -> CodecCapability {
        switch codec.name.lowercased() {
        case "opus": return .opus
        case "vp8": return .vp8
        case "vp9": return .vp9
        case "av1": return .av1
        case "h264":
            let profile = codec.parameters.first { $0.key == "profile-level-id" }?.value ?? "42e01f"
            let mode = codec.parameters.first { $0.key == "packetization-mode" }?.value.flatMap { Int($0) } ?? 1
            return .h264(profileLevelID: profile, packetizationMode: mode)
        default:
            return CodecCapability(name: codec.name, clockRate: codec.clockRate, channels: codec.channels)
        }
    }
}
