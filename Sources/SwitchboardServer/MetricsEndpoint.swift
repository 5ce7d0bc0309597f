import Hummingbird
import MediaTransport
import NIOCore
import ConnectionQuality
import SCTP
import SFU
import Signalling
import Webhooks

/// `GET /metrics`: Prometheus text exposition (version 0.0.4) of the media path: datagrams,
/// drops by reason, forwarding counters, and the forward-latency histogram (socket arrival to
/// send of each forwarded copy; like LiveKit's `livekit_forward_latency_ns`, but cumulative),
/// and webhook delivery.
struct MetricsEndpoint: Sendable {
    let transports: TransportServer
    let stats: ForwardingStats
    let quality: QualityCounts
    let data: DataChannelStats
    /// Webhook delivery counters; nil (all zero) without webhooks.
    let webhooks: WebhookMetrics?
    let rooms: RoomManager
    let recordingsActive: @Sendable () -> Int

    func register(on router: Router<SwitchboardRequestContext>) {
        router.get("/metrics") { _, _ -> Response in
            let census = await rooms.census()
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: render(census: census))))
        }
    }

    func render(census: RoomCensus) -> String {
        var out = ""
        func metric(_ name: String, _ type: String, _ help: String, _ samples: [(String, String)]) {
            out += "# HELP \(name) \(help)\n# TYPE \(name) \(type)\n"
            for (labels, value) in samples { out += "\(name)\(labels) \(value)\n" }
        }
        metric("switchboard_rooms", "gauge", "Open rooms.", [("", "\(census.rooms)")])
        metric("switchboard_participants", "gauge", "Participants in open rooms.", [("", "\(census.participants)")])
        metric("switchboard_published_tracks", "gauge", "Published tracks, by kind.",
               census.tracks.sorted { $0.key < $1.key }.map { ("{kind=\"\($0.key)\"}", "\($0.value)") })
        metric("switchboard_http_sessions", "gauge", "WHIP publishers and WHEP viewers.",
               census.httpSessions.sorted { $0.key < $1.key }.map { ("{kind=\"\($0.key)\"}", "\($0.value)") })
        metric("switchboard_recordings_active", "gauge", "Recordings being written.", [("", "\(recordingsActive())")])
        metric("switchboard_connection_quality_participants", "gauge",
               "Participants by connection quality level, as of the last quality window.",
               QualityLevel.allCases.map { ("{quality=\"\($0)\"}", "\(quality[$0])") })
        let loop = transports.loopCounters
        metric("switchboard_udp_datagrams_received_total", "counter", "UDP datagrams read from the media sockets.",
               [("", "\(loop.datagramsReceived)")])
        metric("switchboard_udp_datagrams_sent_total", "counter", "UDP datagrams sent from the media sockets.",
               [("", "\(loop.datagramsSent)")])
        metric("switchboard_udp_bytes_received_total", "counter", "Bytes of UDP datagrams read from the media sockets.",
               [("", "\(loop.bytesReceived)")])
        metric("switchboard_udp_bytes_sent_total", "counter", "Bytes of UDP datagrams sent from the media sockets.",
               [("", "\(loop.bytesSent)")])
        metric("switchboard_udp_send_dropped_total", "counter", "Datagrams the kernel refused to send.",
               [("", "\(loop.sendDropped)")])
        let drops = transports.dropCounters
        metric("switchboard_udp_datagrams_dropped_total", "counter", "Received datagrams dropped, by reason.",
               DropReason.allCases.map { ("{reason=\"\($0)\"}", "\(drops[$0])") })
        metric("switchboard_transports", "gauge", "Open WebRTC transports.", [("", "\(transports.activeTransports)")])
        let counters: [(String, String, Int)] = [
            ("switchboard_retransmitted_packets_total", "Packets resent to subscribers after their NACK.",
             stats[.retransmissions]),
            ("switchboard_retransmission_misses_total", "NACKed packets no longer in the cache.",
             stats[.retransmissionMisses]),
            ("switchboard_retransmissions_suppressed_total",
             "NACKed packets not resent: asked again within a round trip, over the retransmission budget, or the stream paused.",
             stats[.retransmissionsSuppressed]),
            ("switchboard_nack_requested_packets_total", "Lost packets the server asked publishers to resend.",
             stats[.nacksSent]),
            ("switchboard_nack_recovered_packets_total", "Missing packets that arrived later (retransmitted or reordered).",
             stats[.recovered]),
            ("switchboard_keyframe_requests_total", "PLIs sent to publishers.",
             stats[.keyframeRequests]),
            ("switchboard_transport_feedback_sent_total", "Transport-wide congestion control feedback packets sent.",
             stats[.transportFeedbackSent]),
            ("switchboard_receiver_reports_sent_total", "RTCP receiver reports sent to publishers.",
             stats[.receiverReportsSent]),
            ("switchboard_sender_reports_sent_total", "RTCP sender reports sent to subscribers.",
             stats[.senderReportsSent]),
            ("switchboard_transport_feedback_received_total", "Transport-wide congestion control feedback packets from subscribers.",
             stats[.transportFeedbackReceived]),
            ("switchboard_transport_feedback_matched_packets_total", "Packets in subscribers' transport-wide feedback that matched packets sent to them.",
             stats[.transportFeedbackPacketsMatched]),
            ("switchboard_remb_sent_total", "REMB messages sent to publishers without transport-wide CC whose uplink is losing packets.",
             stats[.rembSent]),
            ("switchboard_probe_packets_sent_total", "Padding packets sent to subscribers to probe for bandwidth.",
             stats[.probePacketsSent]),
        ]
        for (name, help, value) in counters { metric(name, "counter", help, [("", "\(value)")]) }
        metric("switchboard_data_packets_received_total", "counter",
               "LiveKit DataPackets received on participants' data channels.", [("", "\(data[.received])")])
        metric("switchboard_data_packets_delivered_total", "counter",
               "DataPackets sent to recipients (one per recipient).", [("", "\(data[.delivered])")])
        let dropReasons: [(String, DataChannelStats.Counter)] = [
            ("malformed", .droppedMalformed), ("not_permitted", .droppedNotPermitted), ("kind", .droppedKind),
            ("buffer_full", .droppedBufferFull), ("inbox_full", .droppedInboxFull), ("not_open", .droppedNotOpen), ("too_large", .droppedTooLarge),
            ("sctp", .droppedSCTP),
        ]
        metric("switchboard_data_packets_dropped_total", "counter", "Data channel messages dropped, by reason.",
               dropReasons.map { ("{reason=\"\($0.0)\"}", "\(data[$0.1])") })
        metric("switchboard_sctp_input_dropped_total", "counter",
               "SCTP packets usrsctp dropped as malformed or not ours (short, bad checksum, unknown port, verification tag or stream).",
               [("", "\(SCTPStack.inputDropped)")])
        metric("switchboard_data_slow_receivers_disconnected_total", "counter",
               "Participants disconnected because their reliable data channel could not keep up.",
               [("", "\(data[.slowReceiversDisconnected])")])
        let webhook: [(String, String, String, Int)] = [
            ("switchboard_webhook_delivered_total", "counter", "Webhook requests (one per event and endpoint) answered 2xx.",
             webhooks?.delivered ?? 0),
            ("switchboard_webhook_failed_total", "counter", "Webhook requests given up on (event older than webhook.max_age).",
             webhooks?.failed ?? 0),
            ("switchboard_webhook_retries_total", "counter", "Webhook attempts that failed and were scheduled again.",
             webhooks?.retried ?? 0),
            ("switchboard_webhook_pending", "gauge", "Webhook requests (one per event and endpoint) waiting in the outbox.",
             webhooks?.pending ?? 0),
        ]
        for (name, type, help, value) in webhook { metric(name, type, help, [("", "\(value)")]) }

        let histogram = transports.forwardLatency
        out += "# HELP switchboard_forward_latency_ns Socket arrival to send of each forwarded RTP packet, in ns.\n"
        out += "# TYPE switchboard_forward_latency_ns histogram\n"
        var cumulative: UInt64 = 0
        for (i, bound) in LatencyHistogram.upperBounds.enumerated() {
            cumulative += histogram.counts[i]
            out += "switchboard_forward_latency_ns_bucket{le=\"\(bound)\"} \(cumulative)\n"
        }
        out += "switchboard_forward_latency_ns_bucket{le=\"+Inf\"} \(histogram.count)\n"
        out += "switchboard_forward_latency_ns_sum \(histogram.sum)\n"
        out += "switchboard_forward_latency_ns_count \(histogram.count)\n"
        return out
    }
}
