import LiveKitProtocol
import SwiftProtobuf

/// A LiveKit DataPacket as the server forwards it: decoded with bounds, checked, and stamped
/// with the sender the server knows (a client cannot speak for someone else). Pure values.
public struct ForwardedDataPacket: Sendable {
    /// The packet to send, encoded.
    public let encoded: [UInt8]
    /// Identities it is for; empty (and no `destinationSids`): everyone in the room but the sender.
    public let destinations: Set<String>
    /// Participant sids it is for (older SDKs name recipients by sid in the user packet).
    public let destinationSids: Set<String>
    /// Whether it is for named recipients only (identities or sids).
    public var isDirected: Bool { !destinations.isEmpty || !destinationSids.isEmpty }
    public let packet: Livekit_DataPacket

    public enum Refusal: Error, Equatable, Sendable {
        /// Not a DataPacket (or nested deeper than we decode).
        case malformed
        /// A kind clients may not send: active speakers are the server's to announce; an
        /// empty packet says nothing.
        case kind
    }

    /// Data channel messages are at most 256 KiB (our max-message-size); DataPackets nest a few
    /// levels at most.
    static let decodingOptions: BinaryDecodingOptions = {
        var options = BinaryDecodingOptions()
        options.messageDepthLimit = 16
        return options
    }()

    public init(bytes: [UInt8], senderSid: String, senderIdentity: String) throws(Refusal) {
        var packet: Livekit_DataPacket
        do {
            packet = try Livekit_DataPacket(serializedBytes: bytes, options: Self.decodingOptions)
        } catch {
            throw .malformed
        }
        var destinations = Set(packet.destinationIdentities)
        var destinationSids: Set<String> = []
        switch packet.value {
        case .user(var user)?:
            // Older SDKs name recipients and the sender inside the user packet.
            destinations.formUnion(user.destinationIdentities)
            destinationSids = Set(user.destinationSids)
            user.participantSid = senderSid
            user.participantIdentity = senderIdentity
            user.destinationIdentities = []
            user.destinationSids = []
            packet.user = user
        case .chatMessage, .rpcRequest, .rpcAck, .rpcResponse, .streamHeader, .streamChunk, .streamTrailer,
             .sipDtmf, .transcription, .metrics, .encryptedPacket:
            break
        case .speaker?, nil:
            throw .kind
        }
        packet.participantIdentity = senderIdentity
        packet.participantSid = senderSid
        // Recipients need not learn who else a packet went to.
        packet.destinationIdentities = []
        do { encoded = try packet.serializedBytes() } catch { throw .malformed }
        self.destinations = destinations
        self.destinationSids = destinationSids
        self.packet = packet
    }
}
