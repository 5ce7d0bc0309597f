import Foundation
import LiveKitProtocol
import Logging
import MediaTransport
import Store

/// A room: its participants, their tracks and subscriptions. All room state is isolated to this
/// actor; media transports report into it with `Task { await room... }`.
public actor Room {
    public nonisolated let sid: String
    public nonisolated let name: String
    let context: SFUContext
    private(set) var metadata: String
    let emptyTimeout: UInt32
    let departureTimeout: UInt32
    let maxParticipants: UInt32
    let createdAt: Date
    var participants: [String: Participant] = [:]
    /// When the room last became empty (or was created empty); drives empty/departure timeouts.
    private(set) var emptySince: Date?
    private var everHadParticipants = false
    private(set) var closed = false
    var logger: Logger
    /// Participants reported speaking by the last `speakers_changed`, with their level.
    var activeSpeakers: [String: Float] = [:]
    /// Per simulcast track, the best layer rank last announced to its publisher (dynacast).
    var lastSubscribedRanks: [String: Int] = [:]
    /// The simulcast layers needed at the last two quality windows (Room+Quality: a layer
    /// counts as missed only after the publisher has been asked for it for a whole window).
    var neededRankHistory: [[String: Int]] = []
    /// Server-side recordings attached to the room, by egress id (see Room+Recording).
    var recorders: [String: RecorderAttachment] = [:]
    /// Record every participant that publishes (`auto_record`).
    let autoRecord: Bool
    /// Data packets from every participant's publisher channels, relayed in order (Room+Data).
    nonisolated let dataInbox: AsyncStream<InboundData>.Continuation
    /// The room's chat (Room+Chat), loaded from the store on first use.
    var chatState: RoomChat?

    init(record: RoomRecord, context: SFUContext, autoRecord: Bool = false) {
        sid = record.sid
        name = record.name
        metadata = record.metadata
        emptyTimeout = UInt32(record.emptyTimeout)
        departureTimeout = UInt32(record.departureTimeout)
        maxParticipants = UInt32(record.maxParticipants)
        createdAt = record.createdAt
        self.context = context
        self.autoRecord = autoRecord
        emptySince = Date()
        var logger = context.logger
        logger[metadataKey: "room"] = "\(record.name)"
        self.logger = logger
        let (inbox, continuation) = AsyncStream.makeStream(of: InboundData.self,
                                                          bufferingPolicy: .bufferingOldest(Self.dataInboxLimit))
        dataInbox = continuation
        runDataRelay(inbox)
    }

    // MARK: Info

    /// The room's settings, as LiveKit's Room carries them, without who is in it.
    nonisolated func settingsInfo(metadata: String) -> Livekit_Room {
        var room = Livekit_Room()
        room.sid = sid
        room.name = name
        room.emptyTimeout = emptyTimeout
        room.departureTimeout = departureTimeout
        room.maxParticipants = maxParticipants
        room.creationTime = Int64(createdAt.timeIntervalSince1970)
        room.creationTimeMs = unixMilliseconds(createdAt)
        room.metadata = metadata
        return room
    }

    public var info: Livekit_Room {
        var room = settingsInfo(metadata: metadata)
        room.activeRecording = !recorders.isEmpty
        room.numParticipants = UInt32(participants.values.filter { !$0.isHidden }.count)
        // Counted from the tracks directly: building every ParticipantInfo here made each join O(N) encodes.
        room.numPublishers = UInt32(participants.values.filter { $0.tracks.values.contains(where: \.isNegotiated) }.count)
        return room
    }

    public var participantInfos: [Livekit_ParticipantInfo] {
        participants.values.sorted { $0.joinedAt < $1.joinedAt }.map(\.info)
    }

    public func participantInfo(identity: String) -> Livekit_ParticipantInfo? {
        participant(identity: identity)?.info
    }

    public var participantCount: Int { participants.count }

    func participant(identity: String) -> Participant? { participants.values.first { $0.identity == identity } }

    /// Why an expired room closes, for the store.
    var expiryReason: String { everHadParticipants ? StoreReason.departureTimeout : StoreReason.emptyTimeout }

    /// Whether the room should close now (LiveKit: departure_timeout after the last participant
    /// left, empty_timeout if nobody ever joined).
    func isExpired(now: Date) -> Bool {
        guard participants.isEmpty, let since = emptySince else { return false }
        let timeout = everHadParticipants ? departureTimeout : emptyTimeout
        return now.timeIntervalSince(since) >= Double(timeout)
    }

    // MARK: Join

    /// Adds a participant (replacing one with the same identity), sends it the JoinResponse and
    /// the first subscriber offer, and tells everyone else.
    public func join(_ request: JoinRequest, sink: SignalSink) throws(JoinError) -> String {
        try join(request, sink: sink, httpSession: nil)
    }

    /// `httpSession`: a WHIP/WHEP session, which negotiates its one peer connection over HTTP.
    func join(_ request: JoinRequest, sink: SignalSink, httpSession: HTTPSessionKind?) throws(JoinError) -> String {
        guard !closed else { throw .roomClosed }
        if let resumeSid = request.resumeSid {
            return try resume(sid: resumeSid, request: request, sink: sink)
        }
        if let existing = participant(identity: request.identity) {
            remove(existing, reason: .duplicateIdentity, notify: true)
        }
        if maxParticipants > 0 && participants.count >= Int(maxParticipants) { throw .roomFull }

        let participantSid = SIDs.participant()
        let subscriber: SubscriberConnection
        do {
            subscriber = try SubscriberConnection(transports: context.transports, stats: context.stats,
                                                  dataStats: context.dataStats, maxBitrate: context.maxSubscriberBitrate,
                                                  onState: transportObserver(participantSid, publisher: false),
                                                  onSlowData: { [weak self] in
                                                      Task { await self?.slowDataReceiver(sid: participantSid) }
                                                  },
                                                  onDataOpen: { [weak self] in
                                                      Task { await self?.sendChatHistory(to: participantSid) }
                                                  })
        } catch {
            throw .internalError("\(error)")
        }
        context.journal.recordJoin(roomSid: sid, sid: participantSid, identity: request.identity, name: request.name,
                                   metadata: request.metadata, clientInfo: request.storeClientInfo)
        let participant = Participant(sid: participantSid, request: request, sink: sink, subscriber: subscriber,
                                      publisher: PublisherConnection(transports: context.transports, stats: context.stats,
                                                                     dataStats: context.dataStats,
                                                                     onData: dataReceiver(participantSid)))
        participant.httpSession = httpSession
        participants[participantSid] = participant
        watchStreamStates(of: participant)
        everHadParticipants = true
        emptySince = nil

        var join = Livekit_JoinResponse()
        join.room = info
        join.participant = participant.info
        join.otherParticipants = participants.values
            .filter { $0.sid != participantSid && !$0.isHidden }
            .sorted { $0.joinedAt < $1.joinedAt }
            .map(\.info)
        join.serverVersion = context.serverVersion
        join.serverInfo = context.serverInfo
        join.subscriberPrimary = true
        join.pingInterval = context.pingInterval
        join.pingTimeout = context.pingTimeout
        join.fastPublish = false
        join.iceServers = context.iceServers.map(\.protobuf)
        _ = participant.send(.join(join))

        if participant.autoSubscribe && participant.permission.canSubscribe && httpSession == nil {
            for other in participants.values where other.sid != participantSid {
                for track in other.tracks.values where track.isNegotiated {
                    participant.desiredSubscriptions.insert(track.sid)
                    participant.subscriber.add(track: track, publisherSid: other.sid)
                }
            }
        }
        negotiateSubscriber(participant, force: true)
        if !participant.isHidden { broadcast([participant.info], except: participantSid) }
        emitParticipantJoined(participant)
        logger.info("participant joined", metadata: ["participant": "\(request.identity)", "sid": "\(participantSid)"])
        return participantSid
    }

    private func resume(sid: String, request: JoinRequest, sink: SignalSink) throws(JoinError) -> String {
        guard let participant = participants[sid], participant.identity == request.identity else { throw .resumeUnknown }
        participant.sink.finish()
        participant.sink = sink
        participant.disconnectedAt = nil
        participant.lastSeen = Date()
        var reconnect = Livekit_ReconnectResponse()
        reconnect.serverInfo = context.serverInfo
        reconnect.iceServers = context.iceServers.map(\.protobuf)
        _ = participant.send(.reconnect(reconnect))
        negotiateSubscriber(participant, force: true, restart: true)
        logger.info("participant resumed", metadata: ["participant": "\(participant.identity)"])
        return sid
    }

    // MARK: Leave

    /// The signalling connection of `sid` ended. Without a leave the session is kept for a
    /// resume until the ping timeout, as LiveKit does.
    public func signalClosed(sid: String, sink: SignalSink) {
        guard let participant = participants[sid], participant.sink === sink else { return }
        participant.disconnectedAt = Date()
    }

    func leave(sid: String, reason: Livekit_DisconnectReason) {
        guard let participant = participants[sid] else { return }
        remove(participant, reason: reason, notify: false)
    }

    /// Removes a participant: closes its transports, unsubscribes everyone from its tracks,
    /// tells the others, records the leave.
    func remove(_ participant: Participant, reason: Livekit_DisconnectReason, notify: Bool) {
        guard participants.removeValue(forKey: participant.sid) != nil else { return }
        if notify {
            var leave = Livekit_LeaveRequest()
            leave.reason = reason
            leave.action = .disconnect
            leave.canReconnect = false
            _ = participant.send(.leave(leave))
        }
        participant.sink.finish()
        participant.subscriber.close()
        participant.publisher.close()
        recordingParticipantLeft(participant)
        for other in participants.values {
            var changed = false
            for trackSid in participant.tracks.keys where other.subscriber.subscribedTrackSids.contains(trackSid) {
                other.subscriber.remove(trackSid: trackSid)
                changed = true
            }
            other.desiredSubscriptions.subtract(participant.tracks.keys)
            if changed { negotiateSubscriber(other) }
        }
        participant.state = .disconnected
        var left = participant.info
        left.disconnectReason = reason
        if !participant.isHidden { broadcast([left], except: nil) }
        emitParticipantLeft(left)
        context.journal.recordLeave(sid: participant.sid, reason: reason.storeReason)
        if participants.isEmpty { emptySince = Date() }
        logger.info("participant left", metadata: ["participant": "\(participant.identity)", "reason": "\(reason)"])
    }

    /// Drops sessions whose signalling connection is gone for longer than the ping timeout, and
    /// treats a client silent for that long (no ping, no request) as gone.
    func sweep(now: Date) {
        let grace = Double(context.pingTimeout)
        for participant in participants.values where participant.httpSession == nil {
            if let since = participant.disconnectedAt {
                if now.timeIntervalSince(since) > grace { remove(participant, reason: .signalClose, notify: false) }
            } else if now.timeIntervalSince(participant.lastSeen) > grace + Double(context.pingInterval) {
                participant.disconnectedAt = now
                participant.sink.finish()
            }
        }
    }

    /// Closes the room: everyone is told (`leave` with `reason`) and removed.
    func close(reason: Livekit_DisconnectReason) {
        guard !closed else { return }
        closed = true
        for participant in participants.values { remove(participant, reason: reason, notify: true) }
        dataInbox.finish()
        recordingRoomClosed()
        emitRoomFinished()
    }

    // MARK: Updates

    /// Sends a ParticipantUpdate with `infos` to everyone (but `except`).
    func broadcast(_ infos: [Livekit_ParticipantInfo], except: String?) {
        var update = Livekit_ParticipantUpdate()
        update.participants = infos
        let encoding = SharedEncoding()
        for participant in participants.values where participant.sid != except {
            if participant.send(.update(update), encoding: encoding) == .overflow { slowConsumer(participant) }
        }
    }

    func broadcastRoomUpdate() {
        var update = Livekit_RoomUpdate()
        update.room = info
        let encoding = SharedEncoding()
        for participant in participants.values { _ = participant.send(.roomUpdate(update), encoding: encoding) }
    }

    func slowConsumer(_ participant: Participant) {
        logger.warning("signal queue full, disconnecting", metadata: ["participant": "\(participant.identity)"])
        Task { self.remove(participant, reason: .signalClose, notify: false) }
    }

    func negotiateSubscriber(_ participant: Participant, force: Bool = false, restart: Bool = false) {
        // A WHEP viewer's one offer came from the viewer; there is nobody to send ours to.
        guard participant.httpSession == nil else { return }
        do {
            guard let offer = try participant.subscriber.nextOffer(force: force, restart: restart) else { return }
            var description = Livekit_SessionDescription()
            description.type = "offer"
            description.sdp = offer
            _ = participant.send(.offer(description))
        } catch {
            logger.error("subscriber offer failed: \(error)", metadata: ["participant": "\(participant.identity)"])
        }
    }

    public func setMetadata(_ metadata: String) {
        self.metadata = metadata
        context.journal.updateRoomMetadata(sid: sid, metadata: metadata)
        broadcastRoomUpdate()
    }

    nonisolated func transportObserver(_ participantSid: String, publisher: Bool) -> @Sendable (TransportState) -> Void {
        { [weak self] state in
            guard let self else { return }
            Task { await self.transportChanged(participantSid: participantSid, publisher: publisher, state: state) }
        }
    }

    func transportChanged(participantSid: String, publisher: Bool, state: TransportState) {
        guard let participant = participants[participantSid] else { return }
        logger.debug("\(publisher ? "publisher" : "subscriber") transport \(state)",
                     metadata: ["participant": "\(participant.identity)"])
        if case .closed(let reason) = state, let kind = participant.httpSession, (kind == .whip) == publisher {
            // An HTTP session lives as long as its one transport: ICE consent (RFC 7675) is its ping.
            remove(participant, reason: reason == .consentExpired ? .connectionTimeout : .clientInitiated, notify: false)
            return
        }
        if case .connected = state, participant.state == .joined {
            participant.state = .active
            participant.version += 1
            if !participant.isHidden { broadcast([participant.info], except: nil) }
        }
    }
}

extension Livekit_DisconnectReason {
    /// The reason string kept in the store.
    var storeReason: String {
        switch self {
        case .clientInitiated: return "client_initiated"
        case .duplicateIdentity: return "duplicate_identity"
        case .serverShutdown: return "server_shutdown"
        case .participantRemoved: return "participant_removed"
        case .roomDeleted: return "room_deleted"
        case .stateMismatch: return "state_mismatch"
        case .joinFailure: return "join_failure"
        case .signalClose: return "signal_close"
        case .roomClosed: return "room_closed"
        case .connectionTimeout: return "connection_timeout"
        default: return "unknown"
        }
    }
}
