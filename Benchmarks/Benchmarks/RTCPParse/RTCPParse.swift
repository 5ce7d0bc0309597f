// Parsing the compound RTCP packets an SFU receives (after SRTCP unprotect, not included):
// a publisher's SR + SDES(CNAME), and a subscriber's feedback RR + generic NACK + PLI + REMB.
// RTCPCompound.parse returns [RTCPPacket] with array-backed fields, so it allocates: the
// mallocCountTotal column shows how much. RTCP arrives at a few packets per second per
// stream (plus NACK/PLI bursts), so it is off the per-media-packet path.
//
// Each sample parses the same compound 1000 times (scalingFactor .kilo): per-compound numbers.
import Benchmark
import RTCP

func configuration() -> Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(60),
        maxIterations: 300
    )
}

func senderReportCompound() throws -> [UInt8] {
    let report = ReceptionReport(ssrc: 0x1111_2222, fractionLost: 3, cumulativeLost: 17,
                                 extendedHighestSequenceNumber: 0x0001_2345, jitter: 42,
                                 lastSenderReport: 0xDEAD_BEEF, delaySinceLastSenderReport: 6554)
    let sr = SenderReport(ssrc: 0x1A2B_3C4D, ntpTimestamp: 0xE8A1_2B3C_4D5E_6F70, rtpTimestamp: 90_000,
                          packetCount: 12_345, octetCount: 14_000_000, reportBlocks: [report])
    let sdes = SourceDescription(source: 0x1A2B_3C4D, cname: "u7Qw9rTz3XbK1mPa")
    return try RTCPCompound.serialize([.senderReport(sr), .sourceDescription(sdes)])
}

func feedbackCompound() throws -> [UInt8] {
    let rr = ReceiverReport(ssrc: 0x5555_6666, reportBlocks: [
        ReceptionReport(ssrc: 0x1A2B_3C4D, fractionLost: 5, cumulativeLost: 40,
                        extendedHighestSequenceNumber: 0x0001_2400, jitter: 120,
                        lastSenderReport: 0x2B3C_4D5E, delaySinceLastSenderReport: 3277),
    ])
    let nack = GenericNACK(senderSSRC: 0x5555_6666, mediaSSRC: 0x1A2B_3C4D,
                           lostSequenceNumbers: [1000, 1001, 1003, 1010, 1040, 1041])
    let pli = PictureLossIndication(senderSSRC: 0x5555_6666, mediaSSRC: 0x1A2B_3C4D)
    let remb = ReceiverEstimatedMaximumBitrate(senderSSRC: 0x5555_6666, bitrate: 2_500_000,
                                               ssrcs: [0x1A2B_3C4D, 0x7777_8888])
    return try RTCPCompound.serialize([
        .receiverReport(rr), .genericNACK(nack), .pictureLossIndication(pli),
        .receiverEstimatedMaximumBitrate(remb),
    ])
}

final class CompoundBox: @unchecked Sendable {
    let bytes: [UInt8]
    let expectedCount: Int
    init(_ bytes: [UInt8], expectedCount: Int) throws {
        self.bytes = bytes
        self.expectedCount = expectedCount
        let parsed = try RTCPCompound.parse(bytes)
        guard parsed.count == expectedCount else {
            throw SetupError(reason: "parsed \(parsed.count) packets, expected \(expectedCount)")
        }
    }
}

struct SetupError: Error { let reason: String }

let benchmarks: @Sendable () -> Void = {
    Benchmark("RTCP parse SR(1 block) + SDES(CNAME)", configuration: configuration(),
              closure: { benchmark, box in
        for _ in benchmark.scaledIterations {
            do {
                blackHole(try RTCPCompound.parse(box.bytes))
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
    }, setup: { try CompoundBox(senderReportCompound(), expectedCount: 2) })

    Benchmark("RTCP parse RR(1 block) + NACK + PLI + REMB", configuration: configuration(),
              closure: { benchmark, box in
        for _ in benchmark.scaledIterations {
            do {
                blackHole(try RTCPCompound.parse(box.bytes))
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
    }, setup: { try CompoundBox(feedbackCompound(), expectedCount: 4) })
}
