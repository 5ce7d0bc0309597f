import SFU

/// The media-thread end of a recording: copies one track's packets into the recording's ring.
///
/// Mute: while the track is muted its packets are not queued, so nothing the publisher sends
/// while muted reaches the file (the same as for subscribers). The timeline stays right
/// because the recorder places media by RTP timestamp: audio resumes after the muted span
/// (Ogg: the gap is filled with silence), video holds its last frame and restarts at the
/// keyframe the producer requests on unmute.
///
/// Ownership: called on the media loop thread only (see `RecordingTap`).
final class RingTap: RecordingTap, @unchecked Sendable {
    let ring: PacketRing
    /// The recording's track this tap feeds (`RecordingLane`).
    let lane: UInt8

    init(ring: PacketRing, lane: UInt8) {
        self.ring = ring
        self.lane = lane
    }

    func rtp(_ packet: UnsafeRawBufferPointer, arrival: Int64, muted: Bool) {
        guard !muted else { return }
        ring.pushRTP(packet, lane: lane, arrival: arrival)
    }

    func senderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32, arrival: Int64) {
        ring.pushSenderReport(ssrc: ssrc, ntp: ntp, rtp: rtp, lane: lane, arrival: arrival)
    }
}

/// Lanes of a recording's ring: which recorder track an entry goes to.
enum RecordingLane {
    static let audio: UInt8 = 0
    static let video: UInt8 = 1
}
