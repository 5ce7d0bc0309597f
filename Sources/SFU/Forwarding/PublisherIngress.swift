import MediaTransport
import RTP

/// The receive side of one publisher transport: finds the producer of each RTP packet by SSRC
/// (from SDP, or learned from the MID / RID header extensions, RFC 8843 §15 and RFC 8852).
///
/// Ownership: media loop thread only.
final class PublisherIngress: @unchecked Sendable {
    private var bySSRC: [UInt32: (Producer, Int)] = [:]
    private var byMid: [String: Producer] = [:]
    private var midExtensionID: UInt8?
    private var ridExtensionID: UInt8?
    private var repairedRidExtensionID: UInt8?
    private(set) var unknownPackets = 0

    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    static let ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    static let repairedRidURI = "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id"

    func add(_ producer: Producer, mid: String, ssrcs: [UInt32]) {
        byMid[mid] = producer
        for ssrc in ssrcs { bySSRC[ssrc] = (producer, 0) }
        midExtensionID = producer.extensionIDs[Self.midURI] ?? midExtensionID
        ridExtensionID = producer.extensionIDs[Self.ridURI] ?? ridExtensionID
        repairedRidExtensionID = producer.extensionIDs[Self.repairedRidURI] ?? repairedRidExtensionID
    }

    func remove(trackSid: String) {
        byMid = byMid.filter { $0.value.trackSid != trackSid }
        bySSRC = bySSRC.filter { $0.value.0.trackSid != trackSid }
    }

    func receive(_ packet: UnsafeMutableRawBufferPointer) {
        let readOnly = UnsafeRawBufferPointer(packet)
        guard let header = try? RTPHeaderView(validating: readOnly) else { return }
        if let (producer, rank) = bySSRC[header.ssrc] {
            producer.receive(packet, header: header, rank: rank)
            return
        }
        // First packet of an SSRC the SDP did not list (simulcast layers, RFC 8853): map it by MID,
        // rank it by RID.
        guard let id = midExtensionID, let range = header.extensionRange(id: id, in: readOnly),
              let producer = byMid[String(decoding: readOnly[range], as: UTF8.self)] else {
            unknownPackets &+= 1
            return
        }
        if let repaired = repairedRidExtensionID, header.extensionRange(id: repaired, in: readOnly) != nil {
            return // an RTX stream of a simulcast layer: not forwarded
        }
        var rank = 0
        if let ridID = ridExtensionID, let range = header.extensionRange(id: ridID, in: readOnly) {
            rank = Self.rank(of: String(decoding: readOnly[range], as: UTF8.self))
        }
        bySSRC[header.ssrc] = (producer, rank)
        producer.receive(packet, header: header, rank: rank)
    }

    /// LiveKit SDKs name layers q/h/f (quarter, half, full); others use numbers or names.
    static func rank(of rid: String) -> Int {
        switch rid {
        case "f", "high", "2": return 3
        case "h", "mid", "medium", "1": return 2
        case "q", "low", "0": return 1
        default: return 0
        }
    }
}
