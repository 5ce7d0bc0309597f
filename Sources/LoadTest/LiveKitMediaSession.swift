import DTLS
import Foundation
import ICE
import LiveKitProtocol
import LoadPeer
import Logging
import MediaTransport
import NIOCore
import SDP
import Synchronization
import WSClient

/// One participant of the load on LiveKit's signalling protocol (v0, `/rtc`, protobuf frames),
/// as the SDKs speak it: a publisher sends AddTrackRequests and offers its peer connection; a
/// viewer joins with auto-subscribe and answers the server's subscriber offers. Pings keep the
/// session alive; `end` sends a leave and closes the WebSocket.
final class LiveKitMediaSession: MediaSession, @unchecked Sendable {
    let peer: LoadPeer
    let outgoing: [OutgoingStream]
    let incoming: [UInt32: Bool]
    private let connection: SignalConnection
    /// Bit i: simulcast layer i is enabled (SubscribedQualityUpdate); all until told otherwise.
    private let enabledLayers: LayerMask

    func sends(layer: Int) -> Bool { enabledLayers.bits.load(ordering: .relaxed) & (1 << UInt8(min(layer, 7))) != 0 }

    enum Failure: Error, CustomStringConvertible {
        case signalling(String)
        case connect(String)

        var description: String {
            switch self {
            case .signalling(let m): return "signalling: \(m)"
            case .connect(let m): return m
            }
        }
    }

    /// - Parameters: url: the server's `ws://host:port`; expectedTracks (viewer): wait for an
    ///   offer carrying this many tracks.
    ///   videoLayers (publisher): more than one is simulcast, announced in the AddTrackRequest.
    ///   layout (viewer): the size each video track is rendered at, sent as track settings.
    init(url: String, token: String, publish: (audio: Bool, video: Bool)?, expectedTracks: Int,
         certificate: DTLSCertificate, videoLayers: [EncodedMedia.VideoLayer] = [], layout: ViewerLayout? = nil) async throws {
        let layerMask = LayerMask()
        enabledLayers = layerMask
        let query = "access_token=\(token)&protocol=16&sdk=swift&auto_subscribe=\(publish == nil ? 1 : 0)&adaptive_stream=0"
        connection = try await SignalConnection.open(url: "\(url)/rtc?\(query)")
        do {
            guard case .join(let join)? = try await connection.next(within: 10, where: { if case .join = $0 { true } else { false } }) else {
                throw Failure.signalling("no JoinResponse")
            }
            connection.startPinging(every: max(1, Int(join.pingInterval)))
            let ice = ICECredentials.random()
            if let publish {
                // Before the first AddTrackRequest: the first dynacast update may come while
                // ICE and DTLS are still connecting, and the server sends each change once.
                connection.onQualityUpdate { [layerMask] update in
                    // Layers by quality, lowest first, as announced in the AddTrackRequest.
                    let qualities = update.subscribedCodecs.first?.qualities ?? update.subscribedQualities
                    var mask: UInt8 = 0
                    for quality in qualities where quality.enabled {
                        switch quality.quality {
                        case .low: mask |= 1
                        case .medium: mask |= 2
                        case .high: mask |= 4
                        default: break
                        }
                    }
                    layerMask.bits.store(mask, ordering: .relaxed)
                }
                (peer, outgoing) = try await Self.publish(publish, layers: videoLayers, on: connection, ice: ice, certificate: certificate)
                incoming = [:]
                connection.answerOffers(nil)
            } else {
                let videoTracks: [String]
                (peer, incoming, videoTracks) = try await Self.subscribe(expecting: expectedTracks, on: connection, ice: ice,
                                                                         certificate: certificate)
                outgoing = []
                if let layout {
                    // Every viewer orders the tracks the same way (by publisher identity), so all
                    // of them have the same speaker, as in a real call.
                    let publisherOf = Dictionary(join.otherParticipants.flatMap { p in p.tracks.map { ($0.sid, p.identity) } }) { a, _ in a }
                    let ordered = videoTracks.sorted { (publisherOf[$0] ?? "", $0) < (publisherOf[$1] ?? "", $1) }
                    for (trackSid, size) in zip(ordered, layout.sizes(count: ordered.count)) {
                        var settings = Livekit_UpdateTrackSettings()
                        settings.trackSids = [trackSid]
                        settings.width = UInt32(size.width)
                        settings.height = UInt32(size.height)
                        connection.send(.trackSetting(settings))
                    }
                }
            }
        } catch {
            await connection.close()
            throw error
        }
    }

    private static func publish(_ kinds: (audio: Bool, video: Bool), layers: [EncodedMedia.VideoLayer], on connection: SignalConnection,
                                ice: ICECredentials, certificate: DTLSCertificate) async throws -> (LoadPeer, [OutgoingStream]) {
        let simulcast = layers.count > 1
        var cids: [String] = []
        for (isVideo, wanted) in [(false, kinds.audio), (true, kinds.video)] where wanted {
            var add = Livekit_AddTrackRequest()
            add.cid = "loadtest-\(isVideo ? "video" : "audio")-\(UInt32.random(in: 0...UInt32.max))"
            add.type = isVideo ? .video : .audio
            add.source = isVideo ? .camera : .microphone
            add.name = isVideo ? "video" : "audio"
            if isVideo, let top = layers.last { add.width = UInt32(top.width); add.height = UInt32(top.height) }
            if isVideo && simulcast {
                // As the SDKs announce simulcast: one VideoLayer per encoding, lowest first.
                let qualities: [Livekit_VideoQuality] = [.low, .medium, .high]
                add.layers = layers.enumerated().map { index, layer in
                    var videoLayer = Livekit_VideoLayer()
                    videoLayer.quality = qualities[min(index, qualities.count - 1)]
                    videoLayer.width = UInt32(layer.width)
                    videoLayer.height = UInt32(layer.height)
                    videoLayer.bitrate = UInt32(layer.measuredKbps * 1000)
                    videoLayer.rid = layer.rid ?? ""
                    return videoLayer
                }
            }
            connection.send(.addTrack(add))
            let cid = add.cid
            _ = try await connection.next(within: 10) { if case .trackPublished(let p) = $0 { p.cid == cid } else { false } }
            cids.append(cid)
        }
        let (sdp, outgoing) = try ClientOffer.make(sending: true, ice: ice, certificate: certificate,
                                                   audioSections: kinds.audio ? 1 : 0, videoSections: kinds.video ? 1 : 0,
                                                   videoRIDs: simulcast ? layers.compactMap(\.rid) : [],
                                                   trackID: { index, _ in cids[index] })
        var offer = Livekit_SessionDescription()
        offer.type = "offer"
        offer.sdp = sdp
        offer.id = 1
        connection.send(.offer(offer))
        guard case .answer(let answer)? = try await connection.next(within: 10, where: { if case .answer = $0 { true } else { false } }) else {
            throw Failure.signalling("no answer to the publisher offer")
        }
        let (server, serverICE, fingerprint, _) = try HTTPMediaSession.parseAnswer(answer.sdp)
        let peer = try LoadPeer(server: server, serverFingerprint: fingerprint, certificate: certificate, ice: ice)
        guard await peer.connectOffPool(serverICE: serverICE, deadline: .seconds(10)) else {
            throw Failure.connect("publisher ICE/DTLS with \(server) did not complete in 10 s")
        }
        return (peer, try ClientOffer.accepted(outgoing, answer: answer.sdp))
    }

    /// Returns the peer, the announced SSRCs, and the video track sids in offer order.
    private static func subscribe(expecting tracks: Int, on connection: SignalConnection, ice: ICECredentials,
                                  certificate: DTLSCertificate) async throws -> (LoadPeer, [UInt32: Bool], [String]) {
        var peer: LoadPeer?
        var incoming: [UInt32: Bool] = [:]
        var videoTracks: [String] = []
        let deadline = Date().addingTimeInterval(15)
        while incoming.count < tracks || peer == nil {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0, case .offer(let offer)? = try await connection.next(within: remaining, where: {
                if case .offer = $0 { true } else { false }
            }) else {
                throw Failure.signalling("no subscriber offer with \(tracks) tracks within 15 s (have \(incoming.count))")
            }
            let (answer, description) = try Self.answer(offer, ice: ice, certificate: certificate)
            connection.send(.answer(answer))
            incoming = Self.announcedStreams(description)
            videoTracks = description.media.filter { $0.kind == .video && $0.port != 0 && $0.direction.sends }
                .compactMap { $0.msids.first?.trackID }
            if peer == nil {
                let (server, serverICE, fingerprint, _) = try HTTPMediaSession.parseAnswer(offer.sdp)
                let candidate = try LoadPeer(server: server, serverFingerprint: fingerprint, certificate: certificate, ice: ice)
                guard await candidate.connectOffPool(serverICE: serverICE, deadline: .seconds(10)) else {
                    throw Failure.connect("subscriber ICE/DTLS with \(server) did not complete in 10 s")
                }
                peer = candidate
            }
        }
        // Later offers (tracks coming and going) are answered in the background; one that cannot
        // be answered is reported (the server would wait for its answer forever).
        connection.answerOffers { offer in
            do { return try Self.answer(offer, ice: ice, certificate: certificate).0 } catch {
                connection.report("a subscriber offer could not be answered: \(error)")
                return nil
            }
        }
        return (peer!, incoming, videoTracks)
    }

    /// Our answer to a subscriber offer: receive Opus and VP8, keep abs-capture-time, refuse the
    /// data channel section.
    private static func answer(_ offer: Livekit_SessionDescription, ice: ICECredentials, certificate: DTLSCertificate) throws
        -> (Livekit_SessionDescription, SessionDescription)
    {
        let description = try SessionDescription(parsing: offer.sdp)
        var options = SDPAnswerOptions(iceUfrag: ice.ufrag, icePwd: ice.pwd, fingerprint: Fingerprint(sha256: certificate.fingerprint.bytes))
        options.setup = .active
        options.audioCodecs = [.opus]
        options.videoCodecs = [.vp8]
        options.rejectApplication = true
        // Only what the load generator reads: it sends no transport-wide feedback, so
        // negotiating transport-cc would promise what it does not do.
        options.headerExtensions = ["urn:ietf:params:rtp-hdrext:sdes:mid", ClientOffer.absCaptureTimeURI]
        var answer = Livekit_SessionDescription()
        answer.type = "answer"
        answer.sdp = try makeAnswer(to: description, options: options).serialized()
        answer.id = offer.id
        return (answer, description)
    }

    /// The media SSRCs of an offer's sending sections, and whether each is video (RTX ones left out).
    private static func announcedStreams(_ offer: SessionDescription) -> [UInt32: Bool] {
        var streams: [UInt32: Bool] = [:]
        for m in offer.media where m.port != 0 && m.isRTP && m.direction.sends {
            let repairs = Set(m.ssrcGroups.filter { $0.semantics == "FID" && $0.ssrcs.count == 2 }.map { $0.ssrcs[1] })
            for ssrc in m.ssrcs where !repairs.contains(ssrc) { streams[ssrc] = m.kind == .video }
        }
        return streams
    }

    /// What went wrong after set-up (offers that could not be answered).
    var problems: [String] { connection.problems }

    func end() async {
        var leave = Livekit_LeaveRequest()
        leave.reason = .clientInitiated
        connection.send(.leave(leave))
        await connection.close()
    }
}

/// The simulcast layers a publisher sends, set by signalling and read by the pump's thread.
private final class LayerMask: Sendable {
    let bits = Atomic<UInt8>(0xFF)
}

/// One `/rtc` WebSocket: requests go out in order through a queue; responses are buffered for
/// the set-up's `next`, then (after `answerOffers`) handled as they arrive.
final class SignalConnection: Sendable {
    private struct State {
        var buffer: [Livekit_SignalResponse] = []
        var ended = false
        /// Set by `answerOffers`: responses are no longer buffered; offers get this answer.
        var handler: (@Sendable (Livekit_SessionDescription) -> Livekit_SessionDescription?)?
        var handling = false
        var qualityHandler: (@Sendable (Livekit_SubscribedQualityUpdate) -> Void)?
    }

    private let requests: AsyncStream<Livekit_SignalRequest>.Continuation
    private let state = Mutex(State())
    private let pinger = Mutex<Task<Void, Never>?>(nil)
    private let socket = Mutex<Task<Void, Never>?>(nil)
    private let reported = Mutex<[String]>([])

    var problems: [String] { reported.withLock { $0 } }

    func report(_ problem: String) { reported.withLock { $0.append(problem) } }

    private init(requests: AsyncStream<Livekit_SignalRequest>.Continuation) {
        self.requests = requests
    }

    static func open(url: String) async throws -> SignalConnection {
        let (requestStream, requests) = AsyncStream.makeStream(of: Livekit_SignalRequest.self)
        let connection = SignalConnection(requests: requests)
        var logger = Logger(label: "loadtest-ws")
        logger.logLevel = .critical
        let task = Task { [connection] in
            var configuration = WebSocketClientConfiguration()
            configuration.maxFrameSize = 1 << 20
            _ = try? await WebSocketClient.connect(url: url, configuration: configuration, logger: logger) { inbound, outbound, _ in
                let writer = Task {
                    for await request in requestStream {
                        guard let bytes = try? request.serializedBytes() as [UInt8] else { continue }
                        try? await outbound.write(.binary(ByteBuffer(bytes: bytes)))
                    }
                    try? await outbound.close(.normalClosure, reason: nil)
                }
                for try await message in inbound.messages(maxSize: 1 << 20) {
                    guard case .binary(var buffer) = message, let bytes = buffer.readBytes(length: buffer.readableBytes),
                          let response = try? Livekit_SignalResponse(serializedBytes: bytes) else { continue }
                    connection.received(response)
                }
                writer.cancel()
            }
            connection.state.withLock { $0.ended = true }
        }
        connection.socket.withLock { $0 = task }
        return connection
    }

    private func received(_ response: Livekit_SignalResponse) {
        if case .subscribedQualityUpdate(let update)? = response.message, let quality = state.withLock({ $0.qualityHandler }) {
            quality(update)
            return
        }
        let handler: (@Sendable (Livekit_SessionDescription) -> Livekit_SessionDescription?)? = state.withLock { state in
            if state.handling { return state.handler }
            state.buffer.append(response)
            return nil
        }
        if case .offer(let offer)? = response.message, let reply = handler?(offer) { send(.answer(reply)) }
    }

    /// From now on (set-up included) dynacast updates for this publisher's tracks go to `handler`.
    func onQualityUpdate(_ handler: @escaping @Sendable (Livekit_SubscribedQualityUpdate) -> Void) {
        state.withLock { $0.qualityHandler = handler }
    }

    func send(_ message: Livekit_SignalRequest.OneOf_Message) {
        var request = Livekit_SignalRequest()
        request.message = message
        requests.yield(request)
    }

    /// The first buffered or arriving response matching `match` within `seconds` (it is removed;
    /// others stay); nil if the connection ended first.
    func next(within seconds: Double, where match: (Livekit_SignalResponse.OneOf_Message) -> Bool) async throws
        -> Livekit_SignalResponse.OneOf_Message?
    {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int(seconds * 1000)))
        while true {
            let (found, ended): (Livekit_SignalResponse.OneOf_Message?, Bool) = state.withLock { state in
                guard let i = state.buffer.firstIndex(where: { $0.message.map(match) ?? false }) else { return (nil, state.ended) }
                return (state.buffer.remove(at: i).message, false)
            }
            if let found { return found }
            if ended { return nil }
            guard ContinuousClock.now < deadline else { throw LiveKitMediaSession.Failure.signalling("timed out after \(Int(seconds)) s") }
            try await Task.sleep(for: .milliseconds(5))
        }
    }

    func startPinging(every seconds: Int) {
        let task = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(seconds))
                var ping = Livekit_Ping()
                ping.timestamp = Int64(Date().timeIntervalSince1970 * 1000)
                self?.send(.pingReq(ping))
            }
        }
        pinger.withLock { $0 = task }
    }

    /// From now on every subscriber offer gets `answer`'s answer (nil: responses are dropped).
    func answerOffers(_ answer: (@Sendable (Livekit_SessionDescription) -> Livekit_SessionDescription?)?) {
        let pending = state.withLock { state -> [Livekit_SignalResponse] in
            state.handling = true
            state.handler = answer
            defer { state.buffer.removeAll() }
            return state.buffer
        }
        for response in pending {
            if case .offer(let offer)? = response.message, let reply = answer?(offer) { send(.answer(reply)) }
        }
    }

    /// Sends what is queued and closes, waiting at most 3 s (a server that never answered the
    /// upgrade, or never closes, does not hold the load generator up): then the socket is cancelled.
    func close() async {
        requests.finish()
        pinger.withLock { $0?.cancel() }
        guard let task = socket.withLock({ $0 }) else { return }
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await task.value }
            group.addTask { try? await Task.sleep(for: .seconds(3)) }
            await group.next()
            task.cancel()
            group.cancelAll()
        }
    }
}
