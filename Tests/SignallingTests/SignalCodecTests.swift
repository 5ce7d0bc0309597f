import Foundation
import LiveKitProtocol
import XCTest

import Signalling
import SwiftProtobuf

final class SignalCodecTests: XCTestCase {
    private func pingRequest(_ timestamp: Int64) -> Livekit_SignalRequest {
        var ping = Livekit_Ping()
        ping.timestamp = timestamp
        ping.rtt = 3
        var request = Livekit_SignalRequest()
        request.message = .pingReq(ping)
        return request
    }

    func testDecodeBinaryFrame() throws {
        var add = Livekit_AddTrackRequest()
        add.cid = "cid-1"
        add.type = .video
        add.source = .camera
        var request = Livekit_SignalRequest()
        request.message = .addTrack(add)
        let bytes: [UInt8] = try request.serializedBytes()
        let decoded = try SignalCodec.decode(bytes, format: .binary)
        XCTAssertEqual(decoded, request)
    }

    func testDecodeJSONFrame() throws {
        let json = #"{"pingReq":{"timestamp":"1700000000123","rtt":"5"}}"#
        let decoded = try SignalCodec.decode(Array(json.utf8), format: .json)
        guard case .pingReq(let ping)? = decoded.message else { return XCTFail("\(decoded)") }
        XCTAssertEqual(ping.timestamp, 1_700_000_000_123)
        XCTAssertEqual(ping.rtt, 5)

        // proto field names are accepted too.
        let snake = #"{"ping_req":{"timestamp":"9"}}"#
        let decodedSnake = try SignalCodec.decode(Array(snake.utf8), format: .json)
        XCTAssertEqual(decodedSnake.pingReq.timestamp, 9)
    }

    func testDecodeJSONWithUnknownFields() throws {
        let json = #"{"pingReq":{"timestamp":"42","futureField":true},"someNewTopLevelField":{"x":1}}"#
        let decoded = try SignalCodec.decode(Array(json.utf8), format: .json)
        XCTAssertEqual(decoded.pingReq.timestamp, 42)
    }

    func testGarbageIsMalformed() {
        XCTAssertThrowsError(try SignalCodec.decode([0xFF, 0xFF, 0xFF, 0xFF, 0xFF], format: .binary)) { error in
            guard case .malformed = error as? SignalDecodeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SignalCodec.decode(Array("{not json".utf8), format: .json)) { error in
            guard case .malformed = error as? SignalDecodeError else { return XCTFail("\(error)") }
        }
        XCTAssertThrowsError(try SignalCodec.decode(Array(#"{"pingReq":"nope"}"#.utf8), format: .json)) { error in
            guard case .malformed = error as? SignalDecodeError else { return XCTFail("\(error)") }
        }
    }

    func testEmptyMessageIsRefused() {
        XCTAssertThrowsError(try SignalCodec.decode([], format: .binary)) { error in
            XCTAssertEqual(error as? SignalDecodeError, .empty)
        }
        XCTAssertThrowsError(try SignalCodec.decode(Array("{}".utf8), format: .json)) { error in
            XCTAssertEqual(error as? SignalDecodeError, .empty)
        }
        // Only a field this server does not know (a newer message type): no message either.
        XCTAssertThrowsError(try SignalCodec.decode([0xF8, 0x3E, 0x01], format: .binary)) { error in
            XCTAssertEqual(error as? SignalDecodeError, .empty)
        }
    }

    func testOversizedFrameIsRefused() throws {
        let limit = SignalCodec.maximumFrameSize
        XCTAssertEqual(limit, 1 << 20)
        let big = [UInt8](repeating: 0x20, count: limit + 1)
        XCTAssertThrowsError(try SignalCodec.decode(big, format: .binary)) { error in
            XCTAssertEqual(error as? SignalDecodeError, .tooLarge(limit + 1))
        }
        XCTAssertThrowsError(try SignalCodec.decode(big, format: .json)) { error in
            XCTAssertEqual(error as? SignalDecodeError, .tooLarge(limit + 1))
        }
        // Exactly at the limit is not "too large" (it is decoded, and here refused as malformed/empty).
        let atLimit = [UInt8](repeating: 0x20, count: limit)
        XCTAssertThrowsError(try SignalCodec.decode(atLimit, format: .json)) { error in
            XCTAssertNotEqual(error as? SignalDecodeError, .tooLarge(limit))
        }
    }

    func testResponseRoundTripsInBothFormats() throws {
        var join = Livekit_JoinResponse()
        join.room.sid = "RM_abcdefghijkl"
        join.room.name = "lobby"
        join.participant.sid = "PA_abcdefghijkl"
        join.participant.identity = "alice"
        join.participant.permission.canPublishSources = [.camera]
        join.pingInterval = 5
        join.pingTimeout = 15
        join.subscriberPrimary = true
        var response = Livekit_SignalResponse()
        response.message = .join(join)

        let binary = SignalCodec.encode(response, format: .binary)
        XCTAssertFalse(binary.isEmpty)
        XCTAssertEqual(try Livekit_SignalResponse(serializedBytes: binary), response)

        let json = SignalCodec.encode(response, format: .json)
        XCTAssertFalse(json.isEmpty)
        XCTAssertEqual(try Livekit_SignalResponse(jsonUTF8Bytes: json), response)
        let text = String(decoding: json, as: UTF8.self)
        XCTAssertTrue(text.contains("\"join\""), text)

        // A request survives encode → SignalCodec.decode in both formats.
        let request = pingRequest(123)
        XCTAssertEqual(try SignalCodec.decode(try request.serializedBytes(), format: .binary), request)
        XCTAssertEqual(try SignalCodec.decode(try request.jsonUTF8Bytes(), format: .json), request)
    }

    func testErrorDescriptions() {
        XCTAssertTrue(SignalDecodeError.tooLarge(5).description.contains("5"))
        XCTAssertFalse(SignalDecodeError.empty.description.isEmpty)
        XCTAssertTrue(SignalDecodeError.malformed("x").description.contains("x"))
    }
}

final class HTTPSessionEndpointTests: XCTestCase {
    func testICECredentialsInASDPFragment() {
        let restart = HTTPSessionEndpoint.iceCredentials(in: "a=ice-ufrag:EsAw\r\na=ice-pwd:P2uYro0UCOQ4zxjKXaWCBui1\r\nm=audio 9 RTP/AVP 0\r\na=mid:0\r\n")
        XCTAssertEqual(restart.0, "EsAw")
        XCTAssertEqual(restart.1, "P2uYro0UCOQ4zxjKXaWCBui1")
        let trickle = HTTPSessionEndpoint.iceCredentials(in: "a=mid:0\na=candidate:1 1 udp 2130706431 127.0.0.1 9 typ host\n")
        XCTAssertNil(trickle.0)
        XCTAssertNil(trickle.1)
    }
}
