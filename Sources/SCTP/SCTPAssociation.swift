import CUSRSCTP
import Glibc
import Synchronization

/// The thread that owns an association (the media loop): usrsctp may call back from another
/// thread (a timer run by a different loop), and those calls are moved onto the owner's.
public protocol SCTPOwnerThread: Sendable {
    var isCurrent: Bool { get }
    func execute(_ work: @escaping @Sendable () -> Void)
}

/// One SCTP association over DTLS (RFC 8261), as WebRTC data channels use it (RFC 8831 §6):
/// usrsctp in AF_CONN mode, both ends connecting from port 5000 (simultaneous open), the
/// packets carried by the owner's DTLS transport.
///
/// Threading: create, use and close on the owner thread; callbacks run there too.
/// `close()` must be called: until then the association stays registered (and alive).
public final class SCTPAssociation: @unchecked Sendable {
    public enum State: Equatable, Sendable {
        case new, connecting, established
        case closed(String)
        public var isClosed: Bool { if case .closed = self { true } else { false } }
    }

    public enum SendResult: Equatable, Sendable {
        case sent
        /// The send buffer is full: the peer is not taking data as fast as it is offered.
        case bufferFull
        case tooLarge
        case notConnected
        case failed(Int32)
    }

    public private(set) var state: State = .new
    public let maxMessageSize: Int
    /// A whole message: stream id, payload protocol identifier, bytes.
    public var onMessage: ((UInt16, UInt32, [UInt8]) -> Void)?
    public var onStateChange: ((State) -> Void)?
    /// The peer reset (closed) these incoming streams.
    public var onStreamsReset: (([UInt16]) -> Void)?
    /// Messages dropped on receipt: larger than `maxMessageSize` when reassembled.
    public private(set) var oversizedDropped = 0

    private let owner: any SCTPOwnerThread
    private let output: ([UInt8]) -> Void
    private let localPort: UInt16, remotePort: UInt16
    private var socket: OpaquePointer?
    /// What usrsctp knows us by: a number, looked up in `live` under a lock, never a pointer to
    /// this object, so a callback racing with `close()` on another thread finds nothing rather
    /// than freed memory.
    private let token: Int
    private var registered = false
    /// Fragments of a message being delivered in parts (partial delivery), per stream; nil
    /// bytes: the message grew too large and the rest of it is being dropped.
    private var partial: [UInt16: [UInt8]?] = [:]

    private static let live = Mutex<[Int: SCTPAssociation]>([:])
    private static let nextToken = Atomic<Int>(1)

    private static func association(_ address: UnsafeMutableRawPointer?) -> SCTPAssociation? {
        guard let address else { return nil }
        let token = Int(bitPattern: address)
        return live.withLock { $0[token] }
    }

    private var address: UnsafeMutableRawPointer { UnsafeMutableRawPointer(bitPattern: token)! }

    /// - Parameters: output sends one SCTP packet over DTLS (called on the owner thread);
    ///   sendBufferSize bounds what may wait for the peer's acknowledgement.
    public init(owner: any SCTPOwnerThread, localPort: UInt16 = 5000, remotePort: UInt16 = 5000,
                maxMessageSize: Int = 262_144, sendBufferSize: Int = 1 << 20,
                output: @escaping ([UInt8]) -> Void) throws(SCTPError) {
        SCTPStack.start()
        self.owner = owner
        self.output = output
        self.localPort = localPort
        self.remotePort = remotePort
        self.maxMessageSize = maxMessageSize
        token = Self.nextToken.wrappingAdd(1, ordering: .relaxed).oldValue
        let address = UnsafeMutableRawPointer(bitPattern: token)!
        Self.live.withLock { $0[token] = self }
        usrsctp_register_address(address)
        registered = true
        guard let socket = usrsctp_socket(AF_CONN, Int32(SOCK_STREAM.rawValue), Int32(IPPROTO_SCTP), { _, _, data, length, info, flags, ulp in
            defer { free(data) }
            guard let association = SCTPAssociation.association(ulp) else { return 1 }
            let bytes = data.map { Array(UnsafeRawBufferPointer(start: $0, count: length)) }
            association.onOwner { association.handle(bytes: bytes, streamID: info.rcv_sid, ppid: UInt32(bigEndian: info.rcv_ppid),
                                                     flags: flags) }
            return 1
        }, nil, 0, address) else {
            close(reason: "no socket")
            throw .socket(errno)
        }
        self.socket = socket
        let configured = sb_sctp_configure(socket, Int32(sendBufferSize), Int32(maxMessageSize))
        let bound = configured == 0 ? sb_sctp_bind(socket, address, localPort) : configured
        guard bound == 0 else {
            close(reason: "setup failed")
            throw .socket(bound)
        }
    }

    /// Sends INIT (the peer does the same; either INIT completes the association).
    public func connect() {
        guard state == .new, let socket else { return }
        transition(.connecting)
        let rc = sb_sctp_connect(socket, address, remotePort)
        if rc != 0 { close(reason: "connect: \(String(cString: strerror(rc)))") }
    }

    /// One SCTP packet from DTLS.
    public func receive(_ packet: [UInt8]) {
        guard socket != nil, !state.isClosed else { return }
        let address = self.address
        packet.withUnsafeBytes { usrsctp_conninput(address, $0.baseAddress, $0.count, 0) }
    }

    /// How hard SCTP tries to deliver a message (partial reliability, RFC 3758).
    public enum Delivery: Equatable, Sendable {
        case reliable
        case maxRetransmits(UInt32)
        case maxLifetimeMilliseconds(UInt32)
    }

    /// Sends one message on `streamID`.
    public func send(streamID: UInt16, ppid: UInt32, ordered: Bool, delivery: Delivery = .reliable,
                     _ data: [UInt8]) -> SendResult {
        guard state == .established, let socket else { return .notConnected }
        guard data.count <= maxMessageSize else { return .tooLarge }
        let (policy, limit): (Int32, UInt32) = switch delivery {
        case .reliable: (0, 0)
        case .maxRetransmits(let n): (1, n)
        case .maxLifetimeMilliseconds(let ms): (2, ms)
        }
        let rc = data.withUnsafeBytes {
            sb_sctp_send(socket, streamID, ppid, ordered ? 1 : 0, policy, limit, $0.baseAddress, $0.count)
        }
        switch rc {
        case 0: return .sent
        case EWOULDBLOCK, EAGAIN, ENOBUFS: return .bufferFull
        case EMSGSIZE: return .tooLarge
        default: return .failed(rc)
        }
    }

    /// Closes our side of a stream (RFC 8831 §6.7: a data channel closes by resetting its streams).
    public func resetStream(_ streamID: UInt16) {
        guard state == .established, let socket else { return }
        _ = sb_sctp_reset_stream(socket, streamID)
    }

    /// Aborts the association and releases usrsctp's reference. Idempotent.
    public func close() { close(reason: "closed") }

    /// Runs the process's SCTP timers; call from the owner's periodic tick.
    public static func handleTimers() { SCTPStack.handleTimers() }

    // MARK: - usrsctp callbacks

    static func output(address: UnsafeMutableRawPointer, packet: UnsafeRawBufferPointer) {
        guard let association = association(address) else { return }
        let bytes = Array(packet)
        association.onOwner { association.output(bytes) }
    }

    private func onOwner(_ work: @escaping @Sendable () -> Void) {
        if owner.isCurrent { work() } else { owner.execute(work) }
    }

    private func handle(bytes: [UInt8]?, streamID: UInt16, ppid: UInt32, flags: Int32) {
        guard let bytes else {
            // No data: the association's socket was shut down.
            closeLater(reason: "shut down by peer")
            return
        }
        if flags & Int32(MSG_NOTIFICATION) != 0 {
            handleNotification(bytes)
            return
        }
        guard !state.isClosed else { return }
        let complete = flags & Int32(MSG_EOR) != 0
        if complete && partial[streamID] == nil {
            guard bytes.count <= maxMessageSize else { oversizedDropped += 1; return }
            onMessage?(streamID, ppid, bytes)
            return
        }
        // Partial delivery: collect the pieces; past the limit, drop them until the end of the message.
        var buffer = partial[streamID] ?? []
        if let collected = buffer {
            buffer = collected.count + bytes.count <= maxMessageSize ? collected + bytes : nil
        }
        guard complete else { partial[streamID] = .some(buffer); return }
        partial[streamID] = nil
        guard let message = buffer else { oversizedDropped += 1; return }
        onMessage?(streamID, ppid, message)
    }

    private func handleNotification(_ bytes: [UInt8]) {
        guard bytes.count >= 8 else { return }
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return }
            switch Int32(sb_sctp_notification_type(base)) {
            case Int32(SCTP_ASSOC_CHANGE):
                switch Int32(sb_sctp_assoc_change_state(base)) {
                case Int32(SCTP_COMM_UP): transition(.established)
                case Int32(SCTP_COMM_LOST): closeLater(reason: "association lost")
                case Int32(SCTP_SHUTDOWN_COMP): closeLater(reason: "shut down")
                case Int32(SCTP_CANT_STR_ASSOC): closeLater(reason: "could not start the association")
                default: break
                }
            case Int32(SCTP_PARTIAL_DELIVERY_EVENT):
                // The rest of a message in parts will not come: start the stream afresh.
                partial[UInt16(truncatingIfNeeded: sb_sctp_pdapi_stream(base))] = nil
            case Int32(SCTP_STREAM_RESET_EVENT):
                let flags = Int32(sb_sctp_reset_event_flags(base))
                guard flags & Int32(SCTP_STREAM_RESET_INCOMING_SSN) != 0,
                      flags & Int32(SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED) == 0 else { return }
                let count = sb_sctp_reset_event_count(base, raw.count)
                let streams = (0..<count).map { sb_sctp_reset_event_stream(base, $0) }
                for s in streams { partial[s] = nil }
                if !streams.isEmpty { onStreamsReset?(streams) }
            default:
                break
            }
        }
    }

    /// Closing from inside a usrsctp callback would re-enter it: close after the call returns.
    private func closeLater(reason: String) {
        owner.execute { [self] in close(reason: reason) }
    }

    private func transition(_ new: State) {
        guard state != new, !state.isClosed else { return }
        state = new
        onStateChange?(new)
    }

    private func close(reason: String) {
        if let socket {
            self.socket = nil
            usrsctp_close(socket)
        }
        if registered {
            registered = false
            usrsctp_deregister_address(address)
            Self.live.withLock { $0[token] = nil }
        }
        transition(.closed(reason))
        onMessage = nil
        onStateChange = nil
        onStreamsReset = nil
    }
}

public enum SCTPError: Error, Sendable, CustomStringConvertible {
    case socket(Int32)
    public var description: String {
        switch self {
        case .socket(let e): return "SCTP socket: \(String(cString: strerror(e)))"
        }
    }
}
