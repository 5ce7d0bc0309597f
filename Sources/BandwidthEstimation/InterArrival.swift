/// Packet groups and the delay variation between them (draft-ietf-rmcat-gcc-02 §5.2).
///
/// Packets sent within `burstInterval` of a group's first packet form one group (a video
/// frame, usually); for each pair of consecutive complete groups the detector needs the
/// difference of their send times and of their arrival times. A packet that arrives within
/// `burstInterval` of the group's last arrival while its send time is later than the group's
/// is still counted to the group when the arrival spacing shrank (a burst after a queue), as
/// the draft's "burst" rule asks.
public struct InterArrival: Sendable {
    public struct Delta: Sendable, Equatable {
        /// Send time difference of the last packets of two groups.
        public var sendDeltaUs: Int64
        /// Arrival time difference of the same packets.
        public var arrivalDeltaUs: Int64
        /// Arrival time of the newer group's last packet.
        public var arrivalTimeUs: Int64
        public var sizeDelta: Int
    }

    struct Group {
        var firstSendUs: Int64
        var lastSendUs: Int64
        var firstArrivalUs: Int64
        var lastArrivalUs: Int64
        var size: Int
    }

    public static let burstIntervalUs: Int64 = 5_000
    private var current: Group?
    private var previous: Group?

    public init() {}

    /// Adds a received packet (in arrival order); returns the delta when it closed a group.
    public mutating func add(sendTimeUs: Int64, arrivalTimeUs: Int64, size: Int) -> Delta? {
        guard var group = current else {
            current = Group(firstSendUs: sendTimeUs, lastSendUs: sendTimeUs, firstArrivalUs: arrivalTimeUs,
                            lastArrivalUs: arrivalTimeUs, size: size)
            return nil
        }
        // Reordered in send time behind the current group: ignore (it says nothing new).
        if sendTimeUs < group.firstSendUs { return nil }
        if belongs(sendTimeUs: sendTimeUs, arrivalTimeUs: arrivalTimeUs, to: group) {
            group.lastSendUs = max(group.lastSendUs, sendTimeUs)
            group.lastArrivalUs = max(group.lastArrivalUs, arrivalTimeUs)
            group.size += size
            current = group
            return nil
        }
        var delta: Delta?
        if let previous {
            delta = Delta(sendDeltaUs: group.lastSendUs - previous.lastSendUs,
                          arrivalDeltaUs: group.lastArrivalUs - previous.lastArrivalUs,
                          arrivalTimeUs: group.lastArrivalUs, sizeDelta: group.size - previous.size)
        }
        previous = group
        current = Group(firstSendUs: sendTimeUs, lastSendUs: sendTimeUs, firstArrivalUs: arrivalTimeUs,
                        lastArrivalUs: arrivalTimeUs, size: size)
        return delta
    }

    private func belongs(sendTimeUs: Int64, arrivalTimeUs: Int64, to group: Group) -> Bool {
        if sendTimeUs - group.firstSendUs <= Self.burstIntervalUs { return true }
        // Burst: arrived close behind the group and faster than it was sent.
        let arrivalDelta = arrivalTimeUs - group.lastArrivalUs
        let sendDelta = sendTimeUs - group.lastSendUs
        return arrivalDelta < Self.burstIntervalUs && arrivalDelta - sendDelta < 0 && arrivalTimeUs - group.firstArrivalUs < 100_000
    }
}
