import DataChannel
import MediaTransport
import SCTP

/// LiveKit's two data channels (`_reliable`: ordered and reliable; `_lossy`: unordered, sent
/// once) on one peer connection. The client opens them on its publisher connection; we open
/// them on the subscriber connection, where LiveKit SDKs receive.
enum DataChannelKind: Sendable {
    case reliable, lossy

    init?(label: String) {
        switch label {
        case "_reliable": self = .reliable
        case "_lossy": self = .lossy
        default: return nil
        }
    }

    var parameters: DataChannelParameters {
        switch self {
        case .reliable: DataChannelParameters(label: "_reliable", reliability: .reliable(ordered: true))
        case .lossy: DataChannelParameters(label: "_lossy", reliability: .maxRetransmits(0, ordered: false))
        }
    }
}

extension TransportServer: SCTPOwnerThread {}

/// The data channels of one peer connection: an SCTP association over its DTLS transport,
/// started when DTLS connects (or when the peer's first SCTP packet arrives, whichever is
/// first), and the channels on it.
///
/// Threading: the media loop, like the transport.
final class PeerDataChannels: @unchecked Sendable {
    enum Role { case publisher, subscriber }

    /// Bytes one association may have unacknowledged: a receiver that falls this far behind
    /// loses lossy packets and, on the reliable channel, its connection.
    static let sendBufferSize = 4 << 20
    static let maxMessageSize = 262_144

    let role: Role
    private let transports: TransportServer
    private let stats: DataChannelStats
    private unowned let transport: WebRTCTransport
    private var endpoint: DataChannelEndpoint?
    private var reportedSCTPDrops = 0
    /// A message on `_reliable` or `_lossy` from the peer (publisher role).
    var onMessage: ((DataChannelKind, [UInt8]) -> Void)?
    /// The reliable channel could not take a message: the receiver is too slow (subscriber role).
    var onOverflow: (() -> Void)?
    /// Our `_reliable` and `_lossy` are open: messages sent now arrive (subscriber role).
    var onOpen: (() -> Void)?

    init(role: Role, transport: WebRTCTransport, transports: TransportServer, stats: DataChannelStats) {
        self.role = role
        self.transport = transport
        self.transports = transports
        self.stats = stats
    }

    var isOpen: Bool { endpoint?.association.state == .established }

    /// Off for a peer that negotiated no application section (a WHEP viewer): no association
    /// is started, and nothing sent to it counts as dropped (media loop only).
    var enabled = true

    /// DTLS connected: start the association; the transport closed: end it.
    func transportStateChanged(_ state: TransportState) {
        switch state {
        case .connected: if enabled { start() }
        case .closed: close()
        case .new, .checking: break
        }
    }

    func receive(_ packet: [UInt8]) {
        guard enabled else { return }
        start()
        endpoint?.association.receive(packet)
    }

    func tick() {
        guard endpoint != nil else { return }
        SCTPAssociation.handleTimers()
        if let endpoint {
            let c = endpoint.counters
            let drops = c.malformedDCEP + c.unknownStream + c.unknownPPID + endpoint.association.oversizedDropped
            if drops > reportedSCTPDrops {
                stats.add(.droppedSCTP, drops - reportedSCTPDrops)
                reportedSCTPDrops = drops
            }
        }
    }

    /// Sends one encoded DataPacket to the peer on the channel of `kind` (subscriber role).
    func send(_ bytes: [UInt8], kind: DataChannelKind) {
        guard enabled else { return }
        guard let endpoint, let channel = endpoint.channel(label: kind.parameters.label) else {
            stats.add(.droppedNotOpen)
            return
        }
        switch endpoint.send(bytes, binary: true, on: channel.id) {
        case .sent:
            stats.add(.delivered)
        case .bufferFull:
            if kind == .lossy {
                stats.add(.droppedBufferFull)
            } else {
                stats.add(.slowReceiversDisconnected)
                onOverflow?()
            }
        case .tooLarge:
            stats.add(.droppedTooLarge)
        case .notConnected, .failed:
            stats.add(.droppedNotOpen)
        }
    }

    func close() {
        endpoint?.association.close()
        endpoint = nil
        onMessage = nil
        onOverflow = nil
        onOpen = nil
    }

    private func start() {
        guard endpoint == nil, transport.canSend else { return }
        let transport = self.transport
        let association: SCTPAssociation
        do {
            association = try SCTPAssociation(owner: transports, maxMessageSize: Self.maxMessageSize,
                                              sendBufferSize: Self.sendBufferSize) { [weak transport] packet in
                transport?.sendApplicationData(packet)
            }
        } catch {
            return
        }
        let endpoint = DataChannelEndpoint(association: association, isDTLSClient: transport.isDTLSClient)
        endpoint.onMessage = { [weak self] channel, _, bytes in
            guard let kind = DataChannelKind(label: channel.parameters.label) else { return }
            self?.onMessage?(kind, bytes)
        }
        association.onStateChange = { [weak self, weak endpoint] state in
            guard let self, let endpoint, state == .established, role == .subscriber else { return }
            endpoint.open(DataChannelKind.reliable.parameters)
            endpoint.open(DataChannelKind.lossy.parameters)
            onOpen?()
        }
        self.endpoint = endpoint
        association.connect()
    }
}
