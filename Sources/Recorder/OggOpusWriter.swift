import PayloadFormats

/// Writes an Ogg Opus file (RFC 7845 over RFC 3533) from Opus packets placed on a 48 kHz
/// timeline.
///
/// - The first page holds OpusHead (beginning-of-stream), the second OpusTags; audio starts
///   on a fresh page, as RFC 7845 section 3 requires.
/// - A page's granule position is the pre-skip plus the samples up to the end of the last
///   packet completed on it (section 4).
/// - A page is written once it holds `maxPacketsPerPage` packets or `maxPageDuration`
///   samples, so a crash loses at most that much audio; the last page has end-of-stream.
/// - Gaps in the timeline (mute, DTX, loss) are filled with silent Opus packets
///   (``OpusSilence``), so granule positions and packet durations always agree and the file
///   is as long as the time it covers. Packets that end before the timeline are dropped.
///
/// Single owner: one recording's writer uses it; not thread-safe.
public final class OggOpusWriter {
    /// Settings.
    public struct Configuration: Sendable {
        /// The identification header (channels, pre-skip).
        public var head: OpusHead
        /// The comment header.
        public var tags: OpusTags
        /// The logical stream serial number (random per file is conventional).
        public var serial: UInt32
        /// Write a page after this many packets (50 = 1 s of 20 ms packets).
        public var maxPacketsPerPage: Int
        /// Write a page once it spans this many samples (48 000 = 1 s).
        public var maxPageDuration: Int
        /// Fill timeline gaps with silence (otherwise later packets are written back to back).
        public var fillGaps: Bool

        /// Creates a configuration.
        public init(head: OpusHead, tags: OpusTags = OpusTags(), serial: UInt32 = 0x5357_4244,
                    maxPacketsPerPage: Int = 50, maxPageDuration: Int = 48_000, fillGaps: Bool = true) {
            self.head = head
            self.tags = tags
            self.serial = serial
            self.maxPacketsPerPage = max(1, min(maxPacketsPerPage, 255))
            self.maxPageDuration = max(120, maxPageDuration)
            self.fillGaps = fillGaps
        }
    }

    /// What happened to a packet given to `write`.
    public enum WriteResult: Sendable, Equatable {
        /// Written, after `silenceInserted` samples of gap filling (0 for none).
        case written(silenceInserted: Int)
        /// Dropped: it ends before the current end of the timeline (late or duplicate).
        case droppedLate
    }

    public let configuration: Configuration
    /// End of the written timeline in 48 kHz samples, excluding the pre-skip.
    public private(set) var duration: Int64 = 0
    /// Opus packets from the caller that were written.
    public private(set) var packetsWritten = 0
    /// Samples of silence inserted for gaps.
    public private(set) var silenceSamples: Int64 = 0
    /// Packets dropped as late.
    public private(set) var packetsDroppedLate = 0

    private let sink: any RecordingSink
    private var pages: OggPageWriter
    private var pageStart: Int64 = 0
    private var scratch: [UInt8] = []
    private var isFinished = false

    /// Creates the writer and writes the two header pages.
    public init(sink: any RecordingSink, configuration: Configuration) throws(RecorderError) {
        self.sink = sink
        self.configuration = configuration
        pages = OggPageWriter(serial: configuration.serial)
        scratch.reserveCapacity(32)
        try withBytes(configuration.head.serialized()) { bytes throws(RecorderError) in
            try pages.append(packet: bytes, granule: 0, to: sink)
        }
        try pages.flush(to: sink)
        try withBytes(configuration.tags.serialized()) { bytes throws(RecorderError) in
            try pages.append(packet: bytes, granule: 0, to: sink)
        }
        try pages.flush(to: sink)
    }

    /// Writes one Opus packet. `sampleTime` is where it starts on the file's timeline, in
    /// 48 kHz samples from the start of the file (nil: right after the previous packet).
    /// Throws `.malformedOpus` for a packet that violates RFC 6716 section 3.4.
    @discardableResult
    public func write(packet: UnsafeRawBufferPointer, at sampleTime: Int64? = nil) throws(RecorderError) -> WriteResult {
        guard !isFinished else { throw .finished }
        guard let packetDuration = OpusTOC.packetDuration(of: packet) else { throw .malformedOpus }
        var inserted = 0
        if let sampleTime {
            let gap = sampleTime - duration
            if gap <= -Int64(max(packetDuration, 1)) {
                packetsDroppedLate += 1
                return .droppedLate
            }
            if gap >= Int64(OpusSilence.granularity), configuration.fillGaps {
                inserted = try insertSilence(Int(min(gap, Int64(Int32.max))), stereo: packet[0] & 0x04 != 0)
            }
        }
        try appendPacket(packet, duration: packetDuration)
        packetsWritten += 1
        return .written(silenceInserted: inserted)
    }

    /// Array convenience for `write(packet:at:)`.
    @discardableResult
    public func write(packet: [UInt8], at sampleTime: Int64? = nil) throws(RecorderError) -> WriteResult {
        try withBytes(packet) { bytes throws(RecorderError) in try write(packet: bytes, at: sampleTime) }
    }

    /// Extends the timeline with silence up to `sampleTime` (e.g. while a track is muted), so
    /// a recording that ends in silence still has its full length.
    public func extend(to sampleTime: Int64, stereo: Bool? = nil) throws(RecorderError) {
        guard !isFinished else { throw .finished }
        let gap = sampleTime - duration
        guard gap >= Int64(OpusSilence.granularity) else { return }
        _ = try insertSilence(Int(min(gap, Int64(Int32.max))), stereo: stereo ?? (configuration.head.channels == 2))
    }

    /// Writes the pending page now (e.g. from a timer while the sender is in DTX), so it
    /// survives a crash.
    public func flush() throws(RecorderError) {
        guard !isFinished else { throw .finished }
        try pages.flush(to: sink)
        pageStart = duration
    }

    /// Writes the last page with end-of-stream and syncs the sink. Returns the duration in
    /// 48 kHz samples (without pre-skip).
    @discardableResult
    public func finish() throws(RecorderError) -> Int64 {
        guard !isFinished else { throw .finished }
        isFinished = true
        try pages.flush(flags: .endOfStream, to: sink)
        try sink.sync()
        return duration
    }

    private func insertSilence(_ samples: Int, stereo: Bool) throws(RecorderError) -> Int {
        var localScratch = scratch
        scratch = []
        defer { scratch = localScratch }
        let covered = try OpusSilence.packets(covering: samples, stereo: stereo, scratch: &localScratch) {
            (bytes, packetDuration) throws(RecorderError) in
            try appendPacket(bytes, duration: packetDuration)
        }
        silenceSamples += Int64(covered)
        return covered
    }

    private func appendPacket(_ packet: UnsafeRawBufferPointer, duration packetDuration: Int) throws(RecorderError) {
        if pages.packetsOnPage >= configuration.maxPacketsPerPage
            || (pages.hasPendingData && duration - pageStart >= Int64(configuration.maxPageDuration)) {
            try pages.flush(to: sink)
        }
        if !pages.hasPendingData { pageStart = duration }
        duration += Int64(packetDuration)
        try pages.append(packet: packet, granule: duration + Int64(configuration.head.preSkip), to: sink)
    }
}
