// An ICE-lite connectivity check as the media loop handles it: parse the Binding request
// (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE, MESSAGE-INTEGRITY, FINGERPRINT), then
// ICELiteAgent.handle: verify FINGERPRINT and MESSAGE-INTEGRITY (HMAC-SHA1 with the local
// password) and build the signed success response (XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY,
// FINGERPRINT). A browser sends these every ~2.5 s per candidate pair (consent freshness),
// more during nomination.
//
// The request is built once in setup; after the first check the pair is already validated and
// nominated, as in steady state. Each sample handles it 1000 times (per-check numbers).
import Benchmark
import ICE
import STUN

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

final class CheckState: @unchecked Sendable {
    let local = ICECredentials(ufrag: "srvUfrag", pwd: "serverpassword0123456789")
    let remote = ICECredentials(ufrag: "cliU", pwd: "clientpassword0123456789")
    let source = STUNAddress(ipv4: 127, 0, 0, 1, port: 50_000)
    let agent: ICELiteAgent
    let raw: [UInt8]
    let now = ContinuousClock.now

    init() throws {
        agent = ICELiteAgent(local: local, remote: remote, now: now)
        let request = STUNMessage(type: .bindingRequest, attributes: [
            .username("\(local.ufrag):\(remote.ufrag)"),
            .priority(0x6E7F_1EFF),
            .iceControlling(0x0123_4567_89AB_CDEF),
            .useCandidate,
        ])
        raw = request.serialized(integrityKey: Array(local.pwd.utf8), addFingerprint: true)
        // Sanity: the check must succeed, or the benchmark would time the error path.
        let parsed = try STUNMessage(parsing: raw)
        guard case .respond(_, _, valid: true) = agent.handle(parsed, raw: raw, from: source, now: now) else {
            throw SetupError(reason: "the prepared check was not answered with a success")
        }
    }
}

struct SetupError: Error { let reason: String }

let benchmarks: @Sendable () -> Void = {
    Benchmark("STUN Binding request parse (6 attributes)", configuration: configuration(),
              closure: { benchmark, state in
        for _ in benchmark.scaledIterations {
            do {
                blackHole(try STUNMessage(parsing: state.raw))
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
    }, setup: { try CheckState() })

    Benchmark("ICE-lite check: parse + verify MI/FP + signed success", configuration: configuration(),
              closure: { benchmark, state in
        for _ in benchmark.scaledIterations {
            do {
                let request = try STUNMessage(parsing: state.raw)
                let outcome = state.agent.handle(request, raw: state.raw, from: state.source, now: state.now)
                guard case .respond(let response, _, valid: true) = outcome else {
                    benchmark.error("check was not answered with a success: \(outcome)")
                    return
                }
                blackHole(response)
            } catch {
                benchmark.error("parse failed: \(error)")
                return
            }
        }
    }, setup: { try CheckState() })
}
