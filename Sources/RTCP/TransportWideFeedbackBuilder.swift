/// Building transport-wide CC feedback from observed arrivals
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).
extension TransportWideFeedback {
    /// One observed (or missing) transport-wide sequence number.
    public struct Arrival: Sendable, Equatable {
        /// Transport-wide sequence number from the RTP header extension.
        public var sequenceNumber: UInt16
        /// Arrival time in microseconds on the receiver's monotonic clock; nil means lost.
        public var time: Int64?

        /// Creates an arrival record.
        public init(sequenceNumber: UInt16, time: Int64?) {
            self.sequenceNumber = sequenceNumber
            self.time = time
        }
    }

    /// Builds compact feedback for `arrivals`.
    ///
    /// - The base sequence number is the earliest sequence number (serial arithmetic
    ///   relative to the first element, so wrap-around is handled); sequence numbers
    ///   missing from the list are reported lost. If a number appears twice, the first
    ///   received arrival wins. The span must not exceed `maxPacketStatusCount`.
    /// - The reference time is the first received packet's arrival, floored to 64 ms and
    ///   wrapped into 24 bits as libwebrtc does. Each arrival is quantized to 250 µs
    ///   relative to it (floor), so decoded arrival times are at most 249 µs early and
    ///   rounding errors do not accumulate across deltas.
    /// - Deltas in 0...63.75 ms use one octet; others (including negative deltas from
    ///   reordering) use two. A delta beyond ±8.19 s throws `.unencodable`: split the batch.
    /// - Chunks: a run-length chunk for runs of 14 or more (or that finish the list), else a
    ///   14-symbol one-bit vector when no large delta is in range, else a run-length chunk
    ///   for runs of 7 or more, else a 7-symbol two-bit vector.
    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, feedbackPacketCount: UInt8, arrivals: [Arrival]
    ) throws(RTCPError) {
        guard let first = arrivals.first else { throw .invalidValue }
        // Place each arrival by its signed distance from the first element.
        var minOffset = 0
        var maxOffset = 0
        for arrival in arrivals {
            let offset = Int(Int16(bitPattern: arrival.sequenceNumber &- first.sequenceNumber))
            minOffset = min(minOffset, offset)
            maxOffset = max(maxOffset, offset)
        }
        let count = maxOffset - minOffset + 1
        guard count <= Self.maxPacketStatusCount else { throw .unencodable }
        let base = first.sequenceNumber &+ UInt16(bitPattern: Int16(minOffset))

        var times = [Int64?](repeating: nil, count: count)
        for arrival in arrivals {
            let index = Int(arrival.sequenceNumber &- base)
            guard index < count else { throw .unencodable }
            if times[index] == nil { times[index] = arrival.time }
        }

        // Reference time: floor(first received arrival / 64 ms).
        var referenceTicks: Int64 = 0
        if let firstTime = times.lazy.compactMap({ $0 }).first {
            referenceTicks = Self.floorDivide(firstTime, Self.referenceTimeTickMicroseconds)
        }
        let (referenceMicroseconds, referenceOverflow) =
            referenceTicks.multipliedReportingOverflow(by: Self.referenceTimeTickMicroseconds)
        guard !referenceOverflow else { throw .unencodable }

        var statuses: [Status] = []
        statuses.reserveCapacity(count)
        var deltas: [Int16] = []
        var previousTick: Int64 = 0
        for time in times {
            guard let time else {
                statuses.append(.notReceived)
                continue
            }
            let (sinceReference, overflow) = time.subtractingReportingOverflow(referenceMicroseconds)
            guard !overflow else { throw .unencodable }
            let tick = Self.floorDivide(sinceReference, Self.deltaTickMicroseconds)
            let (delta, deltaOverflow) = tick.subtractingReportingOverflow(previousTick)
            guard !deltaOverflow, let wire = Int16(exactly: delta) else { throw .unencodable }
            previousTick = tick
            deltas.append(wire)
            statuses.append((0...255).contains(wire) ? .receivedSmallDelta : .receivedLargeDelta)
        }

        // Wrap into the signed 24-bit field (the receiver's clock epoch is arbitrary).
        let wrapped = Int32(truncatingIfNeeded: referenceTicks & 0xFF_FFFF)
        self.init(
            senderSSRC: senderSSRC, mediaSSRC: mediaSSRC, baseSequenceNumber: base,
            packetStatusCount: UInt16(count), referenceTime: (wrapped << 8) >> 8,
            feedbackPacketCount: feedbackPacketCount,
            chunks: Self.encodeChunks(statuses), receiveDeltas: deltas)
    }

    /// Greedy chunk selection; see the builder's documentation for the rules.
    static func encodeChunks(_ statuses: [Status]) -> [Chunk] {
        var chunks: [Chunk] = []
        var index = 0
        while index < statuses.count {
            let remaining = statuses.count - index
            var run = 1
            while run < remaining, run < 0x1FFF, statuses[index + run] == statuses[index] { run += 1 }
            if run >= 14 || run == remaining {
                chunks.append(.runLength(status: statuses[index], length: UInt16(run)))
                index += run
                continue
            }
            let oneBitSpan = min(14, remaining)
            if !statuses[index..<(index + oneBitSpan)].contains(.receivedLargeDelta) {
                var symbols = Array(statuses[index..<(index + oneBitSpan)])
                symbols += [Status](repeating: .notReceived, count: 14 - oneBitSpan)
                chunks.append(.oneBitVector(symbols))
                index += oneBitSpan
            } else if run >= 7 {
                chunks.append(.runLength(status: statuses[index], length: UInt16(run)))
                index += run
            } else {
                let span = min(7, remaining)
                var symbols = Array(statuses[index..<(index + span)])
                symbols += [Status](repeating: .notReceived, count: 7 - span)
                chunks.append(.twoBitVector(symbols))
                index += span
            }
        }
        return chunks
    }

    /// Division rounding toward negative infinity (Swift's `/` truncates toward zero).
    static func floorDivide(_ value: Int64, _ divisor: Int64) -> Int64 {
        let quotient = value / divisor
        return (value % divisor != 0 && (value < 0) != (divisor < 0)) ? quotient - 1 : quotient
    }
}
