@testable import RTP

/// Bytes from a hex string; whitespace is ignored.
func hex(_ text: String) -> [UInt8] {
    let digits = text.filter { !$0.isWhitespace }.map { String($0) }
    return stride(from: 0, to: digits.count - 1, by: 2).compactMap { UInt8(digits[$0] + digits[$0 + 1], radix: 16) }
}

/// A seeded generator (SplitMix64) so randomized tests are reproducible.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func element(_ id: UInt8, _ value: [UInt8]) -> RTPExtensionElement {
    guard let element = RTPExtensionElement(id: id, value: value) else { fatalError("bad test element") }
    return element
}

func randomBytes(_ count: Int, using rng: inout SeededGenerator) -> [UInt8] {
    (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
}

/// A random well-formed packet covering every shape the serializer produces.
func randomPacket(using rng: inout SeededGenerator) -> RTPPacket {
    var headerExtension: RTPHeaderExtension?
    switch Int.random(in: 0..<4, using: &rng) {
    case 0:
        headerExtension = nil
    case 1:
        let elements = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
            element(UInt8.random(in: 1...14, using: &rng), randomBytes(Int.random(in: 1...16, using: &rng), using: &rng))
        }
        headerExtension = .oneByte(elements)
    case 2:
        let elements = (0..<Int.random(in: 0...6, using: &rng)).map { _ in
            element(UInt8.random(in: 1...255, using: &rng), randomBytes(Int.random(in: 0...40, using: &rng), using: &rng))
        }
        headerExtension = .twoByte(appBits: UInt8.random(in: 0...15, using: &rng), elements)
    default:
        var profile = UInt16.random(in: 0...0xFFFF, using: &rng)
        if profile == 0xBEDE || profile & 0xFFF0 == 0x1000 { profile = 0x0001 }
        headerExtension = .other(profile: profile, data: randomBytes(4 * Int.random(in: 0...5, using: &rng), using: &rng))
    }
    return RTPPacket(
        marker: Bool.random(using: &rng),
        payloadType: UInt8.random(in: 0...127, using: &rng),
        sequenceNumber: UInt16.random(in: 0...UInt16.max, using: &rng),
        timestamp: UInt32.random(in: 0...UInt32.max, using: &rng),
        ssrc: UInt32.random(in: 0...UInt32.max, using: &rng),
        csrcs: (0..<Int.random(in: 0...15, using: &rng)).map { _ in UInt32.random(in: 0...UInt32.max, using: &rng) },
        headerExtension: headerExtension,
        payload: randomBytes(Int.random(in: 0...200, using: &rng), using: &rng),
        paddingLength: Bool.random(using: &rng) ? UInt8.random(in: 1...255, using: &rng) : 0)
}

/// Validates `bytes` with the view, keeping the typed error.
func validateView(_ bytes: [UInt8]) -> Result<RTPHeaderView, RTPParseError> {
    bytes.withUnsafeBytes { buffer in
        do throws(RTPParseError) {
            return .success(try RTPHeaderView(validating: buffer))
        } catch {
            return .failure(error)
        }
    }
}
