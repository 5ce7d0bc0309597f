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
    /// The resource id for the session's URL (random; not the participant sid).
    public let sessionID: String
    /// The ICE session's entity tag (RFC 9725 §4.3.1); a restart makes a new one.
    public let etag: String
    public let sdp: String
    /// Tracks published (WHIP) or received (WHEP).
    public let trackSids: [String]
}

/// What a PATCH with an ICE restart gets back: our credentials and candidates (ICE-lite).
public struct HTTPSessionICE: Sendable {
    public let ufrag: String
    public let pwd: String
    public let candidates: [String]
    public let etag: String
}

/// Who asks to change or end a session: only its own participant, or a room admin.
public struct HTTPSessionCaller: Sendable {
    public let identity: String
    public let isAdmin: Bool

    public init(identity: String, isAdmin: Bool) {
        self.identity = identity
        self.isAdmin = isAdmin
    }
}

public enum HTTPSessionLookupError: Error, Sendable, Equatable {
    case notFound
    /// The token is not the session's participant's (nor a room admin's).
    case forbidden
    /// `If-Match` names another ICE session (RFC 9725 §4.3.1: 412).
    case preconditionFailed
}

extension Room {
    /// Starts a WHIP or WHEP session for `request` with the client's `offer`.
    /// `publisherIdentity` (WHEP): receive only this participant's tracks.
    ///
    /// Everything that can be refused is checked before the participant joins, so a refused
    /// POST creates nothing, tells nobody, and replaces no session of the same identity.
    public func startHTTPSession(_ kind: HTTPSessionKind, request: JoinRequest, offer: String,
                                 publisherIdentity: String? = nil) throws(HTTPSessionError) -> HTTPSessionAnswer {
        let description: SessionDescription
        do { description = try SessionDescription(parsing: offer) } catch { throw .badOffer("\(error)") }
        do { _ = try remoteTransport(of: description) } catch { throw .badOffer("\(error)") }
        var request = request
        request.autoSubscribe = false
        var available: [(track: PublishedTrack, publisherSid: String)] = []
        switch kind {
        case .whip:
            guard request.grant.canPublishEffective else { throw .notAllowed("token does not grant canPublish") }
            guard description.media.contains(where: { $0.isRTP && $0.port != 0 && $0.direction.sends }) else {
                throw .unsatisfiable("the offer sends no audio or video")
            }
        case .whep:
            guard request.grant.canSubscribeEffective else { throw .notAllowed("token does not grant canSubscribe") }
            available = viewable(by: request.identity, publisherIdentity: publisherIdentity)
            guard !available.isEmpty else {
                throw .unsatisfiable(publisherIdentity.map { "\($0) publishes nothing in this room" } ?? "nothing is published in this room")
            }
            guard SubscriberConnection.anySectionReceives(description, tracks: available) else {
                throw .unsatisfiable("no receiving section of the offer has a codec of this room's tracks")
            }
        }
        let sid: String
        do { sid = try join(request, sink: SignalSink(output: DiscardedSignalOutput()), httpSession: kind) } catch {
            throw .join(error)
        }
        guard let participant = participants[sid] else { throw .join(.internalError("participant vanished")) }
        participant.subscriber.disableDataChannels()
        participant.httpSessionID = randomToken()
        participant.httpSessionETag = "\"\(randomToken())\""
        do {
            switch kind {
            case .whip: return try publish(description, sdp: offer, participant: participant)
            case .whep: return try view(offer, participant: participant, available: available)
            }
        } catch {
            remove(participant, reason: .joinFailure, notify: false)
            throw error
        }
    }

    /// Negotiated tracks of other participants (of `publisherIdentity` only, if given), oldest first.
    private func viewable(by identity: String, publisherIdentity: String?) -> [(track: PublishedTrack, publisherSid: String)] {
        var available: [(track: PublishedTrack, publisherSid: String)] = []
        for other in participants.values.sorted(by: { $0.joinedAt < $1.joinedAt })
            where other.identity != identity && (publisherIdentity == nil || other.identity == publisherIdentity) {
            for track in other.tracks.values.sorted(by: { $0.sid < $1.sid }) where track.isNegotiated {
                available.append((track, other.sid))
            }
        }
        return available
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
            if m.kind == .video { add.layers = Self.simulcastLayers(of: m) }
            addTrack(add, from: participant)
        }
        guard !participant.tracks.isEmpty else { throw .notAllowed("the token's canPublishSources allow none of these tracks") }
        let answer: String
        do { answer = try answerPublisherOffer(sdp, of: participant) } catch { throw .unsatisfiable("\(error)") }
        let published = participant.tracks.values.filter(\.isNegotiated).map(\.sid).sorted()
        guard !published.isEmpty else { throw .unsatisfiable("no offered section has a codec this server forwards") }
        // Requests the offer did not carry (a section without a usable codec) are dropped.
        for (sid, track) in participant.tracks where !track.isNegotiated { participant.tracks[sid] = nil }
        return answered(participant, sdp: answer, trackSids: published)
    }

    /// The VideoLayers a LiveKit SDK would announce for a simulcast section (RFC 8853
    /// `a=simulcast:send`): one per rid the ingress can rank (q/h/f, low/mid/high, 0/1/2), with
    /// the rid's max-width/max-height/max-br restrictions (RFC 8851 §5) where given. Empty
    /// without simulcast, or with rids of no known rank (then forwarded as one stream).
    static func simulcastLayers(of m: MediaDescription) -> [Livekit_VideoLayer] {
        guard let simulcast = m.simulcast, simulcast.send.count > 1 else { return [] }
        let restrictions = Dictionary(m.rids.filter { $0.direction == .send }.map { ($0.id, $0.restrictions) }) { first, _ in first }
        var layers: [Livekit_VideoLayer] = []
        for alternatives in simulcast.send {
            guard let rid = alternatives.first?.rid else { continue }
            let rank = PublisherIngress.rank(of: rid)
            guard rank > 0, !layers.contains(where: { Self.rank(of: $0.quality) == rank }) else { return [] }
            var layer = Livekit_VideoLayer()
            layer.quality = rank == 1 ? .low : rank == 2 ? .medium : .high
            layer.rid = rid
            let limits = restrictions[rid]
            layer.width = limits?["max-width"].flatMap { UInt32($0) } ?? 0
            layer.height = limits?["max-height"].flatMap { UInt32($0) } ?? 0
            layer.bitrate = limits?["max-br"].flatMap { UInt32($0) } ?? 0
            layers.append(layer)
        }
        return layers.sorted { Self.rank(of: $0.quality) < Self.rank(of: $1.quality) }
    }

    private func view(_ sdp: String, participant: Participant, available: [(track: PublishedTrack, publisherSid: String)])
        throws(HTTPSessionError) -> HTTPSessionAnswer
    {
        let result: SubscriberConnection.HTTPOfferAnswer
        do { result = try participant.subscriber.answerHTTPOffer(sdp, tracks: available) } catch {
            throw .unsatisfiable("\(error)")
        }
        participant.desiredSubscriptions.formUnion(result.trackSids)
        return answered(participant, sdp: result.sdp, trackSids: result.trackSids)
    }

    private func answered(_ participant: Participant, sdp: String, trackSids: [String]) -> HTTPSessionAnswer {
        HTTPSessionAnswer(participantSid: participant.sid, sessionID: participant.httpSessionID ?? "",
                          etag: participant.httpSessionETag ?? "", sdp: sdp, trackSids: trackSids)
    }

    /// The session `id` of this kind, if `caller` may act on it.
    private func httpSession(_ kind: HTTPSessionKind, id: String, caller: HTTPSessionCaller)
        -> Result<Participant, HTTPSessionLookupError>
    {
        guard !id.isEmpty, let participant = participants.values.first(where: { $0.httpSessionID == id && $0.httpSession == kind }) else {
            return .failure(.notFound)
        }
        guard caller.isAdmin || caller.identity == participant.identity else { return .failure(.forbidden) }
        return .success(participant)
    }

    /// Ends a WHIP/WHEP session (HTTP DELETE).
    public func endHTTPSession(_ kind: HTTPSessionKind, id: String, caller: HTTPSessionCaller) -> Result<Void, HTTPSessionLookupError> {
        httpSession(kind, id: id, caller: caller).map { remove($0, reason: .clientInitiated, notify: false) }
    }

    /// Checks a trickle PATCH: the session exists, is the caller's, and `ifMatch` (if any) names
    /// its ICE session. Trickled candidates need nothing more: as an ICE-lite server we learn the
    /// client's addresses from its checks.
    public func checkHTTPSession(_ kind: HTTPSessionKind, id: String, caller: HTTPSessionCaller, ifMatch: String?)
        -> Result<Void, HTTPSessionLookupError>
    {
        httpSession(kind, id: id, caller: caller).flatMap { participant in
            ifMatch == nil || ifMatch == "*" || ifMatch == participant.httpSessionETag ? .success(()) : .failure(.preconditionFailed)
        }
    }

    /// An ICE restart (RFC 9725 §4.3.2). The client's new credentials are installed; ours stay,
    /// which an ICE-lite agent may do: it validates every check with its own password, so the
    /// client's checks on its new candidate pairs succeed and are nominated as on the first
    /// connection. The ICE session gets a new entity tag.
    public func restartHTTPSessionICE(_ kind: HTTPSessionKind, id: String, caller: HTTPSessionCaller, ifMatch: String?,
                                      ufrag: String, pwd: String) -> Result<HTTPSessionICE, HTTPSessionLookupError> {
        httpSession(kind, id: id, caller: caller).flatMap { participant in
            guard ifMatch == nil || ifMatch == "*" || ifMatch == participant.httpSessionETag else { return .failure(.preconditionFailed) }
            let transport = kind == .whip ? participant.publisher.transport : participant.subscriber.transport
            guard let transport else { return .failure(.notFound) }
            let credentials = ICECredentials(ufrag: ufrag, pwd: pwd)
            context.transports.execute { transport.setRemote(ice: credentials, fingerprint: nil) }
            let etag = "\"\(randomToken())\""
            participant.httpSessionETag = etag
            return .success(HTTPSessionICE(ufrag: transport.parameters.ice.ufrag, pwd: transport.parameters.ice.pwd,
                                           candidates: transport.parameters.candidates.map(\.sdpAttribute), etag: etag))
        }
    }

    /// 128 random bits, hex.
    private func randomToken() -> String {
        (0..<2).map { _ in String(UInt64.random(in: 0...UInt64.max), radix: 16).leftPadded(16) }.joined()
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}

/// The responses a LiveKit client would get, for a participant that has no signalling
/// connection to get them on.
final class DiscardedSignalOutput: SignalOutput {
    func deliver(_ signal: OutboundSignal) -> SignalSink.Delivery { .queued }
    func finish() {}
}
