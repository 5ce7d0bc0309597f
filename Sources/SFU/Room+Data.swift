import DataPackets
import LiveKitProtocol

/// A DataPacket as it arrived on a participant's publisher data channels, in arrival order.
struct InboundData: Sendable {
    let senderSid: String
    let kind: DataChannelKind
    let bytes: [UInt8]
}

/// Data packets (LiveKit's DataPacket over `_reliable` / `_lossy`): checked, stamped with the
/// sender, and forwarded to the room or to the identities named.
extension Room {
    /// At most this many packets wait for the room: beyond it new ones are dropped (counted).
    static let dataInboxLimit = 4096

    /// Relays one inbound packet. Runs from the room's inbox task, one packet at a time, so a
    /// sender's reliable packets keep their order.
    func relay(_ data: InboundData) {
        let stats = context.dataStats
        stats.add(.received)
        guard let sender = participants[data.senderSid] else { return }
        guard sender.permission.canPublishData else {
            stats.add(.droppedNotPermitted)
            return
        }
        let forwarded: ForwardedDataPacket
        do {
            forwarded = try ForwardedDataPacket(bytes: data.bytes, senderSid: sender.sid, senderIdentity: sender.identity)
        } catch .malformed {
            stats.add(.droppedMalformed)
            return
        } catch {
            stats.add(.droppedKind)
            return
        }
        let encoded = forwarded.encoded
        // Only what the whole room sees is room history: a message to named people is theirs.
        if !forwarded.isDirected { observeChat(forwarded.packet) }
        for recipient in participants.values where recipient.sid != sender.sid {
            guard !forwarded.isDirected || forwarded.destinations.contains(recipient.identity)
                    || forwarded.destinationSids.contains(recipient.sid) else { continue }
            recipient.subscriber.sendData(encoded, kind: data.kind)
        }
    }

    /// A participant's reliable data channel could not keep up: it is disconnected rather
    /// than buffered without bound.
    func slowDataReceiver(sid: String) {
        guard let participant = participants[sid] else { return }
        logger.warning("data channel send buffer full: disconnecting a slow receiver",
                       metadata: ["participant": "\(participant.identity)"])
        remove(participant, reason: .mediaFailure, notify: true)
    }

    /// What a participant's publisher data channels deliver to (on the media loop).
    nonisolated func dataReceiver(_ sid: String) -> @Sendable (DataChannelKind, [UInt8]) -> Void {
        let inbox = dataInbox, stats = context.dataStats
        return { kind, bytes in
            if case .dropped = inbox.yield(InboundData(senderSid: sid, kind: kind, bytes: bytes)) {
                stats.add(.droppedInboxFull)
            }
        }
    }

    /// Starts relaying what `inbox` receives, until the room closes.
    nonisolated func runDataRelay(_ inbox: AsyncStream<InboundData>) {
        Task { [weak self] in
            for await data in inbox {
                guard let self else { return }
                await self.relay(data)
            }
        }
    }
}
