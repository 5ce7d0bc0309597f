// The SFU's per-packet media path: SRTP unprotect of what a publisher sent, RTP header
// rewrite for one subscriber, SRTP protect towards that subscriber, in place in one buffer.
//
// Method (see docs/benchmarks.md): every sample processes a batch of `batchSize` 1200-byte
// RTP packets (scalingFactor .kilo, so the reported numbers are per packet). The packets
// sit in one slab allocated once per benchmark, one 1280-byte slot each, like the receive
// slab of the media loop. Before a sample's measurement starts (`startMeasurement()`), the
// slab is refilled: each slot gets a fresh plaintext packet with the next sequence number
// and, for the benchmarks that unprotect, is SRTP-protected by a *sender* session sharing
// the receiver's key. That preparation is outside the measured region, so a measured
// iteration is exactly the operation named (replay protection forbids unprotecting the same
// packet twice, hence the refill instead of reuse). No measured code allocates.
import Benchmark
import RTP
import SRTP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Packets per measured sample; equals the scaling factor so results are per packet.
let batchSize = BenchmarkScalingFactor.kilo.rawValue
/// Plaintext RTP packet size (a typical video packet under a 1280-byte path MTU budget).
let packetLength = 1200
/// Slot stride: the packet plus SRTP's worst-case trailer, rounded up to a cache line.
let slotStride = 1280

/// Fixed sample counts with warmup so runs are comparable: 10 warmup samples, then exactly 300
/// measured samples of `batchSize` packets (maxDuration is only a safety net far above that).
func configuration() -> Benchmark.Configuration {
    Benchmark.Configuration(
        metrics: [.wallClock, .cpuTotal, .throughput, .mallocCountTotal],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(120),
        maxIterations: 300
    )
}

/// A 1200-byte RTP packet as a browser sends video: version 2, PT 96, one-byte header
/// extensions (abs-send-time id 2, transport-wide-cc id 3, padded to a word), pseudo-random
/// payload. The sequence number and timestamp are filled per packet.
func templatePacket() -> [UInt8] {
    var packet: [UInt8] = [
        0x90, 96, 0, 0,            // V=2 X=1, PT 96, sequence number (patched)
        0, 0, 0, 0,                // timestamp (patched)
        0x1A, 0x2B, 0x3C, 0x4D,    // SSRC
        0xBE, 0xDE, 0x00, 0x02,    // one-byte extension profile, 2 words
        0x22, 0x12, 0x34, 0x56,    // id 2 (abs-send-time), 3 bytes
        0x31, 0x00, 0x01, 0x00,    // id 3 (transport-cc), 2 bytes, 1 byte padding
    ]
    var x: UInt32 = 0x9E37_79B9
    while packet.count < packetLength {
        x ^= x << 13; x ^= x >> 17; x ^= x << 5
        packet.append(UInt8(truncatingIfNeeded: x))
    }
    return packet
}

/// Deterministic master key||salt of the length `profile` wants.
func masterKey(_ profile: SRTPProfile, seed: UInt8) -> [UInt8] {
    (0..<(profile.keyLength + profile.saltLength)).map { UInt8(truncatingIfNeeded: Int(seed) &* 31 &+ $0 &* 7) }
}

/// Everything one benchmark needs, allocated once in its setup.
final class ForwardingState: @unchecked Sendable {
    let profile: SRTPProfile
    /// Protects what the "publisher" sends (unmeasured preparation only).
    let sender: EVPSRTPSession
    /// The SFU's inbound session for the publisher (same key as `sender`).
    let receiver: EVPSRTPSession
    /// The SFU's outbound session towards one subscriber (its own key).
    let outbound: EVPSRTPSession
    let slab: UnsafeMutableRawBufferPointer
    let lengths: UnsafeMutableBufferPointer<Int>
    let template: [UInt8]
    var nextSequenceNumber: UInt16 = 1000
    var nextTimestamp: UInt32 = 90_000

    // Per-subscriber rewrite parameters, as the forwarder keeps them.
    let outSSRC: UInt32 = 0xCAFE_F00D
    let sequenceOffset: UInt16 = 12_345
    let timestampOffset: UInt32 = 0x1234_5678
    let outPayloadType: UInt8 = 102

    init(profile: SRTPProfile) throws {
        self.profile = profile
        let publisherKey = masterKey(profile, seed: 1)
        sender = try EVPSRTPSession(profile: profile, masterKeyAndSalt: publisherKey, direction: .outbound)
        receiver = try EVPSRTPSession(profile: profile, masterKeyAndSalt: publisherKey, direction: .inbound)
        outbound = try EVPSRTPSession(profile: profile, masterKeyAndSalt: masterKey(profile, seed: 2), direction: .outbound)
        slab = .allocate(byteCount: batchSize * slotStride, alignment: 64)
        slab.initializeMemory(as: UInt8.self, repeating: 0)
        lengths = .allocate(capacity: batchSize)
        lengths.initialize(repeating: 0)
        template = templatePacket()
    }

    deinit {
        slab.deallocate()
        lengths.deallocate()
    }

    @inline(__always)
    func slot(_ index: Int) -> UnsafeMutableRawBufferPointer {
        UnsafeMutableRawBufferPointer(rebasing: slab[(index * slotStride)..<((index + 1) * slotStride)])
    }

    /// Fills every slot with a fresh plaintext packet (next sequence number, +3000 ticks).
    func fillPlaintext() {
        template.withUnsafeBytes { source in
            for i in 0..<batchSize {
                let slot = slot(i)
                memcpy(slot.baseAddress!, source.baseAddress!, packetLength)
                let packet = UnsafeMutableRawBufferPointer(rebasing: slot[0..<packetLength])
                RTPHeaderView.setSequenceNumber(nextSequenceNumber, in: packet)
                RTPHeaderView.setTimestamp(nextTimestamp, in: packet)
                nextSequenceNumber &+= 1
                nextTimestamp &+= 3000
                lengths[i] = packetLength
            }
        }
    }

    /// Fills every slot with a freshly protected packet, as the publisher would send it.
    func fillProtected() throws(SRTPError) {
        fillPlaintext()
        for i in 0..<batchSize {
            lengths[i] = try sender.protectRTP(slot(i), length: lengths[i])
        }
    }
}

/// The forwarding step for one packet: unprotect, read the header, rewrite SSRC, sequence
/// number, timestamp and payload type for the subscriber, protect. Returns the wire length.
@inline(__always)
func forward(_ state: ForwardingState, slot: UnsafeMutableRawBufferPointer, length: Int) throws -> Int {
    let plainLength = try state.receiver.unprotectRTP(slot, length: length)
    let packet = UnsafeMutableRawBufferPointer(rebasing: slot[0..<plainLength])
    let view = try RTPHeaderView(validating: UnsafeRawBufferPointer(packet))
    RTPHeaderView.setSSRC(state.outSSRC, in: packet)
    RTPHeaderView.setSequenceNumber(view.sequenceNumber &+ state.sequenceOffset, in: packet)
    RTPHeaderView.setTimestamp(view.timestamp &+ state.timestampOffset, in: packet)
    RTPHeaderView.setPayloadType(state.outPayloadType, in: packet)
    return try state.outbound.protectRTP(slot, length: plainLength)
}

func profileName(_ profile: SRTPProfile) -> String {
    switch profile {
    case .aeadAes128Gcm: return "AEAD_AES_128_GCM"
    case .aes128CmHmacSha1_80: return "AES_CM_128_HMAC_SHA1_80"
    }
}

let benchmarks: @Sendable () -> Void = {
    for profile in [SRTPProfile.aeadAes128Gcm, .aes128CmHmacSha1_80] {
        let name = profileName(profile)

        Benchmark("SRTP forward (unprotect+rewrite+protect) \(name)", configuration: configuration(),
                  closure: { benchmark, state in
            do {
                try state.fillProtected()
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    let length = try forward(state, slot: state.slot(i), length: state.lengths[i])
                    blackHole(length)
                }
                benchmark.stopMeasurement()
            } catch {
                benchmark.error("forward failed: \(error)")
            }
        }, setup: { try ForwardingState(profile: profile) })

        Benchmark("SRTP unprotect \(name)", configuration: configuration(),
                  closure: { benchmark, state in
            do {
                try state.fillProtected()
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    blackHole(try state.receiver.unprotectRTP(state.slot(i), length: state.lengths[i]))
                }
                benchmark.stopMeasurement()
            } catch {
                benchmark.error("unprotect failed: \(error)")
            }
        }, setup: { try ForwardingState(profile: profile) })

        Benchmark("SRTP protect \(name)", configuration: configuration(),
                  closure: { benchmark, state in
            do {
                state.fillPlaintext()
                benchmark.startMeasurement()
                for i in benchmark.scaledIterations {
                    blackHole(try state.outbound.protectRTP(state.slot(i), length: state.lengths[i]))
                }
                benchmark.stopMeasurement()
            } catch {
                benchmark.error("protect failed: \(error)")
            }
        }, setup: { try ForwardingState(profile: profile) })
    }
}
