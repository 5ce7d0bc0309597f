import Foundation
import LiveKitProtocol
import SwiftProtobuf

/// LiveKit signalling messages on a WebSocket: protobuf in binary frames (the SDKs), protobuf
/// JSON in text frames (our browser page). The server answers in the format the client used.
public enum SignalFormat: Sendable, Equatable {
    case binary
    case json
}

public enum SignalDecodeError: Error, Equatable, CustomStringConvertible {
    case tooLarge(Int)
    case malformed(String)
    case empty

    public var description: String {
        switch self {
        case .tooLarge(let n): return "frame of \(n) bytes exceeds the 1 MiB limit"
        case .malformed(let m): return "malformed signal request: \(m)"
        case .empty: return "signal request carries no message"
        }
    }
}

public enum SignalCodec {
    /// Frames above this are refused (and counted); a real signal message is a few KiB.
    public static let maximumFrameSize = 1 << 20

    private static let jsonDecoding: JSONDecodingOptions = {
        var options = JSONDecodingOptions()
        // Newer clients may send fields this server doesn't know yet.
        options.ignoreUnknownFields = true
        return options
    }()

    public static func decode(_ bytes: [UInt8], format: SignalFormat) throws(SignalDecodeError) -> Livekit_SignalRequest {
        guard bytes.count <= maximumFrameSize else { throw .tooLarge(bytes.count) }
        let request: Livekit_SignalRequest
        do {
            switch format {
            case .binary: request = try Livekit_SignalRequest(serializedBytes: bytes)
            case .json: request = try Livekit_SignalRequest(jsonUTF8Bytes: bytes, options: jsonDecoding)
            }
        } catch {
            throw .malformed("\(error)")
        }
        guard request.message != nil else { throw .empty }
        return request
    }

    public static func encode(_ response: Livekit_SignalResponse, format: SignalFormat) -> [UInt8] {
        switch format {
        case .binary: return (try? response.serializedBytes()) ?? []
        case .json: return (try? response.jsonUTF8Bytes()) ?? []
        }
    }
}
