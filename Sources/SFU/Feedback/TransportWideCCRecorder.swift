import RTCP

/// Records the arrival time of every packet carrying a transport-wide sequence number and turns
/// them into transport-cc feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1),
/// which the sender's congestion controller (libwebrtc's send-side BWE) uses to pace its
/// bitrate. Without this feedback libwebrtc stays at its start bitrate and a low resolution.
///
/// Each feedback covers the packets from the first not yet reported to the highest received,
/// so every sequence number is reported once as received or lost. Late arrivals of already
/// reported numbers are not reported again.
///
/// Ownership: media loop thread only. Arrivals go into a preallocated ring.
struct TransportWideCCRecorder {
    static let ringSize = 4096
    /// One feedback packet covers at most this many sequence numbers; more wait for the next.
    static let maxPerFeedback = 1000

    private var started = false
    private var highest: Int64 = 0
    /// First extended sequence number not yet reported.
    private var nextToReport: Int64 = 0
    private var ringSequence: [Int64]
    private var ringTime: [Int64]
    private var feedbackCount: UInt8 = 0
    private(set) var feedbackSent = 0
    private var arrivals: [TransportWideFeedback.Arrival] = []

    init() {
        ringSequence = Array(repeating: -1, count: Self.ringSize)
        ringTime = Array(repeating: 0, count: Self.ringSize)
        arrivals.reserveCapacity(Self.maxPerFeedback)
    }

    /// Notes one arrival (`arrival` in monotonic nanoseconds).
    mutating func record(sequence: UInt16, arrival: Int64) {
        let extended: Int64
        if !started {
            started = true
            extended = Int64(sequence)
            highest = extended
            nextToReport = extended
        } else {
            extended = highest + Int64(Int16(bitPattern: sequence &- UInt16(truncatingIfNeeded: highest)))
            guard extended >= nextToReport else { return }
            if extended > highest { highest = extended }
        }
        let slot = Int(extended & Int64(Self.ringSize - 1))
        ringSequence[slot] = extended
        ringTime[slot] = arrival
    }

    var hasPending: Bool { started && nextToReport <= highest }

    /// The next feedback packet, or nil when nothing new arrived. `mediaSSRC` is one of the
    /// sender's SSRCs (libwebrtc ignores it, others expect a real one).
    mutating func makeFeedback(senderSSRC: UInt32, mediaSSRC: UInt32) -> TransportWideFeedback? {
        guard hasPending else { return nil }
        // Numbers that fell out of the ring before being reported are skipped, not reported lost.
        if highest - nextToReport >= Int64(Self.ringSize) { nextToReport = highest - Int64(Self.ringSize) + 1 }
        let end = min(highest, nextToReport + Int64(Self.maxPerFeedback) - 1)
        arrivals.removeAll(keepingCapacity: true)
        var sequence = nextToReport
        while sequence <= end {
            let slot = Int(sequence & Int64(Self.ringSize - 1))
            let received = ringSequence[slot] == sequence
            arrivals.append(.init(sequenceNumber: UInt16(truncatingIfNeeded: sequence),
                                  time: received ? ringTime[slot] / 1000 : nil))
            sequence += 1
        }
        nextToReport = end + 1
        // The first element must be a received packet or the builder has no reference time;
        // a batch of only losses is still valid (it just reports them lost).
        guard let feedback = try? TransportWideFeedback(senderSSRC: senderSSRC, mediaSSRC: mediaSSRC,
                                                        feedbackPacketCount: feedbackCount, arrivals: arrivals) else {
            return nil
        }
        feedbackCount &+= 1
        feedbackSent += 1
        return feedback
    }
}
