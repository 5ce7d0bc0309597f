import Foundation
import LiveKitProtocol
import SDP
import Store

/// Signal requests from a participant (LiveKit's SignalRequest), handled on the room's actor.
extension Room {
    public func handle(_ request: Livekit_SignalRequest, from participantSid: String) {
        guard let participant = participants[participantSid] else { return }
        participant.lastSeen = Date()
        switch request.message {
        case .offer(let offer)?: publisherOffer(offer, from: participant)
        case .answer(let answer)?: subscriberAnswer(answer, from: participant)
        case .trickle?:
            // ICE-lite: the server learns client addresses from connectivity checks, so trickled
            // client candidates need no action.
            break
        case .addTrack(let add)?: addTrack(add, from: participant)
        case .mute(let mute)?: setMuted(trackSid: mute.sid, muted: mute.muted, of: participant, byAdmin: false)
        case .subscription(let update)?: updateSubscription(update, for: participant)
        case .leave?: remove(participant, reason: .clientInitiated, notify: false)
        case .updateMetadata(let update)?: updateOwnMetadata(update, of: participant)
        case .pingReq(let ping)?:
            var pong = Livekit_Pong()
            pong.lastPingTimestamp = ping.timestamp
            pong.timestamp = unixMilliseconds()
            _ = participant.send(.pongResp(pong))
        case .ping(let timestamp)?:
            _ = participant.send(.pong(timestamp))
        case .trackSetting(let settings)?:
            applyTrackSettings(settings, from: participant)
        case .updateLayers?, .subscriptionPermission?, .syncState?, .simulate?,
             .updateAudioTrack?, .updateVideoTrack?:
            // Accepted; acted on by the forwarding and quality layers once they exist.
            break
        default:
            break
        }
    }

    // MARK: Publishing

    func addTrack(_ add: Livekit_AddTrackRequest, from participant: Participant) {
        guard participant.permission.canPublish,
              participant.permission.canPublishSources.isEmpty || participant.permission.canPublishSources.contains(add.source) else {
            refuse(.addTrack(add), reason: .notAllowed, message: "not allowed to publish this source", to: participant)
            logger.info("publish refused", metadata: ["participant": "\(participant.identity)", "source": "\(add.source)"])
            return
        }
        guard add.type == .audio || add.type == .video else {
            refuse(.addTrack(add), reason: .unclassifiedError, message: "only audio and video tracks", to: participant)
            return
        }
        if let pending = participant.tracks.values.first(where: { $0.clientID == add.cid && !add.cid.isEmpty }) {
            // Same cid again (a retry): answer with the same track.
            sendTrackPublished(cid: add.cid, info: pending.info, to: participant)
            return
        }
        var info = Livekit_TrackInfo()
        info.sid = SIDs.track()
        info.type = add.type
        info.name = add.name
        info.muted = add.muted
        info.source = add.source
        info.width = add.width
        info.height = add.height
        info.layers = add.layers
        info.simulcast = add.simulcastCodecs.count > 0 || add.layers.count > 1
        info.disableDtx = add.disableDtx
        info.stereo = add.stereo
        info.disableRed = add.disableRed
        info.encryption = add.encryption
        info.stream = add.stream
        info.audioFeatures = add.audioFeatures
        participant.tracks[info.sid] = PublishedTrack(info: info, clientID: add.cid)
        sendTrackPublished(cid: add.cid, info: info, to: participant)
    }

    private func sendTrackPublished(cid: String, info: Livekit_TrackInfo, to participant: Participant) {
        var published = Livekit_TrackPublishedResponse()
        published.cid = cid
        published.track = info
        _ = participant.send(.trackPublished(published))
    }

    private func publisherOffer(_ offer: Livekit_SessionDescription, from participant: Participant) {
        let answerSDP: String
        do {
            answerSDP = try answerPublisherOffer(offer.sdp, of: participant)
        } catch {
            // The session survives a bad offer: the client is told, nothing else changes.
            logger.warning("publisher offer refused: \(error)", metadata: ["participant": "\(participant.identity)"])
            refuse(nil, reason: .unclassifiedError, message: "\(error)", to: participant)
            return
        }
        var answer = Livekit_SessionDescription()
        answer.type = "answer"
        answer.sdp = answerSDP
        answer.id = offer.id
        _ = participant.send(.answer(answer))
    }

    /// Answers a publisher offer (signalling or WHIP) and publishes the tracks it negotiates.
    func answerPublisherOffer(_ sdp: String, of participant: Participant) throws(NegotiationError) -> String {
        let result = try participant.publisher.answer(offerText: sdp,
                                                      onState: transportObserver(participant.sid, publisher: true))
        mapPublishedTracks(result.sections, of: participant)
        return result.answer
    }

    /// Matches the offer's m-sections to requested tracks (msid track id == AddTrack cid, then the
    /// first unmatched request of the same kind), publishes newly negotiated ones and unpublishes
    /// tracks whose section stopped sending.
    private func mapPublishedTracks(_ sections: [PublisherSection], of participant: Participant) {
        for section in sections {
            logger.debug("publisher section", metadata: ["mid": "\(section.mid)", "ssrcs": "\(section.ssrcs)",
                "track": "\(section.clientTrackID ?? "-")", "codecs": "\(section.codecs.map { "\($0.payloadType) \($0.name)" })",
                "ext": "\(section.extensions.map { "\($0.id)=\($0.uri)" })"])
        }
        var newlyPublished: [PublishedTrack] = []
        var unpublished: [String] = []
        for section in sections {
            let kind: Livekit_TrackType = section.kind == .audio ? .audio : .video
            let sending = section.direction.sends
            if let sid = participant.tracks.values.first(where: { $0.mid == section.mid })?.sid {
                if !sending { unpublished.append(sid) }
                continue
            }
            guard sending else { continue }
            let candidate = participant.tracks.values.first { $0.mid == nil && $0.clientID == section.clientTrackID && $0.kind == kind }
                ?? participant.tracks.values.sorted { $0.sid < $1.sid }.first { $0.mid == nil && $0.kind == kind }
            guard var track = candidate else { continue }
            track.mid = section.mid
            track.codecs = section.codecs
            track.extensions = section.extensions
            track.ssrcs = section.ssrcs
            if let primary = section.codecs.first(where: { !$0.isRTX && !$0.isRED && !$0.isFEC }) {
                track.info.mimeType = (kind == .audio ? "audio/" : "video/") + primary.name
            }
            track.info.mid = section.mid
            if let transport = participant.publisher.transport, let primary = section.codecs.first(where: { !$0.isRTX && !$0.isRED && !$0.isFEC }) {
                let extensionIDs = Dictionary(section.extensions.map { ($0.uri, UInt8(truncatingIfNeeded: $0.id)) },
                                              uniquingKeysWith: { a, _ in a })
                var parameters = Producer.Parameters(
                    trackSid: track.sid, isVideo: kind == .video, clockRate: primary.clockRate,
                    isVP8: primary.name.uppercased() == "VP8", extensionIDs: extensionIDs,
                    primaryPayloadTypes: [primary.payloadType])
                for codec in section.codecs where codec.isRTX {
                    if let apt = codec.associatedPayloadType { parameters.rtxPayloadTypes[codec.payloadType] = apt }
                }
                parameters.nackEnabled = primary.feedback.contains { $0.type == "nack" && $0.parameter == nil }
                let producer = Producer(parameters, publisherTransport: transport, stats: context.stats)
                producer.muted = track.info.muted
                track.producer = producer
                let ingress = participant.publisher.ingress
                let mid = section.mid, ssrcs = section.ssrcs, rtxPairs = section.rtxPairs
                context.transports.execute { ingress.add(producer, mid: mid, ssrcs: ssrcs, rtxPairs: rtxPairs) }
            }
            participant.tracks[track.sid] = track
            newlyPublished.append(track)
        }
        for sid in unpublished { unpublish(trackSid: sid, of: participant) }
        guard !newlyPublished.isEmpty else { return }
        participant.version += 1
        if !participant.isHidden { broadcast([participant.info], except: nil) }
        emitTrackPublished(newlyPublished, of: participant)
        recordingTracksPublished(newlyPublished, of: participant)
        for other in participants.values where other.sid != participant.sid {
            guard other.autoSubscribe, other.permission.canSubscribe else { continue }
            for track in newlyPublished {
                other.desiredSubscriptions.insert(track.sid)
                other.subscriber.add(track: track, publisherSid: participant.sid)
            }
            negotiateSubscriber(other)
        }
    }

    func unpublish(trackSid: String, of participant: Participant) {
        guard let track = participant.tracks.removeValue(forKey: trackSid) else { return }
        let ingress = participant.publisher.ingress
        context.transports.execute { ingress.remove(trackSid: trackSid) }
        recordingTrackUnpublished(trackSid)
        for other in participants.values where other.subscriber.subscribedTrackSids.contains(trackSid) {
            other.subscriber.remove(trackSid: trackSid)
            other.desiredSubscriptions.remove(trackSid)
            negotiateSubscriber(other)
        }
        var response = Livekit_TrackUnpublishedResponse()
        response.trackSid = track.sid
        _ = participant.send(.trackUnpublished(response))
        participant.version += 1
        if !participant.isHidden { broadcast([participant.info], except: nil) }
        emitTrackUnpublished(track, of: participant)
    }

    /// Client `mute` or admin `MutePublishedTrack`.
    @discardableResult
    func setMuted(trackSid: String, muted: Bool, of participant: Participant, byAdmin: Bool) -> Livekit_TrackInfo? {
        guard var track = participant.tracks[trackSid] else { return nil }
        guard track.info.muted != muted else { return track.info }
        track.info.muted = muted
        participant.tracks[trackSid] = track
        if let producer = track.producer { context.transports.execute { producer.setMuted(muted) } }
        participant.version += 1
        if byAdmin {
            var mute = Livekit_MuteTrackRequest()
            mute.sid = trackSid
            mute.muted = muted
            _ = participant.send(.mute(mute))
        }
        if !participant.isHidden { broadcast([participant.info], except: nil) }
        return track.info
    }

    // MARK: Subscribing

    private func subscriberAnswer(_ answer: Livekit_SessionDescription, from participant: Participant) {
        do {
            try participant.subscriber.apply(answerText: answer.sdp)
        } catch {
            logger.warning("subscriber answer refused: \(error)", metadata: ["participant": "\(participant.identity)"])
            refuse(nil, reason: .unclassifiedError, message: "\(error)", to: participant)
        }
        // Changes made while the offer was in flight go out now.
        if participant.subscriber.hasPendingChanges { negotiateSubscriber(participant) }
    }

    func updateSubscription(_ update: Livekit_UpdateSubscription, for participant: Participant) {
        var sids = Set(update.trackSids)
        for entry in update.participantTracks { sids.formUnion(entry.trackSids) }
        if update.subscribe && !participant.permission.canSubscribe {
            refuse(nil, reason: .notAllowed, message: "not allowed to subscribe", to: participant)
            return
        }
        var changed = false
        for sid in sids {
            guard let (publisher, track) = publishedTrack(sid: sid), publisher.sid != participant.sid else { continue }
            if update.subscribe {
                participant.desiredSubscriptions.insert(sid)
                if track.isNegotiated && !participant.subscriber.subscribedTrackSids.contains(sid) {
                    participant.subscriber.add(track: track, publisherSid: publisher.sid)
                    changed = true
                }
            } else {
                participant.desiredSubscriptions.remove(sid)
                if participant.subscriber.subscribedTrackSids.contains(sid) {
                    participant.subscriber.remove(trackSid: sid)
                    changed = true
                }
            }
        }
        if changed { negotiateSubscriber(participant) }
    }

    func publishedTrack(sid: String) -> (Participant, PublishedTrack)? {
        for participant in participants.values {
            if let track = participant.tracks[sid] { return (participant, track) }
        }
        return nil
    }

    // MARK: Metadata

    private func updateOwnMetadata(_ update: Livekit_UpdateParticipantMetadata, of participant: Participant) {
        var response = Livekit_RequestResponse()
        response.requestID = update.requestID
        guard participant.permission.canUpdateMetadata else {
            response.reason = .notAllowed
            response.message = "not allowed to update own metadata"
            response.request = .updateMetadata(update)
            _ = participant.send(.requestResponse(response))
            return
        }
        apply(metadata: update.metadata, name: update.name, attributes: update.attributes, to: participant)
        response.reason = .ok
        _ = participant.send(.requestResponse(response))
    }

    /// Applies a metadata/name/attributes change (empty strings leave a field as it is; an empty
    /// attribute value deletes the key, as LiveKit does) and tells everyone.
    func apply(metadata: String, name: String, attributes: [String: String], to participant: Participant) {
        if !metadata.isEmpty { participant.metadata = metadata }
        if !name.isEmpty { participant.name = name }
        for (key, value) in attributes {
            if value.isEmpty { participant.attributes[key] = nil } else { participant.attributes[key] = value }
        }
        participant.version += 1
        if participant.isHidden {
            var update = Livekit_ParticipantUpdate()
            update.participants = [participant.info]
            _ = participant.send(.update(update))
        } else {
            broadcast([participant.info], except: nil)
        }
    }

    private func refuse(_ request: Livekit_RequestResponse.OneOf_Request?, reason: Livekit_RequestResponse.Reason,
                        message: String, to participant: Participant) {
        var response = Livekit_RequestResponse()
        response.reason = reason
        response.message = message
        response.request = request
        _ = participant.send(.requestResponse(response))
    }
}
