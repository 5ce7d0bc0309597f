import DTLS
import Foundation
import ICE
import LoadPeer
import SDP

/// What the load generator's publishers send on one RTP stream.
struct OutgoingStream: Sendable {
    let isVideo: Bool
    let ssrc: UInt32
    let payloadType: UInt8
    /// Simulcast: the section's mid and the layer's rid, sent in every packet's header
    /// extensions (the SSRCs are in no SDP, RFC 8853 §5.2); the index into `EncodedMedia.videoLayers`.
    var mid: String? = nil
    var rid: String? = nil
    var layer = 0
}

/// One simulated participant's media connection, however it was negotiated (WHIP/WHEP or
/// LiveKit signalling): the pump sends on `outgoing`, the sink counts `incoming`.
protocol MediaSession: AnyObject {
    var peer: LoadPeer { get }
    var outgoing: [OutgoingStream] { get }
    /// SSRC -> is video, for what the server said it will send.
    var incoming: [UInt32: Bool] { get }
    /// A consent check (RFC 7675), due every few seconds.
    func keepAlive()
    /// Whether simulcast layer `layer` (index into `EncodedMedia.videoLayers`) is wanted now:
    /// a LiveKit publisher stops the layers the server says nobody needs (dynacast).
    func sends(layer: Int) -> Bool
    /// Ends the session at the server.
    func end() async
}

extension LoadPeer {
    /// `connect` (ICE, then DTLS, blocking up to `deadline`) on a thread of its own, so the
    /// concurrency pool's few threads stay free for the signalling it may be waiting on.
    func connectOffPool(serverICE: ICECredentials, deadline: Duration) async -> Bool {
        let peer = UncheckedPeer(peer: self)
        return await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: peer.peer.connect(serverICE: serverICE, deadline: deadline)) }.start()
        }
    }
}

/// A LoadPeer handed to one thread while its owner waits for it.
private struct UncheckedPeer: @unchecked Sendable { let peer: LoadPeer }

extension MediaSession {
    func keepAlive() { peer.sendConsent() }
    func sends(layer: Int) -> Bool { true }
}

/// The SDP the load generator's clients offer: Opus and VP8 with abs-capture-time, full ICE
/// (not lite), and `setup:active` because LoadPeer is always the DTLS client (RFC 8842 §5.2).
enum ClientOffer {
    /// The abs-capture-time extension id in every offer: stamped by publishers, read by viewers.
    static let absCaptureTimeID: UInt8 = 5
    static let absCaptureTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
    /// MID and RID extension ids (RFC 8843 §15, RFC 8852), in simulcast sending sections only.
    static let midID: UInt8 = 1
    static let ridID: UInt8 = 2
    static let midURI = "urn:ietf:params:rtp-hdrext:sdes:mid"
    static let ridURI = "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id"
    static let opusPayloadType: UInt8 = 111
    static let vp8PayloadType: UInt8 = 96

    static let opus = Codec(payloadType: opusPayloadType, name: "opus", clockRate: 48000, channels: 2,
                            parameters: [SDPParameter("minptime", "10"), SDPParameter("useinbandfec", "1")])
    static let vp8 = Codec(payloadType: vp8PayloadType, name: "VP8", clockRate: 90000,
                           feedback: [RTCPFeedback(payloadType: vp8PayloadType, type: "nack"),
                                      RTCPFeedback(payloadType: vp8PayloadType, type: "nack", parameter: "pli")])

    /// Audio sections first, then video. `sending`: sendonly sections with an SSRC each, whose
    /// msid track id is `trackID(index, isVideo)`; otherwise recvonly sections. `videoRIDs`
    /// (sending only): each video section sends these simulcast layers, lowest first.
    static func make(sending: Bool, ice: ICECredentials, certificate: DTLSCertificate, audioSections: Int, videoSections: Int,
                     videoRIDs: [String] = [],
                     trackID: (Int, Bool) -> String = { index, isVideo in "\(isVideo ? "video" : "audio")-\(index)" })
        throws -> (sdp: String, outgoing: [OutgoingStream])
    {
        var sections: [OfferSection] = []
        var outgoing: [OutgoingStream] = []
        let extensions = [ExtMap(id: UInt16(absCaptureTimeID), uri: absCaptureTimeURI)]
        let kinds = Array(repeating: false, count: audioSections) + Array(repeating: true, count: videoSections)
        for (index, isVideo) in kinds.enumerated() {
            let codec = isVideo ? vp8 : opus
            var section = OfferSection(kind: isVideo ? .video : .audio, mid: String(index),
                                       direction: sending ? .sendonly : .recvonly, codecs: [codec], extensions: extensions)
            if sending {
                let ssrc = UInt32.random(in: 1...UInt32.max)
                section.stream = SendStream(ssrc: ssrc, cname: "loadtest", streamID: "loadtest", trackID: trackID(index, isVideo))
                if isVideo && !videoRIDs.isEmpty {
                    section.sendRIDs = videoRIDs
                    section.extensions += [ExtMap(id: UInt16(midID), uri: midURI), ExtMap(id: UInt16(ridID), uri: ridURI)]
                    for (layer, rid) in videoRIDs.enumerated() {
                        outgoing.append(OutgoingStream(isVideo: true, ssrc: layer == 0 ? ssrc : UInt32.random(in: 1...UInt32.max),
                                                       payloadType: codec.payloadType, mid: section.mid, rid: rid, layer: layer))
                    }
                } else {
                    outgoing.append(OutgoingStream(isVideo: isVideo, ssrc: ssrc, payloadType: codec.payloadType))
                }
            }
            sections.append(section)
        }
        var options = SDPOfferOptions(iceUfrag: ice.ufrag, icePwd: ice.pwd,
                                      fingerprint: Fingerprint(sha256: certificate.fingerprint.bytes), sections: sections)
        options.iceLite = false
        options.endOfCandidates = false
        options.setup = .active
        return (try makeOffer(options: options).serialized(), outgoing)
    }

    /// The streams the answer lets us send: a simulcast layer only if its rid is in the
    /// answer's `a=simulcast:recv` for its section (RFC 8853 §5.3). A section whose simulcast was
    /// declined sends its top layer alone, without RID; it still carries MID.
    static func accepted(_ outgoing: [OutgoingStream], answer: String) throws -> [OutgoingStream] {
        guard outgoing.contains(where: { $0.rid != nil }) else { return outgoing }
        let description = try SessionDescription(parsing: answer)
        var result: [OutgoingStream] = []
        for stream in outgoing {
            guard let mid = stream.mid, let rid = stream.rid else {
                result.append(stream)
                continue
            }
            let section = description.media.first { $0.mid == mid }
            let received = section?.simulcast.map { Set($0.recv.flatMap { $0.map(\.rid) }) } ?? []
            if received.contains(rid) {
                result.append(stream)
            } else if received.isEmpty, let section, section.port != 0,
                      stream.layer == outgoing.filter({ $0.mid == mid }).map(\.layer).max() {
                var single = stream
                single.rid = nil
                result.append(single)
            }
        }
        return result
    }
}
