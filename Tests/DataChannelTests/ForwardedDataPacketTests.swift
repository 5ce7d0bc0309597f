import DataPackets
import Foundation
import LiveKitProtocol
import XCTest

final class ForwardedDataPacketTests: XCTestCase {
    func testStampsTheRealSenderAndCollectsRecipients() throws {
        var packet = Livekit_DataPacket()
        packet.participantIdentity = "mallory-pretending"
        packet.participantSid = "PA_fake"
        packet.destinationIdentities = ["bob"]
        packet.user.payload = Data([1, 2, 3])
        packet.user.participantIdentity = "alice"
        packet.user.destinationIdentities = ["carol"]
        packet.sequence = 7
        let forwarded = try ForwardedDataPacket(bytes: try packet.serializedBytes(), senderSid: "PA_real", senderIdentity: "mallory")
        XCTAssertEqual(forwarded.destinations, ["bob", "carol"])
        let sent = try Livekit_DataPacket(serializedBytes: forwarded.encoded)
        XCTAssertEqual(sent.participantIdentity, "mallory")
        XCTAssertEqual(sent.participantSid, "PA_real")
        XCTAssertEqual(sent.user.participantIdentity, "mallory")
        XCTAssertEqual(sent.user.participantSid, "PA_real")
        XCTAssertTrue(sent.destinationIdentities.isEmpty && sent.user.destinationIdentities.isEmpty)
        XCTAssertEqual(sent.user.payload, Data([1, 2, 3]))
        XCTAssertEqual(sent.sequence, 7, "the SDK deduplicates reliable packets by sender and sequence")
    }

    func testRefusesGarbageServerOnlyKindsAndEmptyPackets() throws {
        XCTAssertThrowsError(try ForwardedDataPacket(bytes: [0xFF, 0xFF, 0xFF], senderSid: "s", senderIdentity: "i")) {
            XCTAssertEqual($0 as? ForwardedDataPacket.Refusal, .malformed)
        }
        var speaker = Livekit_DataPacket()
        speaker.speaker.speakers = [Livekit_SpeakerInfo()]
        XCTAssertThrowsError(try ForwardedDataPacket(bytes: try speaker.serializedBytes(), senderSid: "s", senderIdentity: "i")) {
            XCTAssertEqual($0 as? ForwardedDataPacket.Refusal, .kind)
        }
        XCTAssertThrowsError(try ForwardedDataPacket(bytes: [], senderSid: "s", senderIdentity: "i")) {
            XCTAssertEqual($0 as? ForwardedDataPacket.Refusal, .kind)
        }
    }

    /// Input nested 10 000 levels deep costs no recursion: below the user packet the nesting
    /// is payload, opaque bytes forwarded as they came.
    func testDeepNestingIsOpaquePayload() throws {
        var bytes: [UInt8] = []
        for _ in 0..<10_000 {
            var prefix: [UInt8] = [0x12]  // field 2, length-delimited (DataPacket.user, UserPacket.payload)
            var n = bytes.count
            repeat { prefix.append(UInt8(n & 0x7F) | (n > 0x7F ? 0x80 : 0)); n >>= 7 } while n > 0
            bytes = prefix + bytes
        }
        let forwarded = try ForwardedDataPacket(bytes: bytes, senderSid: "s", senderIdentity: "i")
        XCTAssertGreaterThan(forwarded.packet.user.payload.count, 10_000)
    }
}
