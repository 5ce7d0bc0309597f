import MediaTransport
import PayloadFormats
import RTCP
import RTP

/// One published track as the media loop sees it (mediasoup's Producer): the RTP stream(s)
/// arriving from the publisher, a packet cache for retransmissions, and the consumers it fans
/// out to. With simulcast each consumer gets one layer (the best it may have, see
/// `wantedRank`); recordings get the best layer that has started.
///
/// Ownership: media loop thread only.
final class Producer: @unchecked Sendable {
    struct Parameters {
        var trackSid: String
        var isVideo: Bool
        var clockRate: UInt32
        var isVP8: Bool
        /// Publisher header extension ids by URI (from the publisher's negotiated SDP).
        var extensionIDs: [String: UInt8]
        var primaryPayloadTypes: Set<UInt8>
        /// RTX payload type -> the payload type it repairs (RFC 4588 `apt`).
        var rtxPayloadTypes: [UInt8: UInt8] = [:]
        /// Whether the publisher negotiated generic NACK: then the server asks for lost packets.
        var nackEnabled = false
    }

    let trackSid: String
    let isVideo: Bool
    let clockRate: UInt32
    let isVP8: Bool
    let extensionIDs: [String: UInt8]
    let primaryPayloadTypes: Set<UInt8>
    let rtxPayloadTypes: [UInt8: UInt8]
    let nackEnabled: Bool
    let publisherTransport: WebRTCTransport
    let stats: ForwardingStats
    private(set) var consumers: [Consumer] = []
    /// Server-side recordings of this track; called before mute gating (see `RecordingTap`).
    private(set) var taps: [any RecordingTap] = []
    /// The streams received: one, or one per simulcast layer (at most `maxLayers`).
    private(set) var layers: [ReceivedLayer] = []
    static let maxLayers = 4
    private let cacheCapacity: Int
    /// The best layer's cache (recordings replay its last keyframe from it).
    var cache: PacketCache { layers.first { $0.ssrc == activeSSRC }?.cache ?? layers.first?.cache ?? emptyCache }
    private let emptyCache = PacketCache(capacity: 1)
    var muted = false
    /// The SSRC forwarded now; with simulcast, the best-ranked layer seen (rid f > h > q).
    private(set) var activeSSRC: UInt32?
    private var activeRank = -1
    private var lastKeyframeRequest: ContinuousClock.Instant?
    private var lastActivePacket: ContinuousClock.Instant?
    /// A simulcast layer silent this long is considered stopped.
    static let layerTimeout: Duration = .seconds(1)
    static let keyframeRequestInterval: Duration = .milliseconds(500)
    /// The forwarded stream's latest keyframe (first packet) and highest sequence number, so a
    /// new recording can start from that keyframe out of the cache.
    private var lastKeyframe: (sequence: UInt16, at: ContinuousClock.Instant)?
    private var highestSequence: UInt16 = 0
    /// libwebrtc drops keyframe requests closer than this to its previous one.
    static let publisherKeyframeInterval: Duration = .milliseconds(300)
    private(set) var packetsReceived = 0
    private(set) var keyframeRequests = 0
    /// Last sender report per publisher SSRC, for the subscribers' sender reports.
    private(set) var senderReports: [UInt32: SenderReportMapping] = [:]
    /// RFC 6464 audio level of this (audio) track, for active speakers.
    private let audioLevelExtensionID: UInt8?
    var audioLevel = AudioLevelMeter()

    static let audioLevelURI = "urn:ietf:params:rtp-hdrext:ssrc-audio-level"

    init(_ p: Parameters, publisherTransport: WebRTCTransport, stats: ForwardingStats) {
        trackSid = p.trackSid
        isVideo = p.isVideo
        clockRate = p.clockRate
        isVP8 = p.isVP8
        extensionIDs = p.extensionIDs
        primaryPayloadTypes = p.primaryPayloadTypes
        rtxPayloadTypes = p.rtxPayloadTypes
        nackEnabled = p.nackEnabled
        self.publisherTransport = publisherTransport
        self.stats = stats
        audioLevelExtensionID = p.isVideo ? nil : p.extensionIDs[Self.audioLevelURI]
        cacheCapacity = p.isVideo ? 1024 : 128
    }

    func add(_ consumer: Consumer) {
        consumers.append(consumer)
        if muted { consumer.setPaused(true) }
        if consumer.isVideo { requestKeyframe(now: .now) }
    }

    func remove(_ consumer: Consumer) {
        consumers.removeAll { $0 === consumer }
    }

    /// Starts a recording's feed. The tap first gets the stream's last sender report (so a
    /// participant recording can line up its tracks at once). Video then needs a keyframe:
    /// normally a PLI, unthrottled; but libwebrtc ignores a PLI that follows the previous one
    /// by less than 300 ms, which is what a second recording started right after a first runs
    /// into. Then the answer to that PLI is used: replayed from the cache if it came already,
    /// else the tap gets it when it comes.
    func addTap(_ tap: any RecordingTap) {
        guard !taps.contains(where: { $0 === tap }) else { return }
        taps.append(tap)
        if let ssrc = activeSSRC, let report = senderReports[ssrc] {
            tap.senderReport(ssrc: ssrc, ntp: report.ntpTimestamp, rtp: report.rtpTimestamp, arrival: report.arrival)
        }
        guard isVideo else { return }
        let now = ContinuousClock.now
        guard let request = lastKeyframeRequest, now - request < Self.publisherKeyframeInterval else {
            requestKeyframe(now: now, force: true)
            return
        }
        guard let key = lastKeyframe, key.at >= request else { return }
        let count = Int(Int16(bitPattern: highestSequence &- key.sequence)) + 1
        guard count > 0 && count <= cache.capacity else { return }
        let arrival = monotonicNanoseconds()
        var sequence = key.sequence
        for _ in 0..<count {
            if let packet = cache.packet(sequenceNumber: sequence) { tap.rtp(packet, arrival: arrival, muted: muted) }
            sequence &+= 1
        }
    }

    func removeTap(_ tap: any RecordingTap) {
        taps.removeAll { $0 === tap }
    }

    func recordSenderReport(_ report: SenderReport, arrival: Int64) {
        guard senderReports[report.ssrc] != nil || senderReports.count < 8 else { return }
        senderReports[report.ssrc] = SenderReportMapping(ntpTimestamp: report.ntpTimestamp,
                                                         rtpTimestamp: report.rtpTimestamp, arrival: arrival)
        // Recordings map the stream they receive: the active layer's (any, before the first packet).
        if !taps.isEmpty, activeSSRC == nil || activeSSRC == report.ssrc {
            for tap in taps {
                tap.senderReport(ssrc: report.ssrc, ntp: report.ntpTimestamp, rtp: report.rtpTimestamp, arrival: arrival)
            }
        }
    }

    /// Handles one RTP packet of this track from the publisher (RTX already unwrapped).
    func receive(_ packet: UnsafeMutableRawBufferPointer, header: RTPHeaderView, rank: Int) {
        packetsReceived &+= 1
        // RED/FEC payloads are not forwarded (the server retransmits from its own cache).
        guard primaryPayloadTypes.contains(header.payloadType) else { return }
        let readOnly = UnsafeRawBufferPointer(packet)
        if let id = audioLevelExtensionID, let range = header.extensionRange(id: id, in: readOnly), !range.isEmpty {
            audioLevel.observe(level: readOnly[range.lowerBound])
        }
        let payload = UnsafeRawBufferPointer(rebasing: readOnly[header.payloadRange])
        let keyframe = isVideo && isVP8 && VP8PayloadDescriptor.isKeyframeStart(payload)
        let now = ContinuousClock.now
        guard let layer = layer(ssrc: header.ssrc, rank: rank) else { return }
        layer.received(bytes: packet.count, at: now)
        layer.cache.store(readOnly, sequenceNumber: header.sequenceNumber)
        if updateActiveLayer(header: header, rank: rank, keyframe: keyframe, now: now) {
            if Int16(bitPattern: header.sequenceNumber &- highestSequence) > 0 { highestSequence = header.sequenceNumber }
            // The latest keyframe: a keyframe start still in the cache and newer than the one
            // kept, or any one in the cache once that one has left it. (A plain 16-bit "newer"
            // test against a keyframe 32768 packets old, as with a publisher that sends keyframes
            // only when asked, would refuse every new one.)
            if keyframe {
                let window = UInt16(clamping: cacheCapacity), highest = highestSequence
                let fresh = highest &- header.sequenceNumber < window
                let replaces = lastKeyframe.map {
                    highest &- $0.sequence >= window || Int16(bitPattern: header.sequenceNumber &- $0.sequence) > 0
                } ?? true
                if fresh && replaces { lastKeyframe = (header.sequenceNumber, now) }
            }
            if !taps.isEmpty {
                let arrival = publisherTransport.currentArrival
                for tap in taps { tap.rtp(readOnly, arrival: arrival, muted: muted) }
            }
        }
        guard !muted else { return }
        // H.264 and others are forwarded opaquely: every packet counts as a possible start.
        let start = isVideo ? (isVP8 ? keyframe : true) : true
        var waitingSSRC: UInt32?
        for consumer in consumers {
            // Each consumer forwards one layer: the best started layer it may have. It moves to
            // another layer only at that layer's keyframe, so the switch is seamless (the
            // consumer re-anchors sequence numbers and timestamps on the new SSRC).
            let wanted = wantedRank(for: consumer, now: now)
            if consumer.layerRank == rank {
                if !consumer.forward(readOnly, header: header, isKeyframe: start, clockRate: clockRate)
                    && consumer.waitingForKeyframe && consumer.isReady && !consumer.paused {
                    waitingSSRC = header.ssrc
                }
                if wanted != rank, consumer.isReady, !consumer.paused, let target = layers.first(where: { $0.rank == wanted }) {
                    waitingSSRC = target.ssrc
                }
            } else if wanted == rank {
                guard consumer.isReady, !consumer.paused else { continue }
                // Another layer only at a keyframe we can see (VP8); other codecs stay on the
                // layer they started on rather than switch mid-GOP.
                if consumer.layerRank == nil ? start : (isVP8 && keyframe) {
                    consumer.layerRank = rank
                    consumer.forward(readOnly, header: header, isKeyframe: true, clockRate: clockRate)
                } else {
                    waitingSSRC = header.ssrc
                }
            }
        }
        // Someone waits for a keyframe (new subscriber, unmute, layer switch): ask the publisher
        // for one on that layer (throttled).
        if let waitingSSRC { requestKeyframe(now: now, ssrc: waitingSSRC) }
    }

    /// The layer of `ssrc`, made on its first packet.
    private func layer(ssrc: UInt32, rank: Int) -> ReceivedLayer? {
        if let layer = layers.first(where: { $0.ssrc == ssrc }) { return layer }
        guard layers.count < Self.maxLayers else { return nil }
        let layer = ReceivedLayer(ssrc: ssrc, rank: rank, cache: PacketCache(capacity: cacheCapacity))
        layers.append(layer)
        layers.sort { $0.rank < $1.rank }
        return layer
    }

    /// The best started layer at or below the consumer's limit, else the lowest started one
    /// (a subscriber asking for less than the smallest layer still gets video).
    func wantedRank(for consumer: Consumer, now: ContinuousClock.Instant) -> Int? {
        var best: Int?
        var lowest: Int?
        for layer in layers where now - layer.lastPacket <= Self.layerTimeout {
            if lowest == nil { lowest = layer.rank }
            if layer.rank <= consumer.maxRank { best = layer.rank }
        }
        return best ?? lowest
    }

    /// The best of `publishedRanks` anyone needs (dynacast): each unpaused consumer needs the
    /// best published layer within its limit (whether or not that layer is flowing now, so a
    /// layer switched off can be asked for again), a recording the best layer; never less than
    /// the lowest, so a new subscriber gets video at once.
    func neededRank(publishedRanks: [Int]) -> Int {
        guard let lowest = publishedRanks.min(), let best = publishedRanks.max() else { return Int.max }
        if !taps.isEmpty { return best }
        var needed = lowest
        for consumer in consumers where !consumer.paused {
            let within = publishedRanks.filter { $0 <= consumer.maxRank }.max() ?? lowest
            needed = max(needed, within)
        }
        return needed
    }

    /// The cache of the layer `ssrc` (for retransmissions to a consumer on that layer).
    func cache(ssrc: UInt32) -> PacketCache? { layers.first { $0.ssrc == ssrc }?.cache }

    /// The recordings' stream: the best layer that has started. Returns whether this packet
    /// belongs to it. A better layer takes over only at its keyframe (asked for); a worse one
    /// only when the active one stopped (the publisher dropped it for bandwidth).
    private func updateActiveLayer(header: RTPHeaderView, rank: Int, keyframe: Bool, now: ContinuousClock.Instant) -> Bool {
        if activeSSRC == header.ssrc {
            lastActivePacket = now
            return true
        }
        let activeStopped = lastActivePacket.map { now - $0 > Self.layerTimeout } ?? true
        guard activeSSRC == nil || rank > activeRank || activeStopped else { return false }
        if isVideo && !keyframe && activeSSRC != nil {
            if !taps.isEmpty { requestKeyframe(now: .now, ssrc: header.ssrc) }
            return false
        }
        activeSSRC = header.ssrc
        activeRank = rank
        lastActivePacket = now
        lastKeyframe = nil
        highestSequence = header.sequenceNumber
        // Recordings follow the new layer on its own clock: give them its mapping now.
        if !taps.isEmpty, let report = senderReports[header.ssrc] {
            for tap in taps {
                tap.senderReport(ssrc: header.ssrc, ntp: report.ntpTimestamp, rtp: report.rtpTimestamp, arrival: report.arrival)
            }
        }
        return true
    }

    /// A subscriber lost its picture: a keyframe on the layer it forwards (or, before its
    /// first packet, on the best live layer).
    func requestKeyframe(now: ContinuousClock.Instant, for consumer: Consumer) {
        let ssrc = consumer.layerRank == nil ? nil : consumer.sourceSSRC
        requestKeyframe(now: now, ssrc: ssrc == 0 ? nil : ssrc)
    }

    /// Sends PLI to the publisher, at most once per 500 ms per track (aggregating requests from
    /// every subscriber and from new subscriptions); `force` skips the throttle (a new recording).
    func requestKeyframe(now: ContinuousClock.Instant, ssrc: UInt32? = nil, force: Bool = false) {
        // Without an SSRC: the recordings' layer while it flows, else the best live layer (the
        // recordings' layer may have been switched off by dynacast).
        let live = layers.last { now - $0.lastPacket <= Self.layerTimeout }?.ssrc
        let activeLive = lastActivePacket.map { now - $0 <= Self.layerTimeout } ?? false
        guard isVideo, let target = ssrc ?? (activeLive ? activeSSRC : nil) ?? live ?? activeSSRC else {
            return
        }
        if !force, let last = lastKeyframeRequest, now < last.advanced(by: Self.keyframeRequestInterval) { return }
        lastKeyframeRequest = now
        keyframeRequests &+= 1
        stats.add(.keyframeRequests)
        let pli = RTCPPacket.pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: target))
        if let bytes = try? pli.serialized() { publisherTransport.sendRTCP(bytes) }
    }

    /// Unmuting video: consumers wait for a keyframe, which is requested now.
    func setMuted(_ muted: Bool) {
        self.muted = muted
        for consumer in consumers { consumer.setPaused(muted) }
        if !muted { requestKeyframe(now: .now) }
    }
}

/// One received stream of a producer: the only one, or one simulcast layer. Media thread only.
final class ReceivedLayer: @unchecked Sendable {
    let ssrc: UInt32
    /// Simulcast rank (0 without simulcast; q/h/f = 1/2/3).
    let rank: Int
    let cache: PacketCache
    private(set) var lastPacket: ContinuousClock.Instant
    /// Bits per second over the last full second.
    private(set) var bitrate = 0
    private var bytesInSecond = 0
    private var secondStart: ContinuousClock.Instant

    init(ssrc: UInt32, rank: Int, cache: PacketCache) {
        self.ssrc = ssrc
        self.rank = rank
        self.cache = cache
        lastPacket = .now
        secondStart = lastPacket
    }

    func received(bytes: Int, at now: ContinuousClock.Instant) {
        lastPacket = now
        if now - secondStart >= .seconds(1) {
            bitrate = bytesInSecond * 8
            bytesInSecond = 0
            secondStart = now
        }
        bytesInSecond += bytes
    }
}
