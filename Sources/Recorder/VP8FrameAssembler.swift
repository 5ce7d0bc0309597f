import PayloadFormats

/// Rebuilds VP8 frames from in-order RTP payloads (RFC 7741): a frame starts with S=1 and
/// PID=0, runs over consecutive sequence numbers with one timestamp, and ends with the RTP
/// marker bit.
///
/// Frames with a hole are dropped. After loss that may have hit a reference frame the
/// assembler waits for a keyframe and says so once (`keyframeNeeded`) so the caller can send
/// a PLI; it also waits at the start. Loss confined to a non-reference frame (N bit), or to
/// padding between frames whose picture IDs are consecutive, does not need a keyframe.
///
/// The frame buffer is reused, so steady-state assembly does not allocate unless the caller
/// keeps the returned frame's bytes past the next `push`.
public struct VP8FrameAssembler {
    /// A complete frame.
    public struct Frame {
        /// The VP8 frame (descriptors stripped), ready for a decoder or a muxer.
        public var data: [UInt8]
        /// RTP timestamp shared by the frame's packets.
        public var timestamp: UInt32
        /// Extended sequence number of the frame's first packet.
        public var firstSequence: Int64
        /// Whether it is a keyframe (P=0 in the payload header).
        public var isKeyframe: Bool
        /// Dimensions from the keyframe header.
        public var dimensions: VP8KeyframeDimensions?
    }

    /// The result of one `push`.
    public struct Output {
        /// A frame completed by this packet, if any.
        public var frame: Frame?
        /// The assembler just started waiting for a keyframe (send a PLI).
        public var keyframeNeeded = false
    }

    /// Largest frame accepted (bounded memory); bigger ones are dropped as corrupt.
    public let maxFrameSize: Int
    /// Whether frames are being dropped until the next keyframe.
    public private(set) var isWaitingForKeyframe = true
    /// Frames returned.
    public private(set) var framesAssembled = 0
    /// Frames dropped: incomplete, oversized, or not decodable while waiting for a keyframe.
    public private(set) var framesDropped = 0

    private var buffer: [UInt8] = []
    private var inFrame = false
    private var frameTimestamp: UInt32 = 0
    private var frameFirstSequence: Int64 = 0
    private var frameIsKeyframe = false
    private var frameIsNonReference = false
    private var frameDimensions: VP8KeyframeDimensions?
    private var skipTimestamp: UInt32?
    private var lastSequence: Int64?
    private var lastPictureID: UInt16?
    private var lastPictureIDIs15Bit = true
    private var announcedWait = false

    /// Creates an assembler that waits for a keyframe first.
    public init(maxFrameSize: Int = 4 << 20) {
        self.maxFrameSize = maxFrameSize
        buffer.reserveCapacity(64 * 1024)
    }

    /// Feeds the next packet in sequence order. A hole in `sequence` is loss.
    /// Throws `.malformedVP8` for a bad descriptor (the packet then counts as lost).
    public mutating func push(
        payload: UnsafeRawBufferPointer, sequence: Int64, timestamp: UInt32, marker: Bool
    ) throws(RecorderError) -> Output {
        var output = Output()
        let gap = lastSequence.map { sequence != $0 + 1 } ?? false
        lastSequence = sequence
        let descriptor: VP8PayloadDescriptor
        do {
            descriptor = try VP8PayloadDescriptor(parsing: payload)
        } catch {
            if inFrame { dropFrameInProgress() }
            skipTimestamp = timestamp
            enterWait(&output)
            throw .malformedVP8(error)
        }

        if gap {
            // What did the hole take? Picture IDs tell whether whole frames went missing.
            var referenceLost = !isNextPicture(descriptor)
            if inFrame {
                referenceLost = referenceLost || !frameIsNonReference
                let sameFrame = timestamp == frameTimestamp
                dropFrameInProgress()
                if sameFrame {
                    // The hole is inside the frame in progress: skip the rest of it.
                    referenceLost = !frameIsNonReference
                    skipTimestamp = timestamp
                }
            }
            if !descriptor.isFrameStart, skipTimestamp != timestamp {
                // The start of this frame is gone: skip it.
                referenceLost = referenceLost || !descriptor.nonReference
                skipTimestamp = timestamp
                framesDropped += 1
            }
            if referenceLost { enterWait(&output) }
        } else if inFrame, timestamp != frameTimestamp {
            // A new frame began without the marker on the previous one.
            if !frameIsNonReference { enterWait(&output) }
            dropFrameInProgress()
        }

        if skipTimestamp == timestamp { return output }
        skipTimestamp = nil

        if !inFrame {
            guard descriptor.isFrameStart else {
                // A continuation without a start (a stray): skip its frame.
                skipTimestamp = timestamp
                framesDropped += 1
                if !descriptor.nonReference { enterWait(&output) }
                return output
            }
            let frame = UnsafeRawBufferPointer(rebasing: payload[descriptor.headerSize...])
            guard let header = try? VP8PayloadHeader(parsing: frame) else {
                skipTimestamp = timestamp
                framesDropped += 1
                enterWait(&output)
                throw .malformedVP8(.truncated)
            }
            inFrame = true
            buffer.removeAll(keepingCapacity: true)
            frameTimestamp = timestamp
            frameFirstSequence = sequence
            frameIsKeyframe = header.isKeyframe
            frameIsNonReference = descriptor.nonReference
            frameDimensions = header.isKeyframe ? try? VP8KeyframeDimensions(parsingFrame: frame) : nil
        }
        if let pictureID = descriptor.pictureID {
            lastPictureID = pictureID
            lastPictureIDIs15Bit = descriptor.pictureIDIs15Bit
        } else {
            lastPictureID = nil
        }
        if buffer.count + payload.count - descriptor.headerSize > maxFrameSize {
            if !frameIsNonReference { enterWait(&output) }
            dropFrameInProgress()
            skipTimestamp = timestamp
            return output
        }
        buffer.append(contentsOf: UnsafeRawBufferPointer(rebasing: payload[descriptor.headerSize...]))
        if marker {
            inFrame = false
            if frameIsKeyframe {
                isWaitingForKeyframe = false
                announcedWait = false
            }
            if isWaitingForKeyframe {
                framesDropped += 1
                enterWait(&output)
            } else {
                framesAssembled += 1
                output.frame = Frame(data: buffer, timestamp: frameTimestamp, firstSequence: frameFirstSequence,
                                     isKeyframe: frameIsKeyframe, dimensions: frameDimensions)
            }
        }
        return output
    }

    /// Array convenience for `push(payload:sequence:timestamp:marker:)`.
    public mutating func push(payload: [UInt8], sequence: Int64, timestamp: UInt32, marker: Bool) throws(RecorderError) -> Output {
        var copy = self
        let result: Result<Output, RecorderError> = payload.withUnsafeBytes { bytes in
            Result { () throws(RecorderError) in try copy.push(payload: bytes, sequence: sequence, timestamp: timestamp, marker: marker) }
        }
        self = copy
        return try result.get()
    }

    /// Accounts for a padding-only packet (no payload, e.g. a bandwidth probe) so that its
    /// sequence number does not look like loss.
    public mutating func notePadding(sequence: Int64) {
        if let last = lastSequence, sequence == last + 1 { lastSequence = sequence }
    }

    /// Starts over after a stream restart (new SSRC): waits for a keyframe.
    public mutating func reset() {
        if inFrame { dropFrameInProgress() }
        lastSequence = nil
        lastPictureID = nil
        skipTimestamp = nil
        isWaitingForKeyframe = true
        announcedWait = false
    }

    private mutating func dropFrameInProgress() {
        inFrame = false
        framesDropped += 1
    }

    private mutating func enterWait(_ output: inout Output) {
        isWaitingForKeyframe = true
        if !announcedWait {
            announcedWait = true
            output.keyframeNeeded = true
        }
    }

    private func isNextPicture(_ descriptor: VP8PayloadDescriptor) -> Bool {
        guard let last = lastPictureID, let pictureID = descriptor.pictureID else { return false }
        let modulus: UInt16 = lastPictureIDIs15Bit ? 0x8000 : 0x80
        return pictureID == (last &+ 1) % modulus
    }
}
