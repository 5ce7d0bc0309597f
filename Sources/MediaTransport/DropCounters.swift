/// Why a received datagram was dropped. Counted per reason, never logged per packet.
public enum DropReason: Int, CaseIterable, Sendable, CustomStringConvertible {
    case unknownFirstByte
    case truncated
    case stunMalformed
    case stunUnknownUfrag
    case stunRejected
    case stunNotRequest
    case dtlsUnknownAddress
    case srtpUnknownAddress
    case srtpNotReady
    case srtpAuthenticationFailed
    case srtpReplayed
    case srtpMalformed
    case closedTransport

    public var description: String {
        switch self {
        case .unknownFirstByte: "unknown_first_byte"
        case .truncated: "truncated"
        case .stunMalformed: "stun_malformed"
        case .stunUnknownUfrag: "stun_unknown_ufrag"
        case .stunRejected: "stun_rejected"
        case .stunNotRequest: "stun_not_request"
        case .dtlsUnknownAddress: "dtls_unknown_address"
        case .srtpUnknownAddress: "srtp_unknown_address"
        case .srtpNotReady: "srtp_not_ready"
        case .srtpAuthenticationFailed: "srtp_auth_failed"
        case .srtpReplayed: "srtp_replayed"
        case .srtpMalformed: "srtp_malformed"
        case .closedTransport: "closed_transport"
        }
    }
}

/// Drop counts by reason. Written on the media loop only; copies are published for readers.
public struct DropCounters: Sendable, Equatable {
    private var counts = [Int](repeating: 0, count: DropReason.allCases.count)

    public init() {}

    public subscript(reason: DropReason) -> Int { counts[reason.rawValue] }

    mutating func count(_ reason: DropReason) { counts[reason.rawValue] &+= 1 }

    public var total: Int { counts.reduce(0, +) }
}

/// RFC 7983 §7: the first byte of a datagram on a shared WebRTC port tells the protocol.
enum DatagramKind {
    case stun, dtls, srtp, unknown

    @inline(__always)
    init(firstByte b: UInt8) {
        switch b {
        case 0...3: self = .stun
        case 20...63: self = .dtls
        case 128...191: self = .srtp
        default: self = .unknown
        }
    }
}

/// RFC 5761 §4: with rtcp-mux, RTCP packet types 192...223 occupy the "payload type" byte range
/// that RTP never uses (64...95 once the marker bit is masked).
@inline(__always)
func isRTCP(secondByte: UInt8) -> Bool { (192...223).contains(secondByte) }
