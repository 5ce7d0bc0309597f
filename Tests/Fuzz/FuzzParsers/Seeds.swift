// `FuzzParsers make-seeds <corpus-root>`: writes the generated seed inputs under
// <corpus-root>/<target>/gen-*.bin. The committed corpus (Tests/Fuzz/corpus) was made with it;
// hand-written seeds (RFC 5769 vectors, SDP fixtures) sit next to them. Replayer build only.

#if !FUZZING

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import DataChannel
import Foundation
import DTLS
import LiveKitProtocol
import PayloadFormats
import RTCP
import RTP
import STUN

func hexBytes(_ text: String) -> [UInt8] {
    let digits = Array(text.filter(\.isHexDigit))
    return stride(from: 0, to: digits.count - 1, by: 2).map { UInt8(String(digits[$0...$0 + 1]), radix: 16)! }
}

func writeSeeds(root: String) {
    var written = 0
    func put(_ target: String, _ name: String, _ bytes: [UInt8]) {
        let directory = root + "/" + target
        mkdir(root, 0o755)
        mkdir(directory, 0o755)
        writeFile(directory + "/gen-" + name + ".bin", bytes)
        // Every seed must at least survive its own target.
        FuzzTargets.named(target)!.run(bytes)
        written += 1
    }

    // MARK: STUN / ICE
    // RFC 5769 §2.1-§2.4 test vectors (the RFC pads text with spaces).
    let rfcRequest = hexBytes("""
        00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74
        00 24 00 04 6e 00 01 ff
        80 29 00 08 93 2f f9 b1 51 26 3b 36
        00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20
        00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2
        80 28 00 04 e5 7a 3b cf
        """)
    let rfcIPv4Response = hexBytes("""
        01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 08 00 01 a1 47 e1 12 a6 43
        00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7
        80 28 00 04 c0 7d 4c 96
        """)
    let rfcIPv6Response = hexBytes("""
        01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae
        80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20
        00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9
        00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41
        80 28 00 04 c8 fb 0b 4c
        """)
    let rfcLongTerm = hexBytes("""
        00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e
        00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00
        00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41
        00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00
        00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66
        """)
    for target in ["stun", "ice"] {
        put(target, "rfc5769-request", rfcRequest)
        put(target, "rfc5769-ipv4-response", rfcIPv4Response)
        put(target, "rfc5769-ipv6-response", rfcIPv6Response)
        put(target, "rfc5769-long-term-request", rfcLongTerm)
    }

    let transaction = STUNTransactionID(0x0102_0304, 0x0506_0708, 0x090A_0B0C)
    let key = Array(stunFuzzPassword.utf8)
    // A browser's nominating check to the ICE-lite agent ("evtj" is the agent's ufrag).
    let nominate = STUNMessage(type: .bindingRequest, transactionID: transaction, attributes: [
        .username("evtj:h6vY"), .iceControlling(0x1122_3344_5566_7788), .useCandidate, .priority(0x6E7F_1EFF),
    ]).serialized(integrityKey: key, addFingerprint: true)
    // A check with an unknown comprehension-required attribute (-> 420) and an optional one.
    let unknown = STUNMessage(type: .bindingRequest, transactionID: transaction, attributes: [
        .username("evtj:h6vY"), .iceControlling(1), .unknown(type: 0x0003, value: [1, 2, 3]),
        .unknown(type: 0xC057, value: [0, 1, 0, 0x0A]),
    ]).serialized(integrityKey: key, addFingerprint: true)
    // No credentials at all (-> 400), and an error response with UNKNOWN-ATTRIBUTES.
    let anonymous = STUNMessage(type: .bindingRequest, transactionID: transaction, attributes: [])
        .serialized(addFingerprint: true)
    let errorResponse = STUNMessage(type: .bindingError, transactionID: transaction, attributes: [
        .errorCode(.unknownAttribute), .unknownAttributes([0x0003, 0x0004]), .software("switchboard"),
        .xorMappedAddress(STUNAddress(host: "2001:db8::7", port: 443)!), .realm("example.org"), .nonce("abc"),
    ]).serialized(integrityKey: key, addFingerprint: true)
    // MESSAGE-INTEGRITY-SHA256 (kept verbatim) followed by a fingerprint.
    let sha256 = STUNMessage(type: .bindingIndication, transactionID: transaction, attributes: [
        .mappedAddress(STUNAddress(ipv4: 198, 51, 100, 9, port: 3478)),
        .messageIntegritySHA256([UInt8](repeating: 0x5A, count: 32)),
    ]).serialized(addFingerprint: true)
    for target in ["stun", "ice"] {
        put(target, "ice-nominate", nominate)
        put(target, "ice-unknown-attribute", unknown)
        put(target, "anonymous-request", anonymous)
        put(target, "error-response", errorResponse)
        put(target, "integrity-sha256", sha256)
    }

    // MARK: RTP
    let audio = RTPPacket(marker: true, payloadType: 111, sequenceNumber: 4242, timestamp: 960_000, ssrc: 0x1234_5678,
                          headerExtension: .oneByte([
                              RTPExtensionElement(id: 1, value: [0x80 | 42])!,          // audio level
                              RTPExtensionElement(id: 3, value: [0x01, 0x02])!,         // transport-wide seq
                              RTPExtensionElement(id: 4, value: Array("0".utf8))!,      // mid
                          ]),
                          payload: [0x78] + [UInt8](repeating: 0x11, count: 40))
    put("rtp", "opus-one-byte-extensions", audio.serialized())
    let video = RTPPacket(payloadType: 96, sequenceNumber: 65535, timestamp: 90_000, ssrc: 0xCAFE_BABE,
                          csrcs: [1, 2, 3],
                          headerExtension: .twoByte(appBits: 0, [
                              RTPExtensionElement(id: 10, value: Array("0123456789abcdefXYZ".utf8))!,
                              RTPExtensionElement(id: 200, value: [])!,
                              RTPExtensionElement(id: 2, value: [1, 2, 3])!,
                          ]),
                          payload: [0x90, 0x80, 0x80, 0x01, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01],
                          paddingLength: 4)
    put("rtp", "vp8-two-byte-csrc-padding", video.serialized())
    let raw = RTPPacket(payloadType: 0, sequenceNumber: 1, timestamp: 160, ssrc: 7,
                        headerExtension: .other(profile: 0xABCD, data: [1, 2, 3, 4, 5, 6, 7, 8]),
                        payload: [UInt8](repeating: 0xFF, count: 160))
    put("rtp", "pcmu-other-extension", raw.serialized())
    put("rtp", "minimal", RTPPacket(payloadType: 8, sequenceNumber: 0, timestamp: 0, ssrc: 0).serialized())

    // MARK: RTCP
    func compound(_ packets: [RTCPPacket]) -> [UInt8] { try! RTCPCompound.serialize(packets) }
    let block = ReceptionReport(ssrc: 0xBC5E_9A40, fractionLost: 12, cumulativeLost: -1,
                                extendedHighestSequenceNumber: 0x0001_46E1, jitter: 273,
                                lastSenderReport: 0x09F3_6432, delaySinceLastSenderReport: 150_137)
    put("rtcp", "sr-sdes", compound([
        .senderReport(SenderReport(ssrc: 0x902F_9E2E, ntpTimestamp: 0xE5A1_4B2C_7A3D_0000, rtpTimestamp: 960_000,
                                   packetCount: 100, octetCount: 16_000, reportBlocks: [block])),
        .sourceDescription(SourceDescription(source: 0x902F_9E2E, cname: "fuzz-cname")),
    ]))
    put("rtcp", "rr-remb-bye", compound([
        .receiverReport(ReceiverReport(ssrc: 1, reportBlocks: [block, block])),
        .receiverEstimatedMaximumBitrate(ReceiverEstimatedMaximumBitrate(senderSSRC: 1, bitrate: 2_500_000,
                                                                         ssrcs: [0x1234_5678, 0xCAFE_BABE])),
        .goodbye(Goodbye(sources: [0x902F_9E2E], reason: "done")),
    ]))
    let twcc = try! TransportWideFeedback(senderSSRC: 1, mediaSSRC: 0x1234_5678, feedbackPacketCount: 7, arrivals: [
        .init(sequenceNumber: 100, time: 1_000_000), .init(sequenceNumber: 101, time: 1_000_250),
        .init(sequenceNumber: 102, time: nil), .init(sequenceNumber: 103, time: 1_090_000),
        .init(sequenceNumber: 105, time: 1_089_000), .init(sequenceNumber: 120, time: 1_200_000),
    ])
    put("rtcp", "twcc", compound([.transportWideFeedback(twcc)]))
    let longRun = try! TransportWideFeedback(senderSSRC: 1, mediaSSRC: 2, feedbackPacketCount: 0,
                                             arrivals: (0..<40).map { .init(sequenceNumber: 65_530 &+ UInt16($0), time: 5_000 + Int64($0) * 1000) })
    put("rtcp", "twcc-run-wrap", compound([.transportWideFeedback(longRun)]))
    put("rtcp", "nack-pli-fir", compound([
        .genericNACK(GenericNACK(senderSSRC: 1, mediaSSRC: 2, lostSequenceNumbers: [32, 33, 35, 100, 65535])),
        .pictureLossIndication(PictureLossIndication(senderSSRC: 1, mediaSSRC: 2)),
        .fullIntraRequest(FullIntraRequest(senderSSRC: 1, entries: [.init(ssrc: 2, sequenceNumber: 9)])),
    ]))
    put("rtcp", "app-unknown", compound([
        .unknown(packetType: RTCPPacketType.application, count: 3, body: [0, 0, 0, 1] + Array("NAME".utf8) + [1, 2, 3]),
        .unknown(packetType: RTCPPacketType.extendedReport, count: 0, body: [0, 0, 0, 1, 4, 0, 0, 2, 1, 2, 3, 4, 5, 6, 7, 8]),
    ]))

    // MARK: VP8 (descriptor + start of the frame)
    var keyframe: [UInt8] = []
    try! VP8PayloadDescriptor(startOfPartition: true, pictureID: 0x1234, tl0PicIdx: 7, temporalLayerID: 2,
                              layerSync: true, keyIndex: 5).write(into: &keyframe)
    keyframe += [0x10, 0x02, 0x00]  // frame tag: keyframe, version 0, show_frame
    VP8KeyframeDimensions(width: 640, height: 480).write(into: &keyframe)
    keyframe += [0x00, 0x00, 0x00, 0x00]
    put("vp8", "keyframe-full-descriptor", keyframe)
    var small: [UInt8] = []
    try! VP8PayloadDescriptor(pictureID: 0x55, pictureIDIs15Bit: false).write(into: &small)
    small += [0x50, 0x03, 0x00] + [UInt8](repeating: 0xAA, count: 8)   // interframe
    put("vp8", "interframe-7bit-picture-id", small)
    put("vp8", "minimal-keyframe", [0x10, 0x90, 0x01, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x42, 0x38, 0xC1])
    put("vp8", "continuation", [0x81, 0x60, 0x33, 0x01] + [UInt8](repeating: 0x42, count: 6))
    put("vp8", "empty-extension", [0x90, 0x00, 0x10, 0x02, 0x00])

    // MARK: Opus (TOC + frames, RFC 6716 §3.2)
    put("opus", "code0-silk-20ms", [0x08] + [UInt8](repeating: 0x21, count: 40))
    put("opus", "code1-celt-stereo", [0xFD] + [UInt8](repeating: 0x33, count: 60))
    put("opus", "code2-hybrid", [0x62, 0x10] + [UInt8](repeating: 0x44, count: 30))
    put("opus", "code3-cbr-padding", [0xFB, 0x43, 0x02] + [UInt8](repeating: 0x55, count: 27) + [0, 0])
    put("opus", "code3-vbr-two-byte-length", [0xFB, 0x83, 0xFC, 0x01, 0x05] + [UInt8](repeating: 0x66, count: 270))
    put("opus", "dtx", [0xF8])

    // MARK: DTLS: a ClientHello from our own client endpoint, and an alert record.
    if let certificate = try? DTLSCertificate.generateSelfSigned(commonName: "fuzz-client"),
       let context = try? DTLSContext(certificate: certificate),
       let client = try? DTLSEndpoint(context: context, role: .client, expectedRemoteFingerprint: nil) {
        for (i, datagram) in client.start().datagrams.enumerated() {
            put("dtls", "client-hello-\(i)", datagram)
        }
    }
    put("dtls", "alert-record", [0x15, 0xFE, 0xFD, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 2, 40])
    put("dtls", "change-cipher-spec", [0x14, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1])

    // MARK: Data channels: DCEP (selector 0) and client DataPackets (selector 1).
    put("data", "dcep-open-reliable", [0] + DCEPMessage.open(DataChannelParameters(label: "_reliable")).bytes)
    put("data", "dcep-open-lossy", [0] + DCEPMessage.open(DataChannelParameters(
        label: "_lossy", reliability: .maxRetransmits(0, ordered: false))).bytes)
    put("data", "dcep-ack", [0, 0x02])
    var user = Livekit_DataPacket()
    user.user.payload = Data("hello".utf8)
    user.user.topic = "chat"
    user.destinationIdentities = ["bob"]
    put("data", "user-packet", [1] + (try! user.serializedBytes()))
    var chat = Livekit_DataPacket()
    chat.chatMessage.id = "m1"
    chat.chatMessage.message = "hi all"
    chat.participantIdentity = "someone-else"
    put("data", "chat-message", [1] + (try! chat.serializedBytes()))
    var header = Livekit_DataPacket()
    header.streamHeader.streamID = "s1"
    header.streamHeader.topic = "lk.chat"
    header.streamHeader.textHeader.operationType = .create
    put("data", "stream-header", [1] + (try! header.serializedBytes()))

    print("wrote \(written) seeds under \(root)")
}

#endif
