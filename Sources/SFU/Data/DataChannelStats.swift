import Synchronization

/// Server-wide data channel counters for /metrics (low rate: one lock per message is fine).
public final class DataChannelStats: Sendable {
    public enum Counter: String, CaseIterable, Sendable {
        /// DataPackets received from participants.
        case received
        /// Deliveries to recipients (one packet to three recipients counts three).
        case delivered
        /// Dropped: not a DataPacket.
        case droppedMalformed = "dropped_malformed"
        /// Dropped: the sender lacks canPublishData.
        case droppedNotPermitted = "dropped_not_permitted"
        /// Dropped: a kind clients may not send (server-only, or nothing).
        case droppedKind = "dropped_kind"
        /// Dropped: a lossy packet to a recipient whose send buffer is full.
        case droppedBufferFull = "dropped_buffer_full"
        /// Dropped: more packets waited for the room than it holds (a flooding sender).
        case droppedInboxFull = "dropped_inbox_full"
        /// Dropped: the recipient's channels are not open (yet).
        case droppedNotOpen = "dropped_not_open"
        /// Dropped: larger than the recipient's data channel takes.
        case droppedTooLarge = "dropped_too_large"
        /// Participants disconnected because their reliable channel's send buffer overflowed.
        case slowReceiversDisconnected = "slow_receivers_disconnected"
        /// SCTP/DCEP input that was dropped (malformed DCEP, unknown stream or PPID, oversized).
        case droppedSCTP = "dropped_sctp"
    }

    private let counts = Mutex<[Counter: Int]>([:])

    public init() {}

    func add(_ counter: Counter, _ n: Int = 1) { counts.withLock { $0[counter, default: 0] += n } }

    public subscript(counter: Counter) -> Int { counts.withLock { $0[counter] ?? 0 } }
}
