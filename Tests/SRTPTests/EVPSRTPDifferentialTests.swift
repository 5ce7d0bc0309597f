import XCTest
@testable import SRTP

/// Differential test against libsrtp: random sequence-number walks (small steps, reordering,
/// duplicates, jumps to and past the 1024-packet window edge, wraps) go through both senders and
/// both receivers; every packet must get the same bytes out and the same accept/reject decision.
final class EVPSRTPDifferentialTests: XCTestCase {
    private typealias T = EVPTestSupport

    private enum Outcome: Equatable { case accepted, replayed, authenticationFailed, other }

    private func outcome(_ body: () throws -> Void) -> Outcome {
        switch T.error(body) {
        case nil: return .accepted
        case .replayed?: return .replayed
        case .authenticationFailed?: return .authenticationFailed
        default: return .other
        }
    }

    func testRandomWalksDecideLikeLibsrtp() throws {
        for profile in SRTPProfile.allCases {
            for seed in UInt64(1)...3 {
                var rng = SplitMix64(seed: seed)  // reproducible walks
                let s = try T.Sessions(profile)
                var seq = UInt16.random(in: 0...UInt16.max, using: &rng)
                var sent: [[UInt8]] = []
                var counts: [Outcome: Int] = [:]
                for _ in 0..<3_000 {
                    switch Int.random(in: 0..<100, using: &rng) {
                    case 0..<70: seq &+= 1
                    case 70..<80: seq &-= UInt16.random(in: 1...40, using: &rng)
                    case 80..<85: seq &+= UInt16.random(in: 2...3_000, using: &rng)
                    case 85..<90: seq &-= UInt16.random(in: 1_000...1_100, using: &rng)  // around the window edge
                    case 90..<93: seq &+= UInt16.random(in: 20_000...40_000, using: &rng)  // near-ambiguous ROC jumps
                    default:
                        // Duplicate something already sent (a replay on the wire).
                        if let old = sent.randomElement(using: &rng) {
                            var a = old, b = old
                            let ours = outcome { try s.evpIn.unprotectRTP(&a) }
                            let theirs = outcome { try s.libIn.unprotectRTP(&b) }
                            XCTAssertEqual(ours, theirs, "\(profile) duplicate")
                            counts[ours, default: 0] += 1
                        }
                        continue
                    }
                    let plain = T.rtp(seq: seq, ssrc: 0x5150_0001, csrcs: Int(seq % 3), extensionWords: Int(seq % 2),
                                      payload: Int(seq % 200))
                    var theirs = plain, ours = plain
                    guard (try? s.libOut.protectRTP(&theirs)) != nil else { continue }  // libsrtp refuses ages >= 1024
                    try s.evpOut.protectRTP(&ours)
                    XCTAssertEqual(ours, theirs, "\(profile) seq \(seq)")
                    sent.append(theirs)
                    var a = theirs, b = theirs
                    let decisionOurs = outcome { try s.evpIn.unprotectRTP(&a) }
                    let decisionTheirs = outcome { try s.libIn.unprotectRTP(&b) }
                    XCTAssertEqual(decisionOurs, decisionTheirs, "\(profile) seed \(seed) seq \(seq)")
                    if decisionOurs == .accepted { XCTAssertEqual(a, plain) }
                    counts[decisionOurs, default: 0] += 1
                }
                // The walk exercised acceptance and both kinds of refusal.
                XCTAssertGreaterThan(counts[.accepted, default: 0], 500, "\(profile) seed \(seed) \(counts)")
                XCTAssertGreaterThan(counts[.replayed, default: 0], 10, "\(profile) seed \(seed) \(counts)")
                XCTAssertGreaterThan(counts[.authenticationFailed, default: 0], 0, "\(profile) seed \(seed) \(counts)")
            }
        }
    }
}

/// A small seeded generator (SplitMix64) so that a failing walk can be replayed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
