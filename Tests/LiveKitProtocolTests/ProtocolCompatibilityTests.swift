import Foundation
import SwiftProtobuf
import XCTest

@testable import LiveKitProtocol

/// Wire compatibility of the generated LiveKit protocol types with the reference implementation.
///
/// The hex vectors were produced by the Python `livekit-protocol==1.1.29` package
/// (`SerializeToString(deterministic=True)`) with scripts/protocol/make_vectors.py; refresh them
/// there if the messages change.
final class ProtocolCompatibilityTests: XCTestCase {
    private static let sdp = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"

    // livekit.SignalRequest{offer: {type: "offer", sdp: sdp, id: 7}}
    private static let offerRequestHex =
        "0a480a056f66666572123d763d300d0a6f3d2d2034363131373331343030343330303531333336203220494e20495034203132372e302e302e310d0a733d2d0d0a743d3020300d0a1807"
    // livekit.SignalRequest{add_track: {cid, name, type: AUDIO, source: MICROPHONE, disable_red,
    // audio_features: [TF_NO_DTX, TF_ECHO_CANCELLATION]}}
    private static let addTrackRequestHex = "221c0a056d69632d31120a6d6963726f70686f6e65400268018a01020103"
    // livekit.SignalRequest{trickle: {candidateInit: <JSON>, target: SUBSCRIBER}}
    private static let trickleRequestHex =
        "1a670a637b2263616e646964617465223a2263616e6469646174653a3120312075647020323132323236303232332031302e302e302e322035303030302074797020686f7374222c227364704d6964223a2230222c227364704d4c696e65496e646578223a307d1001"
    // livekit.SignalResponse{join: {...}} (one map entry, so the encoding is deterministic)
    private static let joinResponseHex =
        "0a90010a1a0a06524d5f61626312056c6f62627918ac02200a2880e2cfaa0612360a0850415f616c6963651205616c69636518023081e2cfaa064a05416c6963655a060801100118017a0c0a04726f6c651204686f73742a1c0a1a7374756e3a7374756e2e6578616d706c652e6f72673a333437383001500f580562161205312e392e30181022056c6f63616c2a044e445f31"
    // The same join response, as Python's json_format.MessageToJson prints it.
    private static let joinResponsePythonJSON = """
        {"join": {"room": {"sid": "RM_abc", "name": "lobby", "emptyTimeout": 300, "maxParticipants": 10, "creationTime": "1700000000"}, "participant": {"sid": "PA_alice", "identity": "alice", "state": "ACTIVE", "joinedAt": "1700000001", "name": "Alice", "permission": {"canSubscribe": true, "canPublish": true, "canPublishData": true}, "attributes": {"role": "host"}}, "iceServers": [{"urls": ["stun:stun.example.org:3478"]}], "subscriberPrimary": true, "pingTimeout": 15, "pingInterval": 5, "serverInfo": {"version": "1.9.0", "protocol": 16, "region": "local", "nodeId": "ND_1"}}}
        """

    private static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return out
    }

    private static func expectedJoin() -> Livekit_JoinResponse {
        var join = Livekit_JoinResponse()
        join.room.sid = "RM_abc"
        join.room.name = "lobby"
        join.room.emptyTimeout = 300
        join.room.maxParticipants = 10
        join.room.creationTime = 1_700_000_000
        join.participant.sid = "PA_alice"
        join.participant.identity = "alice"
        join.participant.state = .active
        join.participant.joinedAt = 1_700_000_001
        join.participant.name = "Alice"
        join.participant.permission.canSubscribe = true
        join.participant.permission.canPublish = true
        join.participant.permission.canPublishData = true
        join.participant.attributes = ["role": "host"]
        var ice = Livekit_ICEServer()
        ice.urls = ["stun:stun.example.org:3478"]
        join.iceServers = [ice]
        join.subscriberPrimary = true
        join.pingTimeout = 15
        join.pingInterval = 5
        join.serverInfo.edition = .standard
        join.serverInfo.version = "1.9.0"
        join.serverInfo.protocol = 16
        join.serverInfo.region = "local"
        join.serverInfo.nodeID = "ND_1"
        return join
    }

    // MARK: binary, against bytes from the Python package

    func testDecodesPythonOfferRequest() throws {
        let request = try Livekit_SignalRequest(serializedBytes: Self.bytes(Self.offerRequestHex))
        guard case .offer(let offer)? = request.message else {
            return XCTFail("expected offer, got \(String(describing: request.message))")
        }
        XCTAssertEqual(offer.type, "offer")
        XCTAssertEqual(offer.sdp, Self.sdp)
        XCTAssertEqual(offer.id, 7)
        // Re-encoding gives the same bytes as the reference implementation.
        XCTAssertEqual(try request.serializedBytes() as [UInt8], Self.bytes(Self.offerRequestHex))
    }

    func testDecodesPythonAddTrackRequest() throws {
        let request = try Livekit_SignalRequest(serializedBytes: Self.bytes(Self.addTrackRequestHex))
        guard case .addTrack(let add)? = request.message else {
            return XCTFail("expected addTrack, got \(String(describing: request.message))")
        }
        XCTAssertEqual(add.cid, "mic-1")
        XCTAssertEqual(add.name, "microphone")
        XCTAssertEqual(add.type, .audio)
        XCTAssertEqual(add.source, .microphone)
        XCTAssertTrue(add.disableRed)
        XCTAssertEqual(add.audioFeatures, [.tfNoDtx, .tfEchoCancellation])  // packed repeated enum
        XCTAssertEqual(try request.serializedBytes() as [UInt8], Self.bytes(Self.addTrackRequestHex))
    }

    func testDecodesPythonTrickleRequest() throws {
        let request = try Livekit_SignalRequest(serializedBytes: Self.bytes(Self.trickleRequestHex))
        guard case .trickle(let trickle)? = request.message else {
            return XCTFail("expected trickle, got \(String(describing: request.message))")
        }
        XCTAssertEqual(trickle.target, .subscriber)
        XCTAssertTrue(trickle.candidateInit.hasPrefix(#"{"candidate":"candidate:1 1 udp"#))
    }

    func testJoinResponseMatchesPythonBytes() throws {
        var response = Livekit_SignalResponse()
        response.join = Self.expectedJoin()
        XCTAssertEqual(try response.serializedBytes() as [UInt8], Self.bytes(Self.joinResponseHex))

        let decoded = try Livekit_SignalResponse(serializedBytes: Self.bytes(Self.joinResponseHex))
        XCTAssertEqual(decoded, response)
        XCTAssertEqual(decoded.join.participant.attributes["role"], "host")
    }

    // MARK: JSON (the JS SDK's JSON signalling mode)

    func testSignalResponseJoinToJSON() throws {
        var response = Livekit_SignalResponse()
        response.join = Self.expectedJoin()
        let json = try response.jsonString()
        let object = try XCTUnwrap(
            try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        let join = try XCTUnwrap(object["join"] as? [String: Any])
        XCTAssertEqual((join["room"] as? [String: Any])?["name"] as? String, "lobby")
        XCTAssertEqual((join["participant"] as? [String: Any])?["state"] as? String, "ACTIVE")
        XCTAssertEqual((join["participant"] as? [String: Any])?["joinedAt"] as? String, "1700000001")  // int64 as string
        XCTAssertEqual(join["pingTimeout"] as? Int, 15)
        XCTAssertEqual(join["subscriberPrimary"] as? Bool, true)
        XCTAssertEqual((join["serverInfo"] as? [String: Any])?["nodeId"] as? String, "ND_1")  // proto JSON name

        XCTAssertEqual(try Livekit_SignalResponse(jsonString: json), response)
        XCTAssertEqual(try Livekit_SignalResponse(jsonString: Self.joinResponsePythonJSON), response)
    }

    func testDecodesBrowserStyleJSONOffer() throws {
        let text = #"{"offer":{"type":"offer","sdp":"v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"}}"#
        let request = try Livekit_SignalRequest(jsonString: text)
        XCTAssertEqual(request.offer.type, "offer")
        XCTAssertEqual(request.offer.sdp, Self.sdp)

        // Fields a newer client may send are skipped only when asked to.
        let newer = #"{"offer":{"type":"offer","sdp":"v=0","futureField":1}}"#
        XCTAssertThrowsError(try Livekit_SignalRequest(jsonString: newer))
        var options = JSONDecodingOptions()
        options.ignoreUnknownFields = true
        XCTAssertEqual(try Livekit_SignalRequest(jsonString: newer, options: options).offer.sdp, "v=0")
    }
}
