/// Receives a track's media on the media loop thread, for a server-side recording.
///
/// A `Producer` calls its taps for every primary RTP packet it accepts for forwarding (the
/// active simulcast layer, RTX already unwrapped), before mute gating, and for the publisher's
/// sender reports of that stream. The calls are on the forwarding path: an implementation
/// must return at once without locking, allocating, logging or doing I/O; it copies what it
/// needs into memory it owns and hands it to another thread.
///
/// Ownership: the media loop thread calls it; it is added and removed there too.
public protocol RecordingTap: AnyObject, Sendable {
    /// One RTP packet (decrypted; valid only during the call) that arrived at `arrival`
    /// (monotonic nanoseconds, the media loop's clock). `muted`: the track is muted now,
    /// so subscribers do not get it either.
    func rtp(_ packet: UnsafeRawBufferPointer, arrival: Int64, muted: Bool)

    /// An RTCP sender report for the stream the taps receive (RFC 3550 section 6.4.1): the
    /// NTP time and RTP timestamp of one instant, received at `arrival`.
    func senderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32, arrival: Int64)
}
