// One function per parser under fuzz. Each takes the raw input, must never trap on it, and
// checks the properties the parser promises (round trips, agreement between the value parser
// and the zero-copy view, verification never crashing). A broken property calls `fuzzFail`,
// which aborts so libFuzzer records the input as a crash.
//
// The same functions back both builds (see Entry.swift): the libFuzzer entry point with
// `-DFUZZING`, and a corpus replayer in a plain `swift build`.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

import DataChannel
import DataPackets
import DTLS
import ICE
import PayloadFormats
import RTCP
import RTP
import SDP
import STUN

/// A fuzz target: a name for FUZZ_TARGET / the replayer, libFuzzer's `-max_len`, and the
/// function run on each input.
struct FuzzTarget: Sendable {
    let name: String
    let maxLength: Int
    let summary: String
    let run: @Sendable ([UInt8]) -> Void
}

enum FuzzTargets {
    static let all: [FuzzTarget] = [
        FuzzTarget(name: "stun", maxLength: 1500,
                   summary: "STUNMessage parse, integrity/fingerprint verification, re-serialize round trip",
                   run: fuzzSTUN),
        FuzzTarget(name: "ice", maxLength: 1500,
                   summary: "ICELiteAgent.handle on parsed STUN (as received and re-signed with the agent's key)",
                   run: fuzzICE),
        FuzzTarget(name: "rtp", maxLength: 1500,
                   summary: "RTPPacket parse/serialize round trip, RTPHeaderView agreement and in-place rewrites",
                   run: fuzzRTP),
        FuzzTarget(name: "rtcp", maxLength: 1500,
                   summary: "RTCPCompound.parsePrefix, re-serialize of what parsed re-parses equal, TWCC expansion",
                   run: fuzzRTCP),
        FuzzTarget(name: "sdp", maxLength: 65536,
                   summary: "SessionDescription parse, serialize -> parse equality",
                   run: fuzzSDP),
        FuzzTarget(name: "vp8", maxLength: 128,
                   summary: "VP8 payload descriptor round trip, rewrites, keyframe dimensions",
                   run: fuzzVP8),
        FuzzTarget(name: "opus", maxLength: 1500,
                   summary: "Opus TOC frame count / packet duration (RFC 6716 R1-R7)",
                   run: fuzzOpus),
        FuzzTarget(name: "dtls", maxLength: 1500,
                   summary: "DTLSEndpoint (server role) fed the input as a datagram",
                   run: fuzzDTLS),
        FuzzTarget(name: "data", maxLength: 65536,
                   summary: "DCEP parse/serialize round trip; DataPacket decode, sender stamping, re-decode",
                   run: fuzzData),
    ]

    static func named(_ name: String) -> FuzzTarget? {
        all.first { $0.name == name.lowercased() }
    }
}

/// Reports a broken property and aborts (libFuzzer saves the input as crash-*).
/// (A plain String, not an autoclosure: failure paths may build it eagerly, and swiftc 6.3 -O
/// crashed in CopyPropagation on an autoclosure passed to a Never-returning call in a catch.)
func fuzzFail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = "FUZZ PROPERTY FAILED (\(file):\(line)): \(message)\n"
    printError(text)
    abort()
}

/// Writes to stderr unbuffered (the C `stderr` global is not concurrency-safe in Swift 6).
func printError(_ text: String) {
    var text = text
    text.withUTF8 { buffer in
        var offset = 0
        while offset < buffer.count {
            let n = write(2, buffer.baseAddress! + offset, buffer.count - offset)
            if n <= 0 { break }
            offset += n
        }
    }
}

@inline(__always)
func fuzzCheck(_ condition: Bool, _ message: @autoclosure () -> String,
               file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fuzzFail(message(), file: file, line: line) }
}

/// Forces evaluation of a value so the optimizer cannot drop the computation.
@inline(never)
func blackHole<T>(_ value: T) { withExtendedLifetime(value) {} }

// MARK: - STUN

/// RFC 5769 short-term password: the RFC vectors in the seed corpus verify with it, so the
/// fuzzer starts from inputs whose MESSAGE-INTEGRITY is valid.
let stunFuzzPassword = "VOkJxbRl1RmTxUk/WvJxBt"
let stunFuzzKey = STUNCredentials.shortTermKey(password: stunFuzzPassword)

@Sendable func fuzzSTUN(_ bytes: [UInt8]) {
    blackHole(STUNMessage.looksLikeSTUN(bytes))
    if let first = bytes.first { blackHole(STUNMessage.isSTUN(first)) }

    let parsed: STUNMessage
    do {
        parsed = try STUNMessage(parsing: bytes)
    } catch {
        // The raw-buffer entry point must reject the same input the same way.
        let other = bytes.withUnsafeBytes { buffer in
            Result { () throws(STUNParseError) in try STUNMessage(parsing: buffer) }
        }
        if case .success = other { fuzzFail("raw-buffer parse accepted what [UInt8] parse rejected (\(error))") }
        return
    }

    // Verification runs on attacker bytes: it may say no, never crash.
    blackHole(parsed.verifyMessageIntegrity(rawBytes: bytes, key: stunFuzzKey))
    blackHole(parsed.verifyMessageIntegritySHA256(rawBytes: bytes, key: stunFuzzKey))
    blackHole(parsed.verifyFingerprint(rawBytes: bytes))
    blackHole(parsed.verifyMessageIntegrity(rawBytes: bytes, key: []))
    // Accessors.
    blackHole(parsed.username)
    blackHole(parsed.mappedAddress?.description)
    blackHole(parsed.errorCode)
    blackHole(parsed.priority)
    blackHole(parsed.iceControlling)
    blackHole(parsed.iceControlled)
    blackHole(parsed.hasUseCandidate)
    blackHole(parsed.unknownComprehensionRequiredAttributes)
    blackHole(parsed.transactionID.description)
    blackHole(ICELiteAgent.localUfrag(inUsername: parsed.username ?? ""))

    // Round trip: what parsed re-serializes (zero padding) to bytes that parse equal.
    let again = parsed.serialized()
    let reparsed: STUNMessage
    do {
        reparsed = try STUNMessage(parsing: again)
    } catch {
        fuzzFail("re-serialized message does not parse: \(error); input \(hexString(bytes)); output \(hexString(again))")
    }
    fuzzCheck(reparsed == parsed, "round trip changed the message: \(parsed) -> \(reparsed)")
    fuzzCheck(again.count <= bytes.count, "re-serialized message grew: \(again.count) > \(bytes.count)")

    // Signing what parsed yields a message whose integrity and fingerprint verify. Signing
    // drops MI/MI-SHA256/FP and appends MI+FP, so stay within the attribute cap.
    let kept = parsed.attributes.filter {
        $0.type != .messageIntegrity && $0.type != .messageIntegritySHA256 && $0.type != .fingerprint
    }
    if kept.count + 2 <= STUNMessage.maximumAttributeCount && again.count + 32 <= STUNMessage.headerLength + 0xFFFF {
        let signed = parsed.serialized(integrityKey: stunFuzzKey, addFingerprint: true)
        do {
            let message = try STUNMessage(parsing: signed)
            fuzzCheck(message.verifyMessageIntegrity(rawBytes: signed, key: stunFuzzKey),
                      "freshly signed message fails MESSAGE-INTEGRITY: \(hexString(signed))")
            fuzzCheck(message.verifyFingerprint(rawBytes: signed),
                      "freshly fingerprinted message fails FINGERPRINT: \(hexString(signed))")
            fuzzCheck(!message.verifyMessageIntegrity(rawBytes: signed, key: stunFuzzKey.map { $0 ^ 0x01 }),
                      "MESSAGE-INTEGRITY verified with the wrong key")
            fuzzCheck(Array(message.attributes.prefix(kept.count)) == kept,
                      "signing changed the attributes before MESSAGE-INTEGRITY")
        } catch {
            fuzzFail("signed message does not parse: \(error); input \(hexString(bytes)); output \(hexString(signed))")
        }
    }
}

// MARK: - ICE

/// The agent's credentials. Seeds are RFC 5769-style requests whose USERNAME starts with
/// "evtj:" so they hit the authenticated paths.
let iceFuzzLocal = ICECredentials(ufrag: "evtj", pwd: stunFuzzPassword)
let iceFuzzRemote = ICECredentials(ufrag: "h6vY", pwd: "remotepasswordremotepassword")

@Sendable func fuzzICE(_ bytes: [UInt8]) {
    guard let request = try? STUNMessage(parsing: bytes) else { return }
    let start = ContinuousClock.now
    let agent = ICELiteAgent(local: iceFuzzLocal, remote: bytes.count % 2 == 0 ? iceFuzzRemote : nil, now: start)
    // Several source addresses (IPv4 and IPv6) picked from the input, so the validated-address
    // list fills up and evicts.
    let seed = bytes.count >= 20 ? bytes[8] ^ bytes[19] : 0
    var sources: [STUNAddress] = []
    for i in 0..<Int(seed % 12) + 1 {
        if (Int(seed) + i) % 3 == 0 {
            sources.append(STUNAddress(addressBytes: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: UInt8(i), count: 12),
                                       port: UInt16(5000 + i))!)
        } else {
            sources.append(STUNAddress(ipv4: 192, 0, 2, UInt8(i), port: UInt16(40000 + i)))
        }
    }

    var now = start
    func check(_ message: STUNMessage, raw: [UInt8], from source: STUNAddress) {
        now = now.advanced(by: .milliseconds(50))
        let before = agent.nominatedAddress
        let outcome = agent.handle(message, raw: raw, from: source, now: now)
        switch outcome {
        case .drop:
            fuzzCheck(agent.nominatedAddress == before, "a dropped request changed the nomination")
        case .respond(let response, let event, let valid):
            // Every answer is a well-formed STUN response to the same transaction, with a
            // valid fingerprint; signed answers verify with our key.
            let parsed: STUNMessage
            do {
                parsed = try STUNMessage(parsing: response)
            } catch {
                fuzzFail("agent produced an unparsable response (\(error)): \(hexString(response))")
            }
            fuzzCheck(parsed.transactionID == message.transactionID, "response transaction ID differs")
            fuzzCheck(parsed.verifyFingerprint(rawBytes: response), "response fingerprint does not verify")
            fuzzCheck(valid == (parsed.messageType == .bindingSuccess), "valid flag disagrees with the response type")
            if valid {
                fuzzCheck(parsed.verifyMessageIntegrity(rawBytes: response, key: Array(iceFuzzLocal.pwd.utf8)),
                          "success response is not signed with the local password")
                fuzzCheck(parsed.first(.xorMappedAddress) == .xorMappedAddress(source),
                          "success response does not carry the source address")
                fuzzCheck(agent.validatedAddresses.contains(source), "valid check did not validate the source")
                fuzzCheck(agent.selectedAddress != nil, "no selected address after a valid check")
            } else {
                fuzzCheck(event == nil, "an invalid check produced an event")
                fuzzCheck(agent.nominatedAddress == before, "an invalid check changed the nomination")
                fuzzCheck(parsed.errorCode != nil, "error response without ERROR-CODE")
            }
            if case .nominated(let address)? = event {
                fuzzCheck(address == source && agent.nominatedAddress == source, "nomination event disagrees with state")
            }
        }
        fuzzCheck(agent.validatedAddresses.count <= ICELiteAgent.maximumValidatedAddresses,
                  "validated address list exceeds its bound")
        blackHole(agent.consentExpired(now: now, timeout: .seconds(30)))
    }

    // 1. As received (integrity almost always fails: the 400/401 and drop paths).
    check(request, raw: bytes, from: sources[0])

    // 2. Re-signed with the agent's password so the fuzzer reaches the authenticated paths
    //    (unknown attributes, role conflict, validation, nomination) without forging HMACs.
    let kept = request.attributes.filter {
        $0.type != .messageIntegrity && $0.type != .messageIntegritySHA256 && $0.type != .fingerprint
    }
    guard kept.count + 2 <= STUNMessage.maximumAttributeCount, bytes.count + 32 <= STUNMessage.headerLength + 0xFFFF
    else { return }
    let signed = request.serialized(integrityKey: Array(iceFuzzLocal.pwd.utf8), addFingerprint: true)
    guard let resigned = try? STUNMessage(parsing: signed) else {
        fuzzFail("re-signed request does not parse: \(hexString(signed))")
    }
    for source in sources {
        check(resigned, raw: signed, from: source)
    }
    // Consent: the last valid check is the newest; far in the future consent has expired.
    blackHole(agent.consentExpired(now: now.advanced(by: .seconds(3600)), timeout: .seconds(30)))
}

// MARK: - RTP

@Sendable func fuzzRTP(_ bytes: [UInt8]) {
    let viewResult = bytes.withUnsafeBytes { buffer in
        Result { () throws(RTPParseError) in try RTPHeaderView(validating: buffer) }
    }
    let packetResult = Result { () throws(RTPParseError) in try RTPPacket(parsing: bytes) }

    let view: RTPHeaderView, packet: RTPPacket
    switch (viewResult, packetResult) {
    case (.failure(let a), .failure(let b)):
        fuzzCheck(a == b, "view and packet parsers reject with different errors: \(a) vs \(b)")
        return
    case (.success, .failure(let error)):
        fuzzFail("RTPHeaderView accepted what RTPPacket rejected (\(error))")
    case (.failure(let error), .success):
        fuzzFail("RTPPacket accepted what RTPHeaderView rejected (\(error))")
    case (.success(let v), .success(let p)):
        view = v
        packet = p
    }

    // The view and the value agree field by field.
    fuzzCheck(view.marker == packet.marker && view.payloadType == packet.payloadType
              && view.sequenceNumber == packet.sequenceNumber && view.timestamp == packet.timestamp
              && view.ssrc == packet.ssrc, "view and packet disagree on fixed header fields")
    fuzzCheck(view.csrcCount == packet.csrcs.count, "CSRC count differs")
    fuzzCheck(view.paddingLength == Int(packet.paddingLength), "padding differs")
    fuzzCheck(view.packetLength == bytes.count, "packet length differs")
    fuzzCheck(view.headerLength + view.payloadLength + view.paddingLength == bytes.count,
              "header + payload + padding != packet length")
    fuzzCheck(Array(bytes[view.payloadRange]) == packet.payload, "payload differs")
    fuzzCheck(view.hasExtension == (packet.headerExtension != nil), "extension presence differs")
    bytes.withUnsafeBytes { buffer in
        for i in 0..<view.csrcCount {
            fuzzCheck(view.csrc(at: i, in: buffer) == packet.csrcs[i], "CSRC \(i) differs")
        }
        fuzzCheck(view.csrc(at: view.csrcCount, in: buffer) == nil, "CSRC past the end")
        // Every present element id, and a few absent ones: the view's zero-copy lookup finds
        // what the value parser found first.
        let ids = Set((packet.headerExtension?.elements ?? []).map(\.id) + [0, 1, 14, 15, 255, bytes.last ?? 0])
        for id in ids {
            let fromView = view.extensionRange(id: id, in: buffer).map { Array(buffer[$0]) }
            fuzzCheck(fromView == packet.extensionValue(id: id), "extension element \(id) differs")
        }
    }

    // Round trip: serialize(parse(x)) parses equal to parse(x).
    let serialized = packet.serialized()
    do {
        let again = try RTPPacket(parsing: serialized)
        fuzzCheck(again == packet, "round trip changed the packet: \(packet) -> \(again)")
    } catch {
        fuzzFail("serialized packet does not parse (\(error)): \(hexString(serialized))")
    }

    // In-place rewrites keep the packet valid and change only their field.
    let selector = bytes.last ?? 0
    var copy = bytes
    let newSSRC = packet.ssrc ^ 0xA5A5_5A5A
    let newSequence = packet.sequenceNumber &+ 1
    let newTimestamp = packet.timestamp &+ 3000
    let newPayloadType = (packet.payloadType &+ 1) & 0x7F
    copy.withUnsafeMutableBytes { buffer in
        fuzzCheck(RTPHeaderView.setSSRC(newSSRC, in: buffer), "setSSRC failed")
        fuzzCheck(RTPHeaderView.setSequenceNumber(newSequence, in: buffer), "setSequenceNumber failed")
        fuzzCheck(RTPHeaderView.setTimestamp(newTimestamp, in: buffer), "setTimestamp failed")
        fuzzCheck(RTPHeaderView.setPayloadType(newPayloadType, in: buffer), "setPayloadType failed")
        fuzzCheck(!RTPHeaderView.setPayloadType(0x80 | newPayloadType, in: buffer), "setPayloadType accepted PT > 127")
        fuzzCheck(RTPHeaderView.setMarker(!packet.marker, in: buffer), "setMarker failed")
    }
    var expected = packet
    expected.ssrc = newSSRC
    expected.sequenceNumber = newSequence
    expected.timestamp = newTimestamp
    expected.payloadType = newPayloadType
    expected.marker = !packet.marker

    if let ext = packet.headerExtension, let element = ext.elements.first(where: { _ in true }) {
        // Pick an element by the selector; rewrite its value (same length) and its id.
        let elements = ext.elements
        let target = elements[Int(selector) % elements.count]
        let index = elements.firstIndex { $0.id == target.id }!
        let first = elements[index]
        let newValue = first.value.map { $0 ^ 0xFF }
        var changed = elements
        copy.withUnsafeMutableBytes { buffer in
            fuzzCheck(RTPHeaderView.setExtensionValue(id: first.id, to: newValue, in: buffer),
                      "setExtensionValue failed for a present element")
            fuzzCheck(!RTPHeaderView.setExtensionValue(id: first.id, to: newValue + [0], in: buffer),
                      "setExtensionValue accepted a different length")
        }
        changed[index] = RTPExtensionElement(id: first.id, value: newValue)!
        let isOneByte: Bool
        if case .oneByte = ext { isOneByte = true } else { isOneByte = false }
        let newID: UInt8 = isOneByte ? UInt8(selector % 14) + 1 : max(selector, 1)
        let renamed = copy.withUnsafeMutableBytes { buffer in
            RTPHeaderView.setExtensionID(first.id, to: newID, in: buffer)
        }
        fuzzCheck(renamed, "setExtensionID(\(first.id) -> \(newID)) failed for a present element")
        changed[index] = RTPExtensionElement(id: newID, value: newValue)!
        switch ext {
        case .oneByte: expected.headerExtension = .oneByte(changed)
        case .twoByte(let appBits, _): expected.headerExtension = .twoByte(appBits: appBits, changed)
        case .other: fuzzFail("RFC 8285 elements in a raw extension")
        }
        blackHole(element)
        copy.withUnsafeMutableBytes { buffer in
            fuzzCheck(!RTPHeaderView.setExtensionID(newID, to: 0, in: buffer), "setExtensionID accepted id 0")
            if isOneByte {
                fuzzCheck(!RTPHeaderView.setExtensionID(newID, to: 15, in: buffer), "setExtensionID accepted id 15 in one-byte form")
            }
        }
    } else {
        copy.withUnsafeMutableBytes { buffer in
            fuzzCheck(!RTPHeaderView.setExtensionValue(id: max(selector, 1), to: [0], in: buffer),
                      "setExtensionValue succeeded without an extension element")
        }
    }
    do {
        let rewritten = try RTPPacket(parsing: copy)
        fuzzCheck(rewritten == expected, "rewrite changed more than its fields: \(expected) vs \(rewritten)")
    } catch {
        fuzzFail("rewritten packet no longer parses (\(error)): \(hexString(copy))")
    }
}

// MARK: - RTCP

@Sendable func fuzzRTCP(_ bytes: [UInt8]) {
    blackHole(RTCPHeader.peek(bytes))
    blackHole(RTCPHeader.looksLikeRTCP(bytes))

    let (packets, error) = RTCPCompound.parsePrefix(bytes)
    // All-or-nothing parse agrees with the prefix parse.
    switch Result(catching: { () throws(RTCPError) in try RTCPCompound.parse(bytes) }) {
    case .success(let all):
        fuzzCheck(error == nil && all == packets, "parse and parsePrefix disagree")
    case .failure(let thrown):
        fuzzCheck(error == thrown, "parse threw \(thrown) but parsePrefix reported \(String(describing: error))")
    }
    // A slice that does not start at index 0 parses the same.
    let sliced = ([0xEE] + bytes)[1...]
    let (slicedPackets, slicedError) = RTCPCompound.parsePrefix(sliced)
    fuzzCheck(slicedPackets == packets && slicedError == error, "slice parse differs from array parse")

    for packet in packets {
        if case .transportWideFeedback(let feedback) = packet {
            if let results = try? feedback.packetResults() {
                fuzzCheck(results.count == Int(feedback.packetStatusCount), "TWCC result count != packet status count")
            }
        }
        blackHole(packet.packetType)
    }
    guard !packets.isEmpty else { return }

    // What parsed serializes, and the bytes parse back to the same packets.
    let serialized: [UInt8]
    do {
        serialized = try RTCPCompound.serialize(packets)
    } catch {
        fuzzFail("packets that parsed do not serialize (\(error)): \(packets)")
    }
    fuzzCheck(serialized.count % 4 == 0, "serialized compound is not a multiple of 4 octets")
    do {
        let again = try RTCPCompound.parse(serialized)
        fuzzCheck(again == packets, "re-parse differs: \(packets) -> \(again)")
    } catch {
        fuzzFail("serialized compound does not parse (\(error)): \(hexString(serialized))")
    }
}

// MARK: - SDP

@Sendable func fuzzSDP(_ bytes: [UInt8]) {
    let parsed: SessionDescription
    do {
        parsed = try SessionDescription(parsing: bytes)
    } catch {
        blackHole(error.description)
        return
    }
    // The String entry point agrees when the bytes are UTF-8 (small inputs only: it is the
    // same parser again, and parsing dominates this target's time).
    if bytes.count <= 2048, let text = String(validating: bytes, as: UTF8.self) {
        let fromString = Result { () throws(SDPParseError) in try SessionDescription(parsing: text) }
        if case .success(let other) = fromString {
            fuzzCheck(other == parsed, "String and [UInt8] parses differ")
        } else {
            fuzzFail("String parse rejected what [UInt8] parse accepted")
        }
    }

    // Typed accessors never trap on a description that parsed.
    blackHole(parsed.iceUfrag)
    blackHole(parsed.icePwd)
    blackHole(parsed.iceOptions)
    blackHole(parsed.fingerprints)
    blackHole(parsed.setup)
    blackHole(parsed.extMaps)
    blackHole(parsed.groups)
    blackHole(parsed.bundleGroup)
    blackHole(parsed.isICELite)
    blackHole(parsed.msidSemantic)
    blackHole(parsed.extmapAllowMixed)
    for m in parsed.media {
        blackHole(m.mid)
        blackHole(parsed.iceCredentials(for: m))
        blackHole(parsed.fingerprints(for: m))
        blackHole(parsed.setup(for: m))
        if let mid = m.mid { blackHole(parsed.media(mid: mid)) }
    }

    // Serialize -> parse gives back the same model, and serializing is then a fixed point.
    let text = parsed.serialized()
    let again: SessionDescription
    do {
        again = try SessionDescription(parsing: text)
    } catch {
        fuzzFail("serialized SDP does not parse (\(error)):\n\(text)")
    }
    fuzzCheck(again == parsed, "serialize -> parse changed the description:\n\(text)")
    fuzzCheck(again.serialized() == text, "serializing is not a fixed point:\n\(text)")
}

// MARK: - VP8

@Sendable func fuzzVP8(_ bytes: [UInt8]) {
    blackHole(VP8PayloadDescriptor.isKeyframeStart(bytes))
    let dimensions = VP8PayloadDescriptor.keyframeDimensions(bytes)

    let descriptor: VP8PayloadDescriptor
    do {
        descriptor = try VP8PayloadDescriptor(parsing: bytes)
    } catch {
        fuzzCheck(dimensions == nil, "keyframe dimensions from a payload whose descriptor does not parse")
        return
    }
    let raw = bytes.withUnsafeBytes { buffer in
        Result { () throws(VP8Error) in try VP8PayloadDescriptor(parsing: buffer) }
    }
    fuzzCheck((try? raw.get()) == descriptor, "raw-buffer and array descriptor parses differ")
    fuzzCheck(descriptor.headerSize >= 1 && descriptor.headerSize <= min(6, bytes.count),
              "headerSize \(descriptor.headerSize) out of range for \(bytes.count) bytes")

    // Round trip: every parsed field is in range, and the encoding parses back equal.
    let encoded: [UInt8]
    do {
        encoded = try descriptor.serialized()
    } catch {
        fuzzFail("parsed descriptor does not serialize (\(error)): \(descriptor)")
    }
    fuzzCheck(encoded.count == descriptor.headerSize, "encoded size \(encoded.count) != headerSize \(descriptor.headerSize)")
    fuzzCheck((try? VP8PayloadDescriptor(parsing: encoded)) == descriptor, "descriptor round trip differs")

    // Keyframe detection agrees with the frame header after the descriptor.
    let frame = Array(bytes[descriptor.headerSize...])
    let header = frame.withUnsafeBytes { buffer in
        Result { () throws(VP8Error) in try VP8PayloadHeader(parsing: buffer) }
    }
    let startsKeyframe = VP8PayloadDescriptor.isKeyframeStart(bytes)
    fuzzCheck(startsKeyframe == (descriptor.isFrameStart && (frame.first.map { $0 & 0x01 == 0 } ?? false)),
              "isKeyframeStart disagrees with the descriptor and the frame's P bit")
    if let header = try? header.get() {
        fuzzCheck(header.version <= 7 && header.firstPartitionSize < 1 << 19, "frame tag fields out of range")
        fuzzCheck(!descriptor.isFrameStart || header.isKeyframe == startsKeyframe, "frame tag and isKeyframeStart disagree")
    }
    if let dimensions {
        fuzzCheck(startsKeyframe, "dimensions without a keyframe start")
        fuzzCheck((0...0x3FFF).contains(dimensions.width) && (0...0x3FFF).contains(dimensions.height)
                  && dimensions.horizontalScale <= 3 && dimensions.verticalScale <= 3, "dimensions out of range")
        var written: [UInt8] = []
        dimensions.write(into: &written)
        fuzzCheck(frame.count >= 10 && written == Array(frame[3..<10]), "dimensions do not re-encode to the frame bytes")
    } else if startsKeyframe && frame.count >= 10 && frame[3] == 0x9D && frame[4] == 0x01 && frame[5] == 0x2A {
        fuzzFail("keyframe with a start code but no dimensions")
    }

    // In-place rewrites touch only their field.
    let selector = UInt16(bytes.last ?? 0) &* 257
    var copy = bytes
    do {
        try VP8PayloadDescriptor.rewritePictureID(selector, in: &copy)
        fuzzCheck(descriptor.pictureID != nil, "rewritePictureID succeeded without a picture ID")
        var expected = descriptor
        expected.pictureID = selector & (descriptor.pictureIDIs15Bit ? 0x7FFF : 0x7F)
        fuzzCheck((try? VP8PayloadDescriptor(parsing: copy)) == expected, "rewritePictureID changed other fields")
        fuzzCheck(copy[descriptor.headerSize...] == bytes[descriptor.headerSize...], "rewritePictureID touched the payload")
    } catch {
        fuzzCheck(error == .fieldAbsent && descriptor.pictureID == nil, "rewritePictureID failed: \(error)")
    }
    copy = bytes
    let tl0 = UInt8(truncatingIfNeeded: selector)
    do {
        try VP8PayloadDescriptor.rewriteTL0PicIdx(tl0, in: &copy)
        fuzzCheck(descriptor.tl0PicIdx != nil, "rewriteTL0PicIdx succeeded without TL0PICIDX")
        var expected = descriptor
        expected.tl0PicIdx = tl0
        fuzzCheck((try? VP8PayloadDescriptor(parsing: copy)) == expected, "rewriteTL0PicIdx changed other fields")
        fuzzCheck(copy[descriptor.headerSize...] == bytes[descriptor.headerSize...], "rewriteTL0PicIdx touched the payload")
    } catch {
        fuzzCheck(error == .fieldAbsent && descriptor.tl0PicIdx == nil, "rewriteTL0PicIdx failed: \(error)")
    }
}

// MARK: - Opus

@Sendable func fuzzOpus(_ bytes: [UInt8]) {
    let count = OpusTOC.frameCount(of: bytes)
    let duration = OpusTOC.packetDuration(of: bytes)
    bytes.withUnsafeBytes { buffer in
        fuzzCheck(OpusTOC.frameCount(of: buffer) == count && OpusTOC.packetDuration(of: buffer) == duration,
                  "raw-buffer and array results differ")
    }
    guard let toc = OpusTOC(payload: bytes) else {
        fuzzCheck(count == nil && duration == nil, "empty packet has a frame count")
        return
    }
    blackHole(toc.mode)
    blackHole(toc.bandwidth)
    blackHole(toc.isStereo)
    fuzzCheck([120, 240, 480, 960, 1920, 2880].contains(toc.frameDuration), "odd frame duration \(toc.frameDuration)")
    if let count {
        fuzzCheck((1...48).contains(count), "frame count \(count) out of range")
        switch toc.frameCountCode {
        case 0: fuzzCheck(count == 1, "code 0 with \(count) frames")
        case 1, 2: fuzzCheck(count == 2, "code \(toc.frameCountCode) with \(count) frames")
        default: fuzzCheck(bytes.count >= 2 && count == Int(bytes[1] & 0x3F), "code 3 count mismatch")
        }
        if toc.frameCountCode != 3 {
            fuzzCheck(bytes.count <= 1 + 2 + 2 * OpusTOC.maxFrameLength, "accepted an oversized code \(toc.frameCountCode) packet")
        }
    }
    if let duration {
        fuzzCheck(count != nil, "duration without a frame count")
        fuzzCheck(duration == count! * toc.frameDuration, "duration \(duration) != \(count!) x \(toc.frameDuration)")
        fuzzCheck(duration > 0 && duration <= OpusTOC.maxPacketDuration, "duration \(duration) out of range")
    } else if let count {
        fuzzCheck(count * toc.frameDuration > OpusTOC.maxPacketDuration, "valid frame count but no duration")
    }
}

// MARK: - DTLS

/// One self-signed certificate and context for the whole run (key generation is slow and the
/// context is read-only after creation).
let dtlsFuzzContext: DTLSContext = {
    do {
        let certificate = try DTLSCertificate.generateSelfSigned(commonName: "fuzz")
        return try DTLSContext(certificate: certificate)
    } catch {
        fuzzFail("cannot create the DTLS context: \(error)")
    }
}()

/// A fixed fingerprint nobody's certificate has: a handshake that got that far must fail.
let dtlsFuzzExpected = DTLSFingerprint(bytes: [UInt8](repeating: 0xAB, count: 32))

@Sendable func fuzzDTLS(_ bytes: [UInt8]) {
    let start = ContinuousClock.now
    let endpoint: DTLSEndpoint
    do {
        endpoint = try DTLSEndpoint(context: dtlsFuzzContext, role: .server,
                                    expectedRemoteFingerprint: bytes.count % 2 == 0 ? dtlsFuzzExpected : nil,
                                    handshakeTimeout: .seconds(30), now: start)
    } catch {
        fuzzFail("cannot create a DTLS endpoint: \(error)")
    }
    fuzzCheck(endpoint.state == .new, "new endpoint not in state new")
    blackHole(endpoint.start())
    // The datagram, then the same datagram again (a retransmission), then a retransmission
    // timer tick and the handshake deadline.
    for _ in 0..<2 {
        let out = endpoint.receive(bytes)
        for datagram in out.datagrams {
            fuzzCheck(!datagram.isEmpty && datagram.count <= 1500, "endpoint emitted a \(datagram.count)-byte datagram")
        }
        // Garbage cannot complete a handshake: no certificate was ever presented.
        if case .connected? = out.event { fuzzFail("DTLS connected from fuzz input") }
        fuzzCheck(out.applicationData.isEmpty, "application data before a handshake")
    }
    blackHole(endpoint.poll(now: start.advanced(by: .seconds(2))))
    if endpoint.state == .handshaking || endpoint.state == .new {
        let late = endpoint.poll(now: start.advanced(by: .seconds(31)))
        fuzzCheck(late.event == .failed(.timedOut) && endpoint.state == .failed, "handshake deadline did not fail the endpoint")
    }
    blackHole(endpoint.send(applicationData: [1, 2, 3]))
    blackHole(endpoint.close())
    blackHole(endpoint.receive(bytes))
}

// MARK: - Helpers

func hexString(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef")
    var out = ""
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return out
}

// MARK: Data channels

/// First byte even: the rest is a DCEP message; odd: a LiveKit DataPacket from a client.
@Sendable func fuzzData(_ bytes: [UInt8]) {
    guard let selector = bytes.first else { return }
    let body = Array(bytes.dropFirst())
    if selector % 2 == 0 {
        guard let message = try? DCEPMessage.parse(body) else { return }
        let again = try? DCEPMessage.parse(message.bytes)
        fuzzCheck(again == message, "DCEP round trip: \(message) -> \(String(describing: again))")
        return
    }
    guard let forwarded = try? ForwardedDataPacket(bytes: body, senderSid: "PA_fuzz", senderIdentity: "fuzzer") else { return }
    // What we forward decodes, names the real sender and no recipients.
    guard let again = try? ForwardedDataPacket(bytes: forwarded.encoded, senderSid: "PA_fuzz", senderIdentity: "fuzzer") else {
        fuzzFail("a forwarded DataPacket does not decode again")
    }
    fuzzCheck(again.packet.participantIdentity == "fuzzer" && again.packet.participantSid == "PA_fuzz", "sender not stamped")
    fuzzCheck(again.packet.destinationIdentities.isEmpty && again.destinations.isEmpty, "recipients leaked")
    if case .user(let user)? = again.packet.value {
        fuzzCheck(user.participantIdentity == "fuzzer" && user.destinationIdentities.isEmpty, "user packet not stamped")
    }
}
