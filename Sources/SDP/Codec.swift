// A codec as negotiated in an RTP m-section: rtpmap + fmtp + rtcp-fb for one payload type,
// plus the codec-specific "same format" rules used when matching offers to capabilities.

public struct Codec: Hashable, Sendable {
    public var payloadType: UInt8
    /// Encoding name as written by the peer (`opus`, `VP8`, `H264`, `rtx`, `red`, ...).
    public var name: String
    public var clockRate: UInt32
    public var channels: UInt16?
    public var parameters: [SDPParameter]
    /// Feedback lines with `payloadType` set to this codec's payload type.
    public var feedback: [RTCPFeedback]

    public init(payloadType: UInt8, name: String, clockRate: UInt32, channels: UInt16? = nil,
                parameters: [SDPParameter] = [], feedback: [RTCPFeedback] = []) {
        self.payloadType = payloadType
        self.name = name
        self.clockRate = clockRate
        self.channels = channels
        self.parameters = parameters
        var seen: [RTCPFeedback] = []
        for f in feedback where !seen.contains(where: { $0.sameMechanism(as: f) }) {
            seen.append(RTCPFeedback(payloadType: payloadType, type: f.type, parameter: f.parameter))
        }
        self.feedback = seen
    }

    /// An RTX codec for `primary` (RFC 4588 §8.6): `rtx/<clock>` with `apt=<primary pt>`.
    public static func rtx(payloadType: UInt8, primary: UInt8, clockRate: UInt32 = 90000) -> Codec {
        Codec(payloadType: payloadType, name: "rtx", clockRate: clockRate, parameters: [SDPParameter("apt", "\(primary)")])
    }

    public var isRTX: Bool { name.lowercased() == "rtx" }
    public var isRED: Bool { name.lowercased() == "red" }
    public var isFEC: Bool { ["ulpfec", "flexfec-03", "flexfec"].contains(name.lowercased()) }

    /// The primary payload type an RTX codec repairs (`apt`, RFC 4588 §8.6).
    public var associatedPayloadType: UInt8? {
        parameters["apt"].flatMap { Scan.decimal($0, as: UInt8.self) }
    }

    /// Payload types a RED codec encapsulates (`a=fmtp:63 111/111`, RFC 2198 §5).
    public var redundantPayloadTypes: [UInt8] {
        guard isRED, let first = parameters.first, first.value == nil else { return [] }
        return first.key.split(separator: "/").compactMap { Scan.decimal($0, as: UInt8.self) }
    }

    var rtpMap: RTPMap { RTPMap(payloadType: payloadType, encodingName: name, clockRate: clockRate, channels: channels) }

    /// Static RTP/AVP payload types that may appear without rtpmap (RFC 3551 §6, Table 4).
    static let staticPayloadTypes: [UInt8: RTPMap] = [
        0: RTPMap(payloadType: 0, encodingName: "PCMU", clockRate: 8000),
        8: RTPMap(payloadType: 8, encodingName: "PCMA", clockRate: 8000),
        9: RTPMap(payloadType: 9, encodingName: "G722", clockRate: 8000),
        13: RTPMap(payloadType: 13, encodingName: "CN", clockRate: 8000),
    ]
}

// MARK: - H.264 profile comparison

/// H.264 profiles as libwebrtc groups profile-level-id values (its `h264_profile_level_id.cc`):
/// the profile is `profile_idc` plus the constraint flags in `profile-iop` (RFC 6184 §8.1),
/// so `42e01f` (Constrained Baseline) and `42001f` (Baseline) are different formats.
public enum H264Profile: Hashable, Sendable {
    case constrainedBaseline, baseline, main, constrainedHigh, high, predictiveHigh444

    /// (profile_idc, mask, value) on the profile-iop byte; first match wins.
    private static let table: [(UInt8, UInt8, UInt8, H264Profile)] = [
        (0x42, 0b0100_1111, 0b0100_0000, .constrainedBaseline),
        (0x4D, 0b1000_1111, 0b1000_0000, .constrainedBaseline),
        (0x58, 0b1100_1111, 0b1100_0000, .constrainedBaseline),
        (0x42, 0b0100_1111, 0b0000_0000, .baseline),
        (0x58, 0b1100_1111, 0b1000_0000, .baseline),
        (0x4D, 0b1010_1111, 0b0000_0000, .main),
        (0x64, 0b1111_1111, 0b0000_0000, .high),
        (0x64, 0b1111_1111, 0b0000_1100, .constrainedHigh),
        (0xF4, 0b1111_1111, 0b0000_0000, .predictiveHigh444),
    ]

    /// Parses the 6-hex-digit profile-level-id. Absent means Constrained Baseline, as libwebrtc
    /// assumes (RFC 6184 §8.1 says Baseline 42000a; no WebRTC stack relies on that default).
    public init?(profileLevelID: String?) {
        guard let s = profileLevelID else { self = .constrainedBaseline; return }
        guard s.utf8.count == 6, let v = UInt32(s, radix: 16) else { return nil }
        let idc = UInt8(v >> 16), iop = UInt8((v >> 8) & 0xFF)
        guard let row = Self.table.first(where: { $0.0 == idc && iop & $0.1 == $0.2 }) else { return nil }
        self = row.3
    }
}

extension Codec {
    /// RFC 6184 §8.2.2 / libwebrtc: same packetization-mode (default 0) and same profile.
    /// Levels may differ (level-asymmetry-allowed is what every WebRTC stack offers).
    static func sameH264Format(_ a: [SDPParameter], _ b: [SDPParameter]) -> Bool {
        guard (a["packetization-mode"] ?? "0") == (b["packetization-mode"] ?? "0"),
              let pa = H264Profile(profileLevelID: a["profile-level-id"]),
              let pb = H264Profile(profileLevelID: b["profile-level-id"]) else { return false }
        return pa == pb
    }

    /// Format-specific identity beyond name/clock/channels: H.264 profile + packetization mode,
    /// VP9 `profile-id` (draft-ietf-payload-vp9 §6) and AV1 `profile` (AV1 RTP spec §7.2), both default 0.
    public func hasSameFormat(as other: Codec) -> Bool {
        guard name.lowercased() == other.name.lowercased(), clockRate == other.clockRate,
              (channels ?? 1) == (other.channels ?? 1) else { return false }
        switch name.lowercased() {
        case "h264": return Self.sameH264Format(parameters, other.parameters)
        case "vp9": return (parameters["profile-id"] ?? "0") == (other.parameters["profile-id"] ?? "0")
        case "av1": return (parameters["profile"] ?? "0") == (other.parameters["profile"] ?? "0")
        default: return true
        }
    }
}
