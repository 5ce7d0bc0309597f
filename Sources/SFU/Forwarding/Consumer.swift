import PayloadFormats
import RTP
import MediaTransport

/// One subscriber's copy of one producer (mediasoup's Consumer): rewrites SSRC, payload type,
/// header extension ids, sequence numbers and timestamps so the subscriber sees one continuous
/// stream across mutes, pauses and source switches, with gaps only where packets were lost.
///
/// Ownership: media loop thread only.
final class Consumer: @unchecked Sendable {
    let trackSid: String
    let transport: WebRTCTransport
    let ssrc: UInt32
    let isVideo: Bool
    let extensionMap: HeaderExtensionMap
    /// Publisher payload type -> subscriber payload type (identical when we offered the
    /// publisher's codecs, which the subscriber offer does).
    private var payloadTypes: [UInt8]
    private(set) var paused = false
    /// The subscriber answered an offer containing this stream. Until then it could not map the
    /// SSRC to its track (libwebrtc then feeds an unsignalled stream that never reaches the
    /// track), so nothing is sent; LiveKit waits for the answer too.
    var negotiated = false
    /// A new (or resumed) video consumer forwards nothing until a keyframe starts.
    var waitingForKeyframe: Bool

    // Continuity state (RFC 3550 §5.1: sequence numbers and timestamps continue per SSRC).
    private var started = false
    private(set) var sourceSSRC: UInt32 = 0
    private var sequenceOffset: UInt16 = 0
    private(set) var timestampOffset: UInt32 = 0
    private var lastSequence: UInt16 = 0
    private var lastTimestamp: UInt32 = 0
    private var resync = true
    private(set) var packetsSent = 0
    private(set) var octetsSent = 0
    /// `packetsSent` at the subscriber's last receiver report (for its loss fraction).
    var packetsAtLastReport = 0
    /// RTX (RFC 4588) towards this subscriber, when its SDP negotiated it: our RTX SSRC, its
    /// own sequence numbers, and subscriber payload type -> RTX payload type.
    let rtxSSRC: UInt32?
    private let rtxPayloadTypes: [UInt8: UInt8]
    private var rtxSequence = UInt16.random(in: 0...UInt16.max)
    /// The subscriber transport's transport-wide sequence numbers and bandwidth estimate.
    let bandwidth: SubscriberBandwidth?
    /// The last sender report sent: its compact NTP (what the receiver echoes as LSR) and when.
    var lastSenderReport: (compactNTP: UInt32, sentAt: Int64)?

    init(trackSid: String, transport: WebRTCTransport, ssrc: UInt32, isVideo: Bool, extensionMap: HeaderExtensionMap,
         payloadTypes: [(UInt8, UInt8)], rtxSSRC: UInt32? = nil, rtxPayloadTypes: [UInt8: UInt8] = [:],
         bandwidth: SubscriberBandwidth? = nil) {
        self.bandwidth = bandwidth
        self.rtxSSRC = rtxPayloadTypes.isEmpty ? nil : rtxSSRC
        self.rtxPayloadTypes = rtxPayloadTypes
        self.trackSid = trackSid
        self.transport = transport
        self.ssrc = ssrc
        self.isVideo = isVideo
        self.extensionMap = extensionMap
        self.waitingForKeyframe = isVideo
        var table = Array(0...UInt8(127))
        for (from, to) in payloadTypes where from < 128 && to < 128 { table[Int(from)] = to }
        self.payloadTypes = table
    }

    /// The simulcast layer (Producer rank) this consumer forwards now; nil before the first.
    var layerRank: Int?
    /// The best layer the subscriber asked for (update_track_settings).
    var requestedRank = Int.max
    /// The best layer it gets: the requested one, or less if the allocator says so.
    var maxRank = Int.max
    private var pausedByPublisher = false
    /// The stream allocator paused it (the subscriber's path cannot carry its lowest layer).
    private(set) var pausedByAllocator = false
    /// The subscriber disabled the track (update_track_settings `disabled`).
    private(set) var disabled = false

    /// Publisher mute (or unsubscribe pending) on or off.
    func setPaused(_ paused: Bool) {
        pausedByPublisher = paused
        applyPause(pausedByPublisher || disabled || pausedByAllocator)
    }

    func setAllocatorPaused(_ paused: Bool) {
        pausedByAllocator = paused
        applyPause(pausedByPublisher || disabled || pausedByAllocator)
    }

    /// The subscriber disabled or re-enabled the track.
    func setDisabled(_ disabled: Bool) {
        self.disabled = disabled
        applyPause(pausedByPublisher || disabled || pausedByAllocator)
    }

    /// Pause or resume; resuming video waits for a keyframe, and the sequence/timestamp line is
    /// re-anchored so the pause leaves no gap.
    private func applyPause(_ paused: Bool) {
        guard self.paused != paused else { return }
        self.paused = paused
        if !paused {
            resync = true
            if isVideo { waitingForKeyframe = true }
        }
    }

    /// Forwards one packet (returns false if it was held back, e.g. waiting for a keyframe).
    @discardableResult
    func forward(_ packet: UnsafeRawBufferPointer, header: RTPHeaderView, isKeyframe: Bool, clockRate: UInt32) -> Bool {
        // Held until the subscriber can receive it: a keyframe sent before the answer or before
        // DTLS completed would be lost, and the deltas after it would not decode.
        guard !paused, isReady else { return false }
        if waitingForKeyframe {
            guard isKeyframe else { return false }
            waitingForKeyframe = false
        }
        if header.ssrc != sourceSSRC { sourceSSRC = header.ssrc; resync = true }
        if resync || !started {
            // Continue from the last packet sent: next sequence number, and a timestamp one
            // frame (or 20 ms of audio) later.
            let step: UInt32 = started ? (isVideo ? clockRate / 30 : clockRate / 50) : 0
            sequenceOffset = started ? (lastSequence &+ 1) &- header.sequenceNumber : 0
            timestampOffset = started ? (lastTimestamp &+ step) &- header.timestamp : 0
            started = true
            resync = false
            anchor.reset(source: header.sequenceNumber, output: header.sequenceNumber &+ sequenceOffset)
        } else if !anchor.admit(header.sequenceNumber) {
            // From before the anchor (a late or resent packet of this SSRC from before the
            // switch): its output number was already used by the previous stretch.
            return false
        }
        let sequence = header.sequenceNumber &+ sequenceOffset
        let timestamp = header.timestamp &+ timestampOffset
        if Int16(bitPattern: sequence &- lastSequence) > 0 || packetsSent == 0 {
            lastSequence = sequence
            lastTimestamp = timestamp
        }
        send(packet, header: header, sequence: sequence, timestamp: timestamp)
        return true
    }

    /// Whether packets can reach the subscriber's track now.
    var isReady: Bool { negotiated && transport.canSend }

    /// Resends a cached packet that the subscriber NACKed, with its original rewriting: in an
    /// RTX packet when negotiated (RFC 4588 §4: own SSRC and sequence, original sequence number
    /// first in the payload), else as the original packet.
    func retransmit(_ packet: UnsafeRawBufferPointer) {
        guard let header = try? RTPHeaderView(validating: packet), header.ssrc == sourceSSRC else { return }
        let sequence = header.sequenceNumber &+ sequenceOffset
        let timestamp = header.timestamp &+ timestampOffset
        let payloadType = payloadTypes[Int(header.payloadType & 0x7F)]
        guard let rtxSSRC, let rtxPayloadType = rtxPayloadTypes[payloadType] else {
            send(packet, header: header, sequence: sequence, timestamp: timestamp)
            return
        }
        let map = extensionMap, rtxSequence = self.rtxSequence, bandwidth = self.bandwidth
        self.rtxSequence &+= 1
        let headerLength = header.payloadOffset, payloadLength = header.payloadLength
        transport.sendRTP(length: headerLength + 2 + payloadLength) { buffer in
            guard let base = buffer.baseAddress, let source = packet.baseAddress else { return }
            base.copyMemory(from: source, byteCount: headerLength)
            buffer[0] &= ~0x20 // no padding in the RTX packet
            buffer[headerLength] = UInt8(sequence >> 8)
            buffer[headerLength + 1] = UInt8(sequence & 0xFF)
            (base + headerLength + 2).copyMemory(from: source + headerLength, byteCount: payloadLength)
            RTPHeaderView.setSSRC(rtxSSRC, in: buffer)
            RTPHeaderView.setSequenceNumber(rtxSequence, in: buffer)
            RTPHeaderView.setTimestamp(timestamp, in: buffer)
            RTPHeaderView.setPayloadType(rtxPayloadType, in: buffer)
            if map.apply(to: buffer, header: header, transportSequence: bandwidth?.nextSequence) {
                bandwidth?.commitStamp(size: buffer.count, nowNanoseconds: monotonicNanoseconds())
            }
        }
    }

    /// Whether padding probes can ride on this consumer: RTX negotiated, transport-wide
    /// sequence numbers to stamp, media already flowing (so the RTX stream is known).
    var canCarryProbes: Bool {
        isVideo && rtxSSRC != nil && extensionMap.transportCCID != nil && bandwidth != nil && packetsSent > 0 && isReady
    }

    /// Sends `count` padding-only RTX packets of `size` bytes for probe `cluster` (as libwebrtc
    /// probes): RFC 4588 RTX with no original sequence number, so every receiver drops them
    /// after counting them in its transport-wide feedback. They are not media: not counted in
    /// `packetsSent`/`octetsSent` (sender reports, quality, allocation).
    /// Returns how many were sent.
    @discardableResult
    func sendPadding(count: Int, size: Int, cluster: Int) -> Int {
        guard let rtxSSRC, let rtxPayloadType = rtxPayloadTypes.values.min(), let extensionID = extensionMap.transportCCID,
              let bandwidth, extensionID >= 1, extensionID <= 14 else { return 0 }
        // 12-byte header, a one-byte-header extension block of one word (transport-wide
        // sequence), then padding whose last byte says how much (RFC 3550 §5.1).
        let padding = min(max(size - 20, 1), 255)
        let timestamp = lastTimestamp // the last one sent
        for _ in 0..<count {
            let sequence = rtxSequence
            rtxSequence &+= 1
            let transportSequence = bandwidth.nextSequence
            let length = 20 + padding
            transport.sendRTP(length: length) { buffer in
                buffer[0] = 0x80 | 0x20 | 0x10 // V=2, padding, extension
                buffer[1] = rtxPayloadType & 0x7F
                RTPHeaderView.setSequenceNumber(sequence, in: buffer)
                RTPHeaderView.setTimestamp(timestamp, in: buffer)
                RTPHeaderView.setSSRC(rtxSSRC, in: buffer)
                buffer[12] = 0xBE; buffer[13] = 0xDE; buffer[14] = 0; buffer[15] = 1
                buffer[16] = extensionID << 4 | 1
                buffer[17] = UInt8(transportSequence >> 8)
                buffer[18] = UInt8(transportSequence & 0xFF)
                buffer[19] = 0
                for i in 20..<(length - 1) { buffer[i] = 0 }
                buffer[length - 1] = UInt8(padding)
            }
            bandwidth.commitStamp(size: length, nowNanoseconds: monotonicNanoseconds(), probeCluster: cluster)
        }
        return count
    }

    /// The last re-anchoring (switch, resume), following the stream (see SequenceAnchor).
    private var anchor = SequenceAnchor()

    /// Whether output `sequence` was sent since the last re-anchoring: earlier numbers belong
    /// to another stretch (another layer), whose packets this consumer's cache mapping cannot find.
    func isSinceAnchor(_ sequence: UInt16) -> Bool { anchor.isSince(output: sequence) }

    /// When each recent sequence number was last resent (slot = sequence mod 256).
    private var resentAt = [Int64](repeating: 0, count: 256)
    private var resentSequence = [UInt16](repeating: 0, count: 256)

    /// Whether `sequence` may be resent now: not if it was resent less than a round trip ago
    /// (the subscriber's repeated NACK crossed our answer).
    func mayRetransmit(_ sequence: UInt16, now: Int64, roundTrip: Int64) -> Bool {
        let slot = Int(sequence & 0xFF)
        if resentSequence[slot] == sequence && resentAt[slot] != 0 && now - resentAt[slot] < max(roundTrip, 20_000_000) {
            return false
        }
        resentSequence[slot] = sequence
        resentAt[slot] = now
        return true
    }

    /// The publisher sequence number that became `sequence` for this subscriber.
    func sourceSequence(for sequence: UInt16) -> UInt16 { sequence &- sequenceOffset }

    private func send(_ packet: UnsafeRawBufferPointer, header: RTPHeaderView, sequence: UInt16, timestamp: UInt32) {
        let ssrc = self.ssrc, map = extensionMap, bandwidth = self.bandwidth
        let payloadType = payloadTypes[Int(header.payloadType & 0x7F)]
        transport.sendRTP(packet) { buffer in
            RTPHeaderView.setSSRC(ssrc, in: buffer)
            RTPHeaderView.setSequenceNumber(sequence, in: buffer)
            RTPHeaderView.setTimestamp(timestamp, in: buffer)
            RTPHeaderView.setPayloadType(payloadType, in: buffer)
            if map.apply(to: buffer, header: header, transportSequence: bandwidth?.nextSequence) {
                bandwidth?.commitStamp(size: buffer.count, nowNanoseconds: monotonicNanoseconds())
            }
        }
        packetsSent &+= 1
        octetsSent &+= header.payloadLength
    }
}
