import AccessTokens
import ConnectionQuality
import Foundation
import Hummingbird
import Logging
import SFU

/// Connection quality for operators and app backends: `POST
/// /twirp/switchboard.QualityService/GetRoomQuality {room}` (JSON, a token with `roomAdmin` for
/// that room). LiveKit's `ParticipantInfo` has no field for quality (clients get it in
/// `connection_quality` updates), so this is ours, in ChatService's conventions. See docs/api.md.
///
/// For each participant: the level and score the room last announced, when the last window was
/// judged, and that window's measurements: per published track what arrived (uplink), and what
/// the participant received as its feedback reports (downlink).
public struct QualityServiceAPI: Sendable {
    public static let service = "switchboard.QualityService"
    public static let maximumBodySize = 1 << 12

    let rooms: RoomManager
    let verifier: TokenVerifier
    let logger: Logger

    public init(rooms: RoomManager, verifier: TokenVerifier, logger: Logger) {
        self.rooms = rooms
        self.verifier = verifier
        self.logger = logger
    }

    struct GetRoomQualityRequest: Decodable {
        var room: String
    }

    struct Window: Encodable {
        let trackSid: String?
        let kind: String
        let expectedPackets: Int
        let lostPackets: Int
        let loss: Double
        let rttMs: Double
        let jitterMs: Double
        let bitrateRatio: Double
        let layersExpected: Int
        let layersMissed: Int
        /// The window's score; nil when nothing arrived (lost).
        let mos: Double?

        init(_ window: StreamWindow, trackSid: String? = nil) {
            self.trackSid = trackSid
            kind = window.kind == .video ? "video" : "audio"
            expectedPackets = window.expectedPackets
            lostPackets = window.lostPackets
            loss = (window.lossFraction * 10_000).rounded() / 10_000
            rttMs = window.rttMs.rounded()
            jitterMs = (window.jitterMs * 10).rounded() / 10
            bitrateRatio = (window.bitrateRatio * 100).rounded() / 100
            layersExpected = window.layersExpected
            layersMissed = window.layersMissed
            mos = window.mos.map { ($0 * 100).rounded() / 100 }
        }
    }

    struct Participant: Encodable {
        let sid: String
        let identity: String
        /// LiveKit's names: EXCELLENT, GOOD, POOR, LOST.
        let quality: String
        let score: Double
        /// Unix milliseconds; nil before the first judged window.
        let judgedAt: Int64?
        let uplink: [Window]
        let downlink: Window?
    }

    struct GetRoomQualityResponse: Encodable {
        let room: String
        let participants: [Participant]
    }

    public func handle(method: String, contentType: String?, authorization: String?, body: [UInt8]) async -> TwirpResponse {
        await TwirpJSON.serve(service: "QualityService", method: method, contentType: contentType, authorization: authorization,
                              body: body, maximumBodySize: Self.maximumBodySize, verifier: verifier, logger: logger) {
            method, grant, body throws(TwirpError) in
            guard method == "GetRoomQuality" else { throw TwirpJSON.noRoute("QualityService", method) }
            let request: GetRoomQualityRequest = try TwirpJSON.decode(body)
            try TwirpJSON.requireAdmin(grant, room: request.room)
            guard let room = await rooms.room(named: request.room) else { throw .notFound("room \"\(request.room)\" not found") }
            let report = await room.qualityReport
            return try TwirpJSON.encode(GetRoomQualityResponse(room: request.room, participants: report.map(Self.participant)))
        }
    }

    static func participant(_ report: ParticipantQualityReport) -> Participant {
        // LiveKit's ConnectionQuality names: EXCELLENT, GOOD, POOR, LOST.
        return Participant(sid: report.sid, identity: report.identity, quality: "\(report.level)".uppercased(),
                           score: (report.score * 100).rounded() / 100, judgedAt: report.judgedAt.map(TwirpJSON.milliseconds),
                           uplink: report.uplink.sorted { $0.key < $1.key }.map { Window($0.value, trackSid: $0.key) },
                           downlink: report.downlink.map { Window($0) })
    }

    /// Mounts the API at `POST /twirp/switchboard.QualityService/:method`.
    public func register<Context: RequestContext>(on router: Router<Context>) {
        let api = self
        TwirpRoute.register(on: router, service: Self.service, maximumBodySize: Self.maximumBodySize) {
            await api.handle(method: $0, contentType: $1, authorization: $2, body: $3)
        }
    }
}
