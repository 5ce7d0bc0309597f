/// Extended Report, PT=207 (RFC 3611). Only the blocks that give a receiver-only endpoint its
/// round-trip time are decoded: Receiver Reference Time (BT=4, §4.4) and DLRR (BT=5, §4.5);
/// other blocks are kept as raw octets.
///
///     |V=2|P|reserved |   PT=XR=207   |             length            |
///     |                              SSRC                             |
///     :                         report blocks                         :
///     block: |  BT  | type-specific |  block length (words - 1)  | contents...
public struct ExtendedReport: Sendable, Equatable {
    public enum Block: Sendable, Equatable {
        /// BT=4: the sender's NTP time when it sent this report.
        case receiverReferenceTime(ntpTimestamp: UInt64)
        /// BT=5: per receiver SSRC, the middle 32 bits of its last RRTR (LRR) and the delay since
        /// it arrived (DLRR, 1/65536 s).
        case dlrr([DLRRItem])
        case other(blockType: UInt8, typeSpecific: UInt8, contents: [UInt8])
    }

    public struct DLRRItem: Sendable, Equatable {
        public var ssrc: UInt32
        public var lastReceiverReport: UInt32
        public var delaySinceLastReceiverReport: UInt32

        public init(ssrc: UInt32, lastReceiverReport: UInt32, delaySinceLastReceiverReport: UInt32) {
            self.ssrc = ssrc
            self.lastReceiverReport = lastReceiverReport
            self.delaySinceLastReceiverReport = delaySinceLastReceiverReport
        }
    }

    /// More blocks than this in one packet is treated as hostile.
    public static let maxBlocks = 64

    public var ssrc: UInt32
    public var blocks: [Block]

    public init(ssrc: UInt32, blocks: [Block]) {
        self.ssrc = ssrc
        self.blocks = blocks
    }

    init(body: ArraySlice<UInt8>) throws(RTCPError) {
        var reader = ByteReader(body)
        ssrc = try reader.readUInt32()
        blocks = []
        while reader.remaining > 0 {
            guard blocks.count < Self.maxBlocks else { throw .limitExceeded }
            let blockType = try reader.readUInt8()
            let typeSpecific = try reader.readUInt8()
            let length = Int(try reader.readUInt16()) * 4
            var contents = ByteReader(try reader.readBytes(length))
            switch blockType {
            case 4:
                guard length == 8 else { throw .inconsistentLength }
                blocks.append(.receiverReferenceTime(ntpTimestamp: try contents.readUInt64()))
            case 5:
                guard length % 12 == 0 else { throw .inconsistentLength }
                var items: [DLRRItem] = []
                while contents.remaining > 0 {
                    items.append(DLRRItem(ssrc: try contents.readUInt32(), lastReceiverReport: try contents.readUInt32(),
                                          delaySinceLastReceiverReport: try contents.readUInt32()))
                }
                blocks.append(.dlrr(items))
            default:
                blocks.append(.other(blockType: blockType, typeSpecific: typeSpecific,
                                     contents: Array(try contents.readBytes(length))))
            }
        }
    }

    func writeBody(into out: inout [UInt8]) throws(RTCPError) {
        guard blocks.count <= Self.maxBlocks else { throw .unencodable }
        out.appendUInt32(ssrc)
        for block in blocks {
            switch block {
            case .receiverReferenceTime(let ntp):
                out += [4, 0]
                out.appendUInt16(2)
                out.appendUInt64(ntp)
            case .dlrr(let items):
                guard items.count * 3 <= Int(UInt16.max) else { throw .unencodable }
                out += [5, 0]
                out.appendUInt16(UInt16(items.count * 3))
                for item in items {
                    out.appendUInt32(item.ssrc)
                    out.appendUInt32(item.lastReceiverReport)
                    out.appendUInt32(item.delaySinceLastReceiverReport)
                }
            case .other(let type, let specific, let contents):
                guard contents.count % 4 == 0, contents.count / 4 <= Int(UInt16.max) else { throw .unencodable }
                out += [type, specific]
                out.appendUInt16(UInt16(contents.count / 4))
                out += contents
            }
        }
    }
}
