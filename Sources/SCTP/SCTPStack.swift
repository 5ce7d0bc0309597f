import CUSRSCTP
import Synchronization

/// The process's usrsctp instance, started once, without threads of its own: packets enter
/// through `SCTPAssociation.receive`, and timers (retransmission, heartbeat, delayed SACK) run
/// when an owner calls `SCTPStack.handleTimers` from its periodic tick. usrsctp keeps global
/// state, so there is exactly one of these.
public enum SCTPStack {
    private static let started: Bool = {
        usrsctp_init_nothreads(0, { address, buffer, length, _, _ in
            guard let address, let buffer else { return 0 }
            SCTPAssociation.output(address: address, packet: UnsafeRawBufferPointer(start: buffer, count: length))
            return 0
        }, nil)
        // WebRTC's data channel profile (RFC 8831 §6.2): no ECN over DTLS, answer at once with
        // a SACK when asked, and a delayed SACK short enough for interactive messages.
        usrsctp_sysctl_set_sctp_ecn_enable(0)
        usrsctp_sysctl_set_sctp_enable_sack_immediately(1)
        usrsctp_sysctl_set_sctp_delayed_sack_time_default(20)
        // Fail an association whose peer stopped answering within about 10 s, not minutes.
        usrsctp_sysctl_set_sctp_init_rtx_max_default(8)
        usrsctp_sysctl_set_sctp_assoc_rtx_max_default(10)
        usrsctp_sysctl_set_sctp_rto_max_default(2_000)
        return true
    }()

    private static let lastTimers = Mutex<ContinuousClock.Instant?>(nil)

    public static func start() { _ = started }

    /// SCTP packets dropped on input as malformed or not for us (process-wide, since start).
    public static var inputDropped: Int {
        start()
        return Int(sb_sctp_input_dropped())
    }

    /// Advances usrsctp's timers by the time since the last call. Cheap when called often and
    /// from several threads: at most one caller runs the timers per 10 ms.
    public static func handleTimers(now: ContinuousClock.Instant = .now) {
        start()
        let elapsed: UInt32? = lastTimers.withLock { last in
            guard let previous = last else { last = now; return nil }
            let ms = (now - previous) / .milliseconds(1)
            guard ms >= 10 else { return nil }
            last = now
            return UInt32(min(ms, 10_000))
        }
        if let elapsed { usrsctp_handle_timers(elapsed) }
    }
}
