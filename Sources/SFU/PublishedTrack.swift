import LiveKitProtocol
import SDP

/// A track a participant published: what LiveKit's TrackInfo says about it, plus what the
/// publisher's SDP negotiated for it (mid, codec, SSRCs) once its offer arrived.
struct PublishedTrack {
    var info: Livekit_TrackInfo
    /// The client's id for the track (AddTrackRequest.cid), which its SDP uses as msid track id.
    let clientID: String
    var mid: String?
    /// Negotiated codecs from the publisher's answer (primary first, then RTX etc.).
    var codecs: [Codec] = []
    var extensions: [ExtMap] = []
    var ssrcs: [UInt32] = []
    /// Its media-loop side, once negotiated.
    var producer: Producer?

    var sid: String { info.sid }
    var kind: Livekit_TrackType { info.type }
    /// Published = the publisher's SDP carries it (before that, it is only requested).
    var isNegotiated: Bool { mid != nil }
}
