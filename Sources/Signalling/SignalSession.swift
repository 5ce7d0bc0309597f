import AccessTokens
import Foundation
import HummingbirdWebSocket
import LiveKitProtocol
import Logging
import NIOCore
import NIOWebSocket
import SFU

/// One participant's signalling WebSocket: joins the room, then pumps requests into the room
/// and responses (from the participant's SignalSink) out, in the client's format.
struct SignalSession {
    /// How long the close handshake may take once the last response is queued.
    static let closeGrace: TimeAmount = .seconds(5)

    let admission: Admission
    let rooms: RoomManager
    let tokenRefresher: TokenRefresher?
    let logger: Logger

    func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter, channel: any Channel) async {
        let room: Room
        let participantSid: String
        var format = admission.format
        let formatBox = FormatBox(format)
        let closeCode = CloseCodeBox()
        // Responses are written from the event loop as they are queued, so the JoinResponse
        // (queued first) goes out while the room still tells everyone else about the newcomer.
        let output = WebSocketSignalOutput(channel: channel, format: formatBox)
        let sink = SignalSink(output: output)
        let writer = Task {
            // The room finished the sink (leave sent, replaced by a resume, removed) or the join
            // was refused: once the queue is written, close the WebSocket too, which also ends
            // the read loop below.
            try? await output.drained.get()
            // A client that stopped reading never lets the close frame out, and the close would
            // wait for it for ever: the connection is dropped after `closeGrace` in any case
            // (by then a normal close handshake is long over; closing twice is harmless).
            channel.eventLoop.scheduleTask(in: Self.closeGrace) { channel.close(promise: nil) }
            try? await outbound.close(closeCode.value, reason: nil)
        }
        do {
            room = try await rooms.roomForJoin(named: admission.room)
            participantSid = try await room.join(admission.request, sink: sink)
        } catch {
            // Refused after the upgrade (room filled up meanwhile, closing...): say why, close.
            var leave = Livekit_LeaveRequest()
            leave.reason = .joinFailure
            leave.action = .disconnect
            if case JoinError.resumeUnknown = error {
                // The session is gone (left, timed out, server restarted): tell the client to
                // rejoin from scratch instead of giving up.
                leave.reason = .stateMismatch
                leave.action = .reconnect
                leave.canReconnect = true
            }
            _ = sink.send(.leave(leave))
            closeCode.value = .policyViolation
            sink.finish()
            await writer.value
            logger.info("join refused after upgrade: \(error)")
            return
        }

        let refresher = Task { await tokenRefresher?.run(claims: admission.claims, sink: sink) }

        var leftCleanly = false
        do {
            for try await message in inbound.messages(maxSize: SignalCodec.maximumFrameSize) {
                let bytes: [UInt8]
                switch message {
                case .binary(let buffer):
                    bytes = Array(buffer.readableBytesView)
                    format = .binary
                case .text(let text):
                    bytes = Array(text.utf8)
                    format = .json
                }
                formatBox.value = format
                do {
                    let request = try SignalCodec.decode(bytes, format: format)
                    if case .leave? = request.message { leftCleanly = true }
                    await room.handle(request, from: participantSid)
                } catch {
                    // A bad frame costs the client an error message, never the session.
                    logger.debug("bad signal frame: \(error)")
                    var response = Livekit_RequestResponse()
                    response.reason = .invalidRequest
                    response.message = error.description
                    _ = sink.send(.requestResponse(response))
                }
            }
        } catch {
            logger.debug("signal connection ended: \(error)")
        }
        if !leftCleanly { await room.signalClosed(sid: participantSid, sink: sink) }
        refresher.cancel()
        sink.finish()
        await writer.value
    }
}

/// How the writer closes the WebSocket when the sink ends.
final class CloseCodeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: WebSocketErrorCode = .normalClosure
    var value: WebSocketErrorCode {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// The client's current frame format, shared between the reader and the writer task.
final class FormatBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: SignalFormat
    init(_ value: SignalFormat) { stored = value }
    var value: SignalFormat {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// Sends `refresh_token` before the join token expires (LiveKit does the same), so a client
/// can resume a session that outlives its original token.
public struct TokenRefresher: Sendable {
    let keys: [String: String]
    /// How long before expiry a fresh token is sent.
    let lead: TimeInterval

    public init(keys: [String: String], lead: TimeInterval = 300) {
        self.keys = keys
        self.lead = lead
    }

    func run(claims: AccessTokenClaims, sink: SignalSink) async {
        guard let apiKey = claims.apiKey, let secret = keys[apiKey], let expiry = claims.exp else { return }
        let lifetime = max(600, expiry.timeIntervalSince(claims.nbf ?? Date()))
        var nextExpiry = expiry
        while !Task.isCancelled {
            let wait = max(5, nextExpiry.timeIntervalSinceNow - lead)
            try? await Task.sleep(for: .seconds(wait))
            if Task.isCancelled { return }
            var fresh = claims
            fresh.nbf = Date()
            fresh.exp = Date().addingTimeInterval(lifetime)
            guard let token = try? await TokenIssuer().sign(fresh, secret: secret) else { return }
            guard sink.send(.refreshToken(token)) == .queued else { return }
            nextExpiry = fresh.exp ?? Date().addingTimeInterval(lifetime)
        }
    }
}
