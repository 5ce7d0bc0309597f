import Synchronization

/// Server-wide forwarding counters for /metrics. Written on the media loop (single writer, so
/// relaxed atomic adds never contend), read from any thread.
public final class ForwardingStats: Sendable {
    public enum Counter: CaseIterable, Sendable {
        /// Packets resent to subscribers in answer to their NACKs.
        case retransmissions
        /// NACKed packets no longer in the cache.
        case retransmissionMisses
        /// NACKed packets not resent: asked again within a round trip, over the budget, or paused.
        case retransmissionsSuppressed
        /// Sequence numbers requested from publishers (first requests; retries not counted).
        case nacksSent
        /// Missing packets that arrived later (retransmitted after our NACK, or reordered).
        case recovered
        case keyframeRequests
        case transportFeedbackSent
        case receiverReportsSent
        case senderReportsSent
        /// Transport-wide feedback messages from subscribers (they drive the estimate).
        case transportFeedbackReceived
        /// Packets those messages reported that matched our sends (proof the numbering holds).
        case transportFeedbackPacketsMatched
        /// REMB messages sent to publishers without transport-wide CC.
        case rembSent
        /// Padding packets sent to subscribers as bandwidth probes.
        case probePacketsSent
    }

    private let retransmissions = Atomic<Int>(0)
    private let retransmissionMisses = Atomic<Int>(0)
    private let retransmissionsSuppressed = Atomic<Int>(0)
    private let nacksSent = Atomic<Int>(0)
    private let recovered = Atomic<Int>(0)
    private let keyframeRequests = Atomic<Int>(0)
    private let transportFeedbackSent = Atomic<Int>(0)
    private let receiverReportsSent = Atomic<Int>(0)
    private let senderReportsSent = Atomic<Int>(0)
    private let transportFeedbackReceived = Atomic<Int>(0)
    private let transportFeedbackPacketsMatched = Atomic<Int>(0)
    private let rembSent = Atomic<Int>(0)
    private let probePacketsSent = Atomic<Int>(0)

    public init() {}

    func add(_ counter: Counter, _ n: Int = 1) {
        switch counter {
        case .retransmissions: retransmissions.add(n, ordering: .relaxed)
        case .retransmissionMisses: retransmissionMisses.add(n, ordering: .relaxed)
        case .retransmissionsSuppressed: retransmissionsSuppressed.add(n, ordering: .relaxed)
        case .nacksSent: nacksSent.add(n, ordering: .relaxed)
        case .recovered: recovered.add(n, ordering: .relaxed)
        case .keyframeRequests: keyframeRequests.add(n, ordering: .relaxed)
        case .transportFeedbackSent: transportFeedbackSent.add(n, ordering: .relaxed)
        case .receiverReportsSent: receiverReportsSent.add(n, ordering: .relaxed)
        case .senderReportsSent: senderReportsSent.add(n, ordering: .relaxed)
        case .transportFeedbackReceived: transportFeedbackReceived.add(n, ordering: .relaxed)
        case .transportFeedbackPacketsMatched: transportFeedbackPacketsMatched.add(n, ordering: .relaxed)
        case .rembSent: rembSent.add(n, ordering: .relaxed)
        case .probePacketsSent: probePacketsSent.add(n, ordering: .relaxed)
        }
    }

    public subscript(counter: Counter) -> Int {
        switch counter {
        case .retransmissions: retransmissions.load(ordering: .relaxed)
        case .retransmissionMisses: retransmissionMisses.load(ordering: .relaxed)
        case .retransmissionsSuppressed: retransmissionsSuppressed.load(ordering: .relaxed)
        case .nacksSent: nacksSent.load(ordering: .relaxed)
        case .recovered: recovered.load(ordering: .relaxed)
        case .keyframeRequests: keyframeRequests.load(ordering: .relaxed)
        case .transportFeedbackSent: transportFeedbackSent.load(ordering: .relaxed)
        case .receiverReportsSent: receiverReportsSent.load(ordering: .relaxed)
        case .senderReportsSent: senderReportsSent.load(ordering: .relaxed)
        case .transportFeedbackReceived: transportFeedbackReceived.load(ordering: .relaxed)
        case .transportFeedbackPacketsMatched: transportFeedbackPacketsMatched.load(ordering: .relaxed)
        case .rembSent: rembSent.load(ordering: .relaxed)
        case .probePacketsSent: probePacketsSent.load(ordering: .relaxed)
        }
    }
}
