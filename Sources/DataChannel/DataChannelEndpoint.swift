import SCTP

/// WebRTC data channels (RFC 8831) over one SCTP association: channels opened by either side
/// with DCEP (RFC 8832) or pre-negotiated by id, messages with their string/binary PPIDs,
/// closing by stream reset. Stream ids: the DTLS client opens even ids, the server odd ones.
///
/// Threading: the association's owner thread, like the association.
public final class DataChannelEndpoint {
    public struct Channel: Equatable, Sendable {
        public let id: UInt16
        public let parameters: DataChannelParameters
        /// Our DATA_CHANNEL_OPEN was acknowledged (or the channel was opened by the peer or
        /// pre-negotiated). Until then messages go ordered (RFC 8832 §6).
        public internal(set) var acknowledged: Bool
    }

    public struct Counters: Equatable, Sendable {
        /// DCEP messages that did not parse, or an OPEN on a stream already in use.
        public var malformedDCEP = 0
        /// Messages on a stream with no channel.
        public var unknownStream = 0
        /// Messages with a PPID data channels do not use.
        public var unknownPPID = 0
    }

    public let association: SCTPAssociation
    public private(set) var channels: [UInt16: Channel] = [:]
    public private(set) var counters = Counters()
    public var onChannelOpen: ((Channel) -> Void)?
    /// channel, binary (else UTF-8 text), bytes.
    public var onMessage: ((Channel, Bool, [UInt8]) -> Void)?
    public var onChannelClose: ((Channel) -> Void)?
    private let opensEvenIDs: Bool
    private var nextID: UInt16

    public init(association: SCTPAssociation, isDTLSClient: Bool) {
        self.association = association
        opensEvenIDs = isDTLSClient
        nextID = isDTLSClient ? 0 : 1
        association.onMessage = { [weak self] stream, ppid, bytes in self?.receive(stream: stream, ppid: ppid, bytes: bytes) }
        association.onStreamsReset = { [weak self] streams in
            guard let self else { return }
            for id in streams {
                guard let channel = channels.removeValue(forKey: id) else { continue }
                // Reset our side in turn (RFC 8831 §6.7), then the channel is closed.
                association.resetStream(id)
                onChannelClose?(channel)
            }
        }
    }

    /// Opens a channel with DATA_CHANNEL_OPEN; nil when no stream id is left or the association
    /// is not established.
    @discardableResult
    public func open(_ parameters: DataChannelParameters) -> Channel? {
        guard association.state == .established else { return nil }
        var id = nextID, tries = 0
        while channels[id] != nil {
            id &+= 2
            tries += 1
            if tries > 512 { return nil }
        }
        nextID = id &+ 2
        let channel = Channel(id: id, parameters: parameters, acknowledged: false)
        guard association.send(streamID: id, ppid: DataChannelPPID.dcep.rawValue, ordered: true,
                               DCEPMessage.open(parameters).bytes) == .sent else { return nil }
        channels[id] = channel
        return channel
    }

    /// A channel both sides agreed on out of band (`negotiated: true`): no DCEP.
    public func addNegotiated(id: UInt16, _ parameters: DataChannelParameters) -> Channel {
        let channel = Channel(id: id, parameters: parameters, acknowledged: true)
        channels[id] = channel
        return channel
    }

    public func channel(label: String) -> Channel? { channels.values.first { $0.parameters.label == label } }

    public func send(_ bytes: [UInt8], binary: Bool = true, on id: UInt16) -> SCTPAssociation.SendResult {
        guard let channel = channels[id] else { return .notConnected }
        let ppid: DataChannelPPID = bytes.isEmpty ? (binary ? .emptyBinary : .emptyString) : (binary ? .binary : .string)
        let ordered = !channel.acknowledged || channel.parameters.reliability.isOrdered
        let delivery: SCTPAssociation.Delivery = switch channel.parameters.reliability {
        case .reliable: .reliable
        case .maxRetransmits(let n, _): .maxRetransmits(n)
        case .maxLifetime(let ms, _): .maxLifetimeMilliseconds(ms)
        }
        return association.send(streamID: id, ppid: ppid.rawValue, ordered: ordered, delivery: delivery, bytes)
    }

    /// Closes a channel: resets our outgoing stream; the peer resets its side.
    public func close(_ id: UInt16) {
        guard channels.removeValue(forKey: id) != nil else { return }
        association.resetStream(id)
    }

    private func receive(stream: UInt16, ppid: UInt32, bytes: [UInt8]) {
        guard let kind = DataChannelPPID(rawValue: ppid) else { counters.unknownPPID += 1; return }
        switch kind {
        case .dcep:
            handleDCEP(stream: stream, bytes)
        case .string, .binary, .stringPartial, .binaryPartial:
            guard let channel = channels[stream] else { counters.unknownStream += 1; return }
            onMessage?(channel, kind == .binary || kind == .binaryPartial, bytes)
        case .emptyString, .emptyBinary:
            guard let channel = channels[stream] else { counters.unknownStream += 1; return }
            onMessage?(channel, kind == .emptyBinary, [])
        }
    }

    private func handleDCEP(stream: UInt16, _ bytes: [UInt8]) {
        let message: DCEPMessage
        do { message = try DCEPMessage.parse(bytes) } catch { counters.malformedDCEP += 1; return }
        switch message {
        case .open(let parameters):
            // The opener's stream parity is the other side's (RFC 8832 §6); a reused id is an error.
            guard (stream % 2 == 0) != opensEvenIDs, channels[stream] == nil else { counters.malformedDCEP += 1; return }
            let channel = Channel(id: stream, parameters: parameters, acknowledged: true)
            channels[stream] = channel
            _ = association.send(streamID: stream, ppid: DataChannelPPID.dcep.rawValue, ordered: true, DCEPMessage.ack.bytes)
            onChannelOpen?(channel)
        case .ack:
            guard var channel = channels[stream], !channel.acknowledged else { counters.malformedDCEP += 1; return }
            channel.acknowledged = true
            channels[stream] = channel
            onChannelOpen?(channel)
        }
    }
}
