/// Transport-wide congestion control feedback, PT=205 (RTPFB) FMT=15
/// (draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1).
///
///     |V=2|P|  FMT=15 |    PT=205     |           length              |
///     |                     SSRC of packet sender                     |
///     |                      SSRC of media source                     |
///     |      base sequence number     |      packet status count      |
///     |                 reference time                | fb pkt. count |
///     |          packet chunk         |         packet chunk          |  ...
///     |         packet chunk          |  recv delta   |  recv delta   |  ...
///
/// The stored fields mirror the wire exactly (chunks and deltas as sent), so a parsed
/// packet re-serializes to the same octets apart from padding. Use `packetResults()` for
/// the per-packet view and `init(senderSSRC:mediaSSRC:feedbackPacketCount:arrivals:)`
/// (in TransportWideFeedbackBuilder.swift) to build one from arrival times.
public struct TransportWideFeedback: Sendable, Equatable {
    /// Statuses accepted per feedback. Bounds allocation when a hostile packet claims
    /// 65535 statuses with a handful of run-length chunks.
    public static let maxPacketStatusCount = 32768
    /// Receive deltas tick in 250 µs units (section 3.1.5).
    public static let deltaTickMicroseconds: Int64 = 250
    /// Reference time ticks in 64 ms units (section 3.1).
    public static let referenceTimeTickMicroseconds: Int64 = 64_000

    /// Packet status symbols (section 3.1.1). The fourth value (11) is reserved.
    public enum Status: UInt8, Sendable, Equatable {
        /// 00: not received.
        case notReceived = 0
        /// 01: received, with a one-octet delta (0...63.75 ms).
        case receivedSmallDelta = 1
        /// 10: received, with a two-octet signed delta.
        case receivedLargeDelta = 2

        var isReceived: Bool { self != .notReceived }
    }

    /// One 16-bit packet status chunk (sections 3.1.3 and 3.1.4).
    public enum Chunk: Sendable, Equatable {
        /// T=0: `length` (0...8191) consecutive packets share `status`.
        case runLength(status: Status, length: UInt16)
        /// T=1 S=0: exactly 14 one-bit symbols, each `.notReceived` or `.receivedSmallDelta`.
        case oneBitVector([Status])
        /// T=1 S=1: exactly 7 two-bit symbols.
        case twoBitVector([Status])

        /// How many statuses this chunk describes.
        var capacity: Int {
            switch self {
            case .runLength(_, let length): Int(length)
            case .oneBitVector: 14
            case .twoBitVector: 7
            }
        }

        /// The status at `index` (< capacity).
        func status(at index: Int) -> Status {
            switch self {
            case .runLength(let status, _): status
            case .oneBitVector(let symbols), .twoBitVector(let symbols):
                index < symbols.count ? symbols[index] : .notReceived
            }
        }
    }

    /// The decoded view of one packet's feedback.
    public struct PacketResult: Sendable, Equatable {
        /// Transport-wide sequence number.
        public var sequenceNumber: UInt16
        /// Status as reported.
        public var status: Status
        /// Delta to the previous received packet (or to the reference time for the first),
        /// in microseconds; nil if not received.
        public var receiveDelta: Int64?
        /// Arrival time in microseconds on the receiver's clock: reference time plus the
        /// running sum of deltas; nil if not received.
        public var arrivalTime: Int64?

        /// Creates a result.
        public init(sequenceNumber: UInt16, status: Status, receiveDelta: Int64?, arrivalTime: Int64?) {
            self.sequenceNumber = sequenceNumber
            self.status = status
            self.receiveDelta = receiveDelta
            self.arrivalTime = arrivalTime
        }
    }

    /// SSRC of the feedback's sender.
    public var senderSSRC: UInt32
    /// SSRC of the media source (libwebrtc sends the first media SSRC; receivers ignore it).
    public var mediaSSRC: UInt32
    /// Transport-wide sequence number of the first packet described.
    public var baseSequenceNumber: UInt16
    /// Number of packets described (1...maxPacketStatusCount).
    public var packetStatusCount: UInt16
    /// Signed 24-bit reference time in 64 ms units.
    public var referenceTime: Int32
    /// Feedback packet sequence number, so the sender can detect lost feedback.
    public var feedbackPacketCount: UInt8
    /// Status chunks covering at least `packetStatusCount` statuses.
    public var chunks: [Chunk]
    /// One delta per received packet, in 250 µs ticks.
    public var receiveDeltas: [Int16]

    /// Creates feedback from raw fields; `packetResults()` and serialization validate them.
    public init(
        senderSSRC: UInt32, mediaSSRC: UInt32, baseSequenceNumber: UInt16,
        packetStatusCount: UInt16, referenceTime: Int32, feedbackPacketCount: UInt8,
        chunks: [Chunk], receiveDeltas: [Int16]
    ) {
        self.senderSSRC = senderSSRC
        self.mediaSSRC = mediaSSRC
        self.baseSequenceNumber = baseSequenceNumber
        self.packetStatusCount = packetStatusCount
        self.referenceTime = referenceTime
        self.feedbackPacketCount = feedbackPacketCount
        self.chunks = chunks
        self.receiveDeltas = receiveDeltas
    }

    /// Expands chunks and deltas into one result per described packet, in sequence order.
    /// Throws if the chunks cover too few statuses or deltas are missing.
    public func packetResults() throws(RTCPError) -> [PacketResult] {
        let count = Int(packetStatusCount)
        guard count >= 1, count <= Self.maxPacketStatusCount else { throw .invalidValue }
        var results: [PacketResult] = []
        results.reserveCapacity(count)
        var deltaIndex = 0
        var time = Int64(referenceTime) * Self.referenceTimeTickMicroseconds
        for chunk in chunks where results.count < count {
            let used = min(chunk.capacity, count - results.count)
            for index in 0..<used {
                let status = chunk.status(at: index)
                let sequence = baseSequenceNumber &+ UInt16(truncatingIfNeeded: results.count)
                guard status.isReceived else {
                    results.append(PacketResult(sequenceNumber: sequence, status: status,
                                                receiveDelta: nil, arrivalTime: nil))
                    continue
                }
                guard deltaIndex < receiveDeltas.count else { throw .inconsistentLength }
                let delta = Int64(receiveDeltas[deltaIndex]) * Self.deltaTickMicroseconds
                deltaIndex += 1
                time += delta
                results.append(PacketResult(sequenceNumber: sequence, status: status,
                                            receiveDelta: delta, arrivalTime: time))
            }
        }
        guard results.count == count, deltaIndex == receiveDeltas.count else { throw .inconsistentLength }
        return results
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        senderSSRC = try reader.readUInt32()
        mediaSSRC = try reader.readUInt32()
        baseSequenceNumber = try reader.readUInt16()
        packetStatusCount = try reader.readUInt16()
        let reference = try reader.readUInt24()
        referenceTime = Int32(bitPattern: reference << 8) >> 8
        feedbackPacketCount = try reader.readUInt8()

        let count = Int(packetStatusCount)
        // libwebrtc also rejects empty feedback; it carries no information.
        guard count >= 1 else { throw .invalidValue }
        guard count <= Self.maxPacketStatusCount else { throw .limitExceeded }

        // Chunks: read until they cover `count` statuses, tallying the delta sizes needed.
        var chunks: [Chunk] = []
        var covered = 0
        var deltaSizes: [UInt8] = []
        deltaSizes.reserveCapacity(min(count, reader.remaining))
        while covered < count {
            let chunk = try Self.decodeChunk(try reader.readUInt16())
            let used = min(chunk.capacity, count - covered)
            for index in 0..<used {
                switch chunk.status(at: index) {
                case .notReceived: break
                case .receivedSmallDelta: deltaSizes.append(1)
                case .receivedLargeDelta: deltaSizes.append(2)
                }
            }
            covered += chunk.capacity
            chunks.append(chunk)
        }

        var deltas: [Int16] = []
        deltas.reserveCapacity(deltaSizes.count)
        for size in deltaSizes {
            if size == 1 {
                deltas.append(Int16(try reader.readUInt8()))
            } else {
                deltas.append(Int16(bitPattern: try reader.readUInt16()))
            }
        }
        // Up to three octets of zero padding may remain when a sender pads without the P bit.
        guard reader.remaining < 4 else { throw .inconsistentLength }
        self.chunks = chunks
        self.receiveDeltas = deltas
    }

    static func decodeChunk(_ raw: UInt16) throws(RTCPError) -> Chunk {
        func symbol(_ value: UInt16) throws(RTCPError) -> Status {
            guard let status = Status(rawValue: UInt8(truncatingIfNeeded: value)) else { throw .invalidValue }
            return status
        }
        if raw & 0x8000 == 0 {
            return .runLength(status: try symbol((raw >> 13) & 0x3), length: raw & 0x1FFF)
        }
        if raw & 0x4000 == 0 {
            var symbols: [Status] = []
            symbols.reserveCapacity(14)
            for index in 0..<14 { symbols.append(try symbol((raw >> (13 - index)) & 0x1)) }
            return .oneBitVector(symbols)
        }
        var symbols: [Status] = []
        symbols.reserveCapacity(7)
        for index in 0..<7 { symbols.append(try symbol((raw >> (12 - 2 * index)) & 0x3)) }
        return .twoBitVector(symbols)
    }

    static func encodeChunk(_ chunk: Chunk) throws(RTCPError) -> UInt16 {
        switch chunk {
        case .runLength(let status, let length):
            guard length <= 0x1FFF else { throw .unencodable }
            return UInt16(status.rawValue) << 13 | length
        case .oneBitVector(let symbols):
            guard symbols.count == 14 else { throw .unencodable }
            var raw: UInt16 = 0x8000
            for (index, status) in symbols.enumerated() {
                guard status != .receivedLargeDelta else { throw .unencodable }
                raw |= UInt16(status.rawValue) << (13 - index)
            }
            return raw
        case .twoBitVector(let symbols):
            guard symbols.count == 7 else { throw .unencodable }
            var raw: UInt16 = 0xC000
            for (index, status) in symbols.enumerated() {
                raw |= UInt16(status.rawValue) << (12 - 2 * index)
            }
            return raw
        }
    }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        // Validate the chunk/delta agreement (and the delta sizes) before writing anything.
        let results = try packetResults()
        // A chunk after the status count is covered would be read back as delta octets.
        var covered = 0
        for chunk in chunks {
            guard covered < Int(packetStatusCount) else { throw .unencodable }
            covered += chunk.capacity
        }
        guard (-0x80_0000...0x7F_FFFF).contains(referenceTime) else { throw .unencodable }
        out.appendUInt32(senderSSRC)
        out.appendUInt32(mediaSSRC)
        out.appendUInt16(baseSequenceNumber)
        out.appendUInt16(packetStatusCount)
        out.appendUInt24(UInt32(bitPattern: referenceTime) & 0xFF_FFFF)
        out.append(feedbackPacketCount)
        for chunk in chunks { out.appendUInt16(try Self.encodeChunk(chunk)) }
        var deltaIndex = 0
        for result in results where result.status.isReceived {
            let delta = receiveDeltas[deltaIndex]
            deltaIndex += 1
            if result.status == .receivedSmallDelta {
                guard (0...255).contains(delta) else { throw .unencodable }
                out.append(UInt8(delta))
            } else {
                out.appendUInt16(UInt16(bitPattern: delta))
            }
        }
        // Padding to 32 bits is added by the packet writer with the P bit set.
    }
}
