import ICE
import LiveKitProtocol
import MediaTransport
import SDP

/// WHIP ingest (RFC 9725) and WHEP egress (draft-ietf-wish-whep): a participant whose one peer
/// connection is negotiated by a single HTTP offer/answer instead of the signalling protocol.
/// To everyone else it is an ordinary participant; it has no signalling connection, so it
/// lives until its transport closes (DELETE, or RFC 7675 consent expiry) instead of pinging.
public enum HTTPSessionKind: String, Sendable {
    /// Publishes the offer's audio/video sections as tracks.
    case whip
    /// Receives the room's tracks, one per receiving section of its offer.
    case whep
}

public enum HTTPSessionError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The token's grants do not allow this (HTTP 403).
    case notAllowed(String)
    /// The offer cannot be answered (HTTP 400 for unparsable, 422 for unsatisfiable).
    case badOffer(String)
    case unsatisfiable(String)
    case join(JoinError)

    public var description: String {
        switch self {
        case .notAllowed(let m): return "not allowed: \(m)"
        case .badOffer(let m): return "bad offer: \(m)"
        case .unsatisfiable(let m): return m
        case .join(let e): return e.description
        }
    }
}

public struct HTTPSessionAnswer: Sendable {
    public let participantSid: String
    public let sdp: String
    /// Tracks published (WHIP) or received (WHEP).
    public let trackSids: [String]
}

/// What a PATCH with an ICE restart gets back: our credentials and candidates (ICE-lite).
public struct HTTPSessionICE: Sendable {
    public let ufrag: String
    public let pwd: String
    public let candidates: [String]
}

extension Room {
    /// Starts a WHIP or WHEP session for `request` with the client's `offer`.
    /// `publisherIdentity` (WHEP): receive only this participant's tracks.
    public func startHTTPSession(_ kind: HTTPSessionKind, request: JoinRequest, offer: String,
                                 publisherIdentity: String? = nil) throws(HTTPSessionError) -> HTTPSessionAnswer {
        let description: SessionDescription
        do { description = try SessionDescription(parsing: offer) } catch { throw .badOffer("\(error)") }
        var request = request
        request.autoSubscribe = false
        switch kind {
        case .whip:
            guard request.grant.canPublishEffective else { throw .notAllowed("token does not grant canPublish") }
            guard description.media.contains(where: { $0.isRTP && $0.port != 0 && $0.direction.sends }) else {
                throw .unsatisfiable("the offer sends no audio or video")
            }
        case .whep:
            guard request.grant.canSubscribeEffective else { throw .notAllowed("token does not grant canSubscribe") }
        }
        let sid: String
        do { sid = try join(request, sink: SignalSink(output: DiscardedSignalOutput()), httpSession: kind) } catch {
            throw .join(error)
        }
        guard let participant = participants[sid] else { throw .join(.internalError("participant vanished")) }
        do {
            switch kind {
            case .whip: return try publish(description, sdp: offer, participant: participant)
            case .whep: return try view(offer, participant: participant, publisherIdentity: publisherIdentity)
            }
        } catch {
            remove(participant, reason: .joinFailure, notify: false)
            throw error
        }
    }

    private func publish(_ offer: SessionDescription, sdp: String, participant: Participant) throws(HTTPSessionError)
        -> HTTPSessionAnswer
    {
        // The AddTrackRequests a LiveKit client would have sent, one per sending section.
        for m in offer.media where m.isRTP && m.port != 0 && m.direction.sends {
            guard let mid = m.mid else { continue }
            var add = Livekit_AddTrackRequest()
            add.cid = m.msids.first?.trackID ?? "whip-\(mid)"
            add.type = m.kind == .audio ? .audio : .video
            add.source = m.kind == .audio ? .microphone : .camera
            add.name = m.kind == .audio ? "audio" : "video"
            addTrack(add, from: participant)
        }
        guard !participant.tracks.isEmpty else { throw .notAllowed("the token's canPublishSources allow none of these tracks") }
        let answer: String
        do { answer = try answerPublisherOffer(sdp, of: participant) } catch { throw .unsatisfiable("\(error)") }
        let published = participant.tracks.values.filter(\.isNegotiated).map(\.sid).sorted()
        guard !published.isEmpty else { throw .unsatisfiable("no offered section has a codec this server forwards") }
        // Requests the offer did not carry (a section without a usable codec) are dropped.
        for (sid, track) in participant.tracks where !track.isNegotiated { participant.tracks[sid] = nil }
        return HTTPSessionAnswer(participantSid: participant.sid, sdp: answer, trackSids: published)
    }

    private func view(_ sdp: String, participant: Participant, publisherIdentity: String?) throws(HTTPSessionError)
        -> HTTPSessionAnswer
    {
        var available: [(track: PublishedTrack, publisherSid: String)] = []
        for other in participants.values.sorted(by: { $0.joinedAt < $1.joinedAt })
            where other.sid != participant.sid && (publisherIdentity == nil || other.identity == publisherIdentity) {
            for track in other.tracks.values.sorted(by: { $0.sid < $1.sid }) where track.isNegotiated {
                available.append((track, other.sid))
            }
        }
        guard !available.isEmpty else {
            throw .unsatisfiable(publisherIdentity.map { "\($0) publishes nothing in this room" } ?? "nothing is published in this room")
        }
        let result: SubscriberConnection.HTTPOfferAnswer
        do { result = try participant.subscriber.answerHTTPOffer(sdp, tracks: available) } catch {
            throw .unsatisfiable("\(error)")
        }
        participant.desiredSubscriptions.formUnion(result.trackSids)
        return HTTPSessionAnswer(participantSid: participant.sid, sdp: result.sdp, trackSids: result.trackSids)
    }

    /// Ends a WHIP/WHEP session (HTTP DELETE); false if there is none with this sid and kind.
    public func endHTTPSession(_ kind: HTTPSessionKind, sid: String) -> Bool {
        guard let participant = participants[sid], participant.httpSession == kind else { return false }
        remove(participant, reason: .clientInitiated, notify: false)
        return true
    }

    /// Whether `sid` is a live session of this kind (trickle PATCHes need nothing more: as an
    /// ICE-lite server we learn the client's addresses from its checks).
    public func hasHTTPSession(_ kind: HTTPSessionKind, sid: String) -> Bool {
        participants[sid]?.httpSession == kind
    }

    /// An ICE restart (RFC 9725 §4.3.2): the client's new credentials replace the old ones on
    /// the session's transport; its checks from any address are then accepted again.
    public func restartHTTPSessionICE(_ kind: HTTPSessionKind, sid: String, ufrag: String, pwd: String) -> HTTPSessionICE? {
        guard let participant = participants[sid], participant.httpSession == kind else { return nil }
        let transport = kind == .whip ? participant.publisher.transport : participant.subscriber.transport
        guard let transport else { return nil }
        let credentials = ICECredentials(ufrag: ufrag, pwd: pwd)
        context.transports.execute { transport.setRemote(ice: credentials, fingerprint: nil) }
        return HTTPSessionICE(ufrag: transport.parameters.ice.ufrag, pwd: transport.parameters.ice.pwd,
                              candidates: transport.parameters.candidates.map(\.sdpAttribute))
    }
}

/// The responses a LiveKit client would get, for a participant that has no signalling
/// connection to get them on.
final class DiscardedSignalOutput: SignalOutput {
    func deliver(_ signal: OutboundSignal) -> SignalSink.Delivery { .queued }
    func finish() {}
}
