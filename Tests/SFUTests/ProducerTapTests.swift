import MediaTransport
import RTCP
import RTP
@testable import SFU
import XCTest

/// Recording taps on a producer: every accepted primary packet reaches them, muted or not
/// (flagged), sender reports of the forwarded stream too, and removal stops the calls.
final class ProducerTapTests: XCTestCase {
    final class CollectingTap: RecordingTap, @unchecked Sendable {
        var packets: [(sequence: UInt16, muted: Bool)] = []
        var reports: [(ssrc: UInt32, rtp: UInt32)] = []
        func rtp(_ packet: UnsafeRawBufferPointer, arrival: Int64, muted: Bool) {
            packets.append((UInt16(packet[2]) << 8 | UInt16(packet[3]), muted))
        }
        func senderReport(ssrc: UInt32, ntp: UInt64, rtp: UInt32, arrival: Int64) { reports.append((ssrc, rtp)) }
    }

    private func packet(_ sequence: UInt16, ssrc: UInt32 = 42, payloadType: UInt8 = 111) -> [UInt8] {
        [0x80, payloadType, UInt8(sequence >> 8), UInt8(sequence & 0xFF), 0, 0, 0, 1,
         UInt8(ssrc >> 24), UInt8((ssrc >> 16) & 0xFF), UInt8((ssrc >> 8) & 0xFF), UInt8(ssrc & 0xFF), 0xF8, 1, 2]
    }

    private func deliver(_ bytes: [UInt8], to producer: Producer) {
        var copy = bytes
        copy.withUnsafeMutableBytes { buffer in
            let header = try! RTPHeaderView(validating: UnsafeRawBufferPointer(buffer))
            producer.receive(buffer, header: header, rank: 0)
        }
    }

    func testTapsSeeAcceptedPacketsBeforeMuteGatingAndReportsOfTheForwardedStream() throws {
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        defer { server.stop() }
        let transport = try server.makeTransport()
        let producer = Producer(.init(trackSid: "TR_a", isVideo: false, clockRate: 48000, isVP8: false, extensionIDs: [:],
                                      primaryPayloadTypes: [111]),
                                publisherTransport: transport, stats: ForwardingStats())
        let tap = CollectingTap()
        producer.addTap(tap)
        producer.addTap(tap)
        XCTAssertEqual(producer.taps.count, 1, "a tap is added once")

        deliver(packet(1), to: producer)
        deliver(packet(2, payloadType: 63), to: producer)  // not a primary payload type (RED/FEC)
        producer.setMuted(true)
        deliver(packet(3), to: producer)
        producer.setMuted(false)
        deliver(packet(4), to: producer)
        XCTAssertEqual(tap.packets.map(\.sequence), [1, 3, 4])
        XCTAssertEqual(tap.packets.map(\.muted), [false, true, false])

        producer.recordSenderReport(SenderReport(ssrc: 42, ntpTimestamp: 1, rtpTimestamp: 960, packetCount: 1, octetCount: 1),
                                    arrival: 5)
        producer.recordSenderReport(SenderReport(ssrc: 99, ntpTimestamp: 1, rtpTimestamp: 7, packetCount: 1, octetCount: 1),
                                    arrival: 5)
        XCTAssertEqual(tap.reports.map(\.ssrc), [42], "only the stream being forwarded")

        producer.removeTap(tap)
        deliver(packet(5), to: producer)
        XCTAssertEqual(tap.packets.count, 3)
    }

    /// VP8 payloads: descriptor with S=1 (a frame start) or 0, then the payload header's P bit.
    private func vp8(_ sequence: UInt16, keyframe: Bool, start: Bool = true) -> [UInt8] {
        var bytes = packet(sequence, payloadType: 96)
        bytes.removeLast(3)
        return bytes + [start ? 0x10 : 0x00, keyframe ? 0x00 : 0x01, 0xAA, 0xBB]
    }

    func testNewVideoTapGetsAKeyframe() throws {
        let server = try TransportServer(configuration: TransportConfiguration(bindAddresses: ["127.0.0.1"], udpPort: 0))
        defer { server.stop() }
        let producer = Producer(.init(trackSid: "TR_v", isVideo: true, clockRate: 90000, isVP8: true, extensionIDs: [:],
                                      primaryPayloadTypes: [96]),
                                publisherTransport: try server.makeTransport(), stats: ForwardingStats())
        deliver(vp8(10, keyframe: false), to: producer)
        producer.recordSenderReport(SenderReport(ssrc: 42, ntpTimestamp: 9, rtpTimestamp: 3000, packetCount: 1, octetCount: 1),
                                    arrival: 5)

        // No request lately: the new tap gets the last sender report and a PLI goes out.
        let first = CollectingTap()
        producer.addTap(first)
        XCTAssertEqual(first.reports.map(\.rtp), [3000], "the last sender report first")
        XCTAssertEqual(producer.keyframeRequests, 1)
        XCTAssertEqual(first.packets.count, 0)

        // The keyframe answering it arrives; a second tap right after (the publisher would ignore
        // another PLI now) starts from that keyframe, replayed from the cache.
        deliver(vp8(11, keyframe: true), to: producer)
        deliver(vp8(12, keyframe: false, start: false), to: producer)
        deliver(vp8(13, keyframe: false), to: producer)
        let second = CollectingTap()
        producer.addTap(second)
        XCTAssertEqual(second.packets.map(\.sequence), [11, 12, 13], "from the keyframe on, nothing older")
        XCTAssertEqual(producer.keyframeRequests, 1, "no PLI the publisher would drop")
        deliver(vp8(14, keyframe: false), to: producer)
        XCTAssertEqual(second.packets.map(\.sequence), [11, 12, 13, 14])
        XCTAssertEqual(first.packets.map(\.sequence), [11, 12, 13, 14])
    }
}
