import ConnectionQuality
import Foundation
import LiveKitProtocol

/// Connection quality (LiveKit's `connection_quality`): every `qualityUpdateInterval` the room
/// closes a window on each participant's uplink (its published tracks, as received here) and
/// downlink (what we sent it, as its feedback reports), scores both (docs/quality.md), and
/// shows the worse. Upstream loss is charged to the publisher only: the downlink's loss comes
/// from transport-wide feedback on our own sequence numbers, which never counts packets the
/// publisher failed to deliver. Changed levels go to everyone in the room; a newcomer first
/// gets everyone's current level.
extension Room {
    func updateConnectionQuality() async {
        guard !closed, !participants.isEmpty else { return }
        let links = participants.values.map { ($0.sid, $0.publisher.ingress, $0.subscriber.egress) }
        let simulcast = simulcastProducers()
        // Asked for at both of the last two windows: the publisher had at least a window's time.
        var askedRanks: [String: Int] = [:]
        if neededRankHistory.count == 2 {
            for (trackSid, rank) in neededRankHistory[1] {
                if let earlier = neededRankHistory[0][trackSid] { askedRanks[trackSid] = min(rank, earlier) }
            }
        }
        let asked = askedRanks
        typealias Windows = [String: (up: [String: StreamWindow], down: StreamWindow?)]
        let (windows, needed): (Windows, [String: Int]) = await withCheckedContinuation { continuation in
            context.transports.execute {
                var result: Windows = [:]
                for (sid, ingress, egress) in links {
                    result[sid] = (ingress.qualityWindows(neededRanks: asked), egress.qualityWindow())
                }
                var needed: [String: Int] = [:]
                for (trackSid, producer, ranks) in simulcast { needed[trackSid] = producer.neededRank(publishedRanks: ranks) }
                continuation.resume(returning: (result, needed))
            }
        }
        sendSubscribedQualities(needed)
        neededRankHistory = Array((neededRankHistory + [needed]).suffix(2))
        var changed: [Livekit_ConnectionQualityInfo] = []
        for (sid, window) in windows {
            guard let participant = participants[sid] else { continue }
            // A track published but not flowing yet (negotiating) is not judged; one that
            // flowed and stopped while unmuted is: its publisher is lost.
            var scores: [Double?] = []
            for (trackSid, up) in window.up {
                if up.expectedPackets > 0 { participant.quality.flowing.insert(trackSid) }
                if participant.quality.flowing.contains(trackSid) { scores.append(up.mos) }
            }
            if let down = window.down { scores.append(down.mos) }
            participant.quality.lastUplink = window.up.filter { participant.quality.flowing.contains($0.key) }
            participant.quality.lastDownlink = window.down
            guard !scores.isEmpty else { continue }
            participant.quality.judgedAt = Date()
            let worst: Double? = scores.contains { $0 == nil } ? nil : scores.compactMap { $0 }.min()
            logger.debug("quality window", metadata: [
                "participant": "\(participant.identity)", "mos": "\(worst.map { String(format: "%.2f", $0) } ?? "lost")",
                "up": "\(window.up.values.map { "\($0.kind) loss \($0.lostPackets)/\($0.expectedPackets) rtt \(Int($0.rttMs)) jitter \(Int($0.jitterMs)) layers missed \($0.layersMissed)/\($0.layersExpected)" })",
                "down": "\(window.down.map { "\($0.kind) loss \($0.lostPackets)/\($0.expectedPackets) rtt \(Int($0.rttMs)) ratio \(String(format: "%.2f", $0.bitrateRatio))" } ?? "-")"])
            // The first judgement is always sent, so clients know the level, not only changes.
            if participant.quality.update(mos: worst) || !participant.quality.announced {
                participant.quality.announced = true
                changed.append(participant.qualityInfo)
            }
        }
        // Everyone gets the changes; a participant that joined since the last window gets every
        // participant's current level instead (it missed the earlier announcements).
        var update = Livekit_ConnectionQualityUpdate()
        update.updates = changed
        var snapshot = Livekit_ConnectionQualityUpdate()
        snapshot.updates = participants.values.filter { $0.quality.announced }.map(\.qualityInfo)
        let encoding = SharedEncoding(), snapshotEncoding = SharedEncoding()
        for participant in participants.values {
            let delivery: SignalSink.Delivery?
            if !participant.quality.hasSnapshot {
                participant.quality.hasSnapshot = true
                delivery = snapshot.updates.isEmpty ? nil : participant.send(.connectionQuality(snapshot), encoding: snapshotEncoding)
            } else {
                delivery = changed.isEmpty ? nil : participant.send(.connectionQuality(update), encoding: encoding)
            }
            if delivery == .overflow { slowConsumer(participant) }
        }
    }

    /// Every participant's connection quality and the last window behind it (admin API).
    public var qualityReport: [ParticipantQualityReport] {
        participants.values.sorted { $0.joinedAt < $1.joinedAt }.map { participant in
            ParticipantQualityReport(sid: participant.sid, identity: participant.identity,
                                     level: participant.quality.tracker.level, score: participant.quality.tracker.score,
                                     judgedAt: participant.quality.judgedAt, uplink: participant.quality.lastUplink,
                                     downlink: participant.quality.lastDownlink)
        }
    }

    /// Participants per level, for /metrics.
    var qualityLevels: [QualityLevel: Int] {
        var counts: [QualityLevel: Int] = [:]
        for participant in participants.values { counts[participant.quality.tracker.level, default: 0] += 1 }
        return counts
    }
}

/// One participant's connection quality as the admin API reports it.
public struct ParticipantQualityReport: Sendable {
    public let sid: String
    public let identity: String
    public let level: QualityLevel
    /// The last window's MOS, 1...4.5 (0 when nothing arrived); `level` is it after hysteresis.
    public let score: Double
    /// When a window was last judged; nil before the first (no media yet).
    public let judgedAt: Date?
    /// Per published track (that has had media): what arrived from this participant.
    public let uplink: [String: StreamWindow]
    /// What this participant received from us, as its feedback reports.
    public let downlink: StreamWindow?
}

/// A participant's quality state: the tracker, and whether any window has been judged yet.
struct ParticipantQuality {
    var tracker = QualityTracker()
    /// Published tracks that have had media.
    var flowing: Set<String> = []
    var announced = false
    /// This participant has been sent everyone's level once.
    var hasSnapshot = false
    /// The last window's measurements (the admin API shows them) and when it was judged.
    var lastUplink: [String: StreamWindow] = [:]
    var lastDownlink: StreamWindow?
    var judgedAt: Date?

    mutating func update(mos: Double?) -> Bool { tracker.update(mos: mos) }
}

extension Participant {
    var qualityInfo: Livekit_ConnectionQualityInfo {
        var info = Livekit_ConnectionQualityInfo()
        info.participantSid = sid
        info.score = Float(quality.tracker.score)
        switch quality.tracker.level {
        case .excellent: info.quality = .excellent
        case .good: info.quality = .good
        case .poor: info.quality = .poor
        case .lost: info.quality = .lost
        }
        return info
    }
}
