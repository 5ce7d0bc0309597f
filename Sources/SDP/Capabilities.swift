// What the SFU supports, as used to pick codecs out of an offer. The SFU forwards media
// without transcoding, so "supported" means "we can packetize/forward and parse it".

/// Something the SFU streams that must be negotiated with an offerer's codec.
public struct CodecCapability: Sendable {
    public var name: String
    public var clockRate: UInt32
    /// nil means 1 (RFC 8866 §6.6); opus is always `/2` (RFC 7587 §7).
    public var channels: UInt16?
    /// Format-defining parameters used for matching: for H.264 `profile-level-id` and
    /// `packetization-mode`, for VP9 `profile-id`, for AV1 `profile` (see `Codec.hasSameFormat`).
    public var parameters: [SDPParameter]
    /// Feedback we implement for this codec; the answer keeps the intersection with the offer.
    public var feedback: [RTCPFeedback]
    /// Accept RTX (RFC 4588) for this codec when offered.
    public var allowsRTX: Bool
    /// Extra acceptance test on the offered codec, after the standard matching.
    public var accepts: (@Sendable (Codec) -> Bool)?

    public init(name: String, clockRate: UInt32, channels: UInt16? = nil, parameters: [SDPParameter] = [],
                feedback: [RTCPFeedback] = [], allowsRTX: Bool = false, accepts: (@Sendable (Codec) -> Bool)? = nil) {
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        self.feedback = feedback
        self.allowsRTX = allowsRTX
        self.accepts = accepts
    }

    /// Name (case-insensitive), clock rate, channels, then the codec-specific format rules.
    public func matches(_ offered: Codec) -> Bool {
        let me = Codec(payloadType: 0, name: name, clockRate: clockRate, channels: channels, parameters: parameters)
        return me.hasSameFormat(as: offered) && (accepts?(offered) ?? true)
    }

    static func fb(_ type: String, _ parameter: String? = nil) -> RTCPFeedback {
        RTCPFeedback(payloadType: nil, type: type, parameter: parameter)
    }

    /// NACK/PLI/FIR for loss repair and keyframes, REMB and transport-cc for bandwidth estimation.
    public static let videoFeedback: [RTCPFeedback] = [
        fb("goog-remb"), fb("transport-cc"), fb("ccm", "fir"), fb("nack"), fb("nack", "pli"),
    ]

    public static let opus = CodecCapability(name: "opus", clockRate: 48000, channels: 2, feedback: [fb("transport-cc")])
    /// RED for opus (RFC 2198), kept only if its encapsulated codec is kept.
    public static let audioRED = CodecCapability(name: "red", clockRate: 48000, channels: 2)
    public static let vp8 = CodecCapability(name: "VP8", clockRate: 90000, feedback: videoFeedback, allowsRTX: true)
    public static let vp9 = CodecCapability(name: "VP9", clockRate: 90000, parameters: [SDPParameter("profile-id", "0")],
                                            feedback: videoFeedback, allowsRTX: true)
    public static let av1 = CodecCapability(name: "AV1", clockRate: 90000, feedback: videoFeedback, allowsRTX: true)

    /// H.264 of one profile and packetization mode (RFC 6184 §8.1); level is not compared.
    public static func h264(profileLevelID: String = "42e01f", packetizationMode: Int = 1) -> CodecCapability {
        CodecCapability(name: "H264", clockRate: 90000,
                        parameters: [SDPParameter("packetization-mode", "\(packetizationMode)"),
                                     SDPParameter("profile-level-id", profileLevelID)],
                        feedback: videoFeedback, allowsRTX: true)
    }
}

/// The media the server sends in one m-section: RFC 5576 source attributes plus RFC 8830 msid.
public struct SendStream: Hashable, Sendable {
    public var ssrc: UInt32
    /// RTX SSRC, signalled with `a=ssrc-group:FID <ssrc> <rtx>` (RFC 4588 §8.1) when RTX is negotiated.
    public var rtxSSRC: UInt32?
    public var cname: String
    public var streamID: String
    public var trackID: String

    public init(ssrc: UInt32, rtxSSRC: UInt32? = nil, cname: String, streamID: String, trackID: String) {
        self.ssrc = ssrc
        self.rtxSSRC = rtxSSRC
        self.cname = cname
        self.streamID = streamID
        self.trackID = trackID
    }
}

/// How the answerer picks its direction for each offered m-section. Whatever is chosen is then
/// clamped to what the offer permits (RFC 3264 §6.1: we may only send if the peer receives).
public enum DirectionPolicy: Sendable {
    /// sendonly → recvonly, recvonly → sendonly, sendrecv → sendrecv, inactive → inactive.
    case mirror
    /// Never send (a publisher connection): sendrecv/sendonly → recvonly, recvonly → inactive.
    case receiveOnly
    /// Caller decides per section (e.g. from the transceiver the signalling layer created).
    case custom(@Sendable (MediaDescription) -> Direction)

    func resolve(_ offered: MediaDescription) -> Direction {
        let allowed = offered.direction.reversed
        switch self {
        case .mirror: return allowed
        case .receiveOnly: return allowed.intersection(.recvonly)
        case .custom(let f): return f(offered).intersection(allowed)
        }
    }
}
