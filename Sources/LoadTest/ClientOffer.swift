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
}

/// The SDP the load generator's clients offer: Opus and VP8 with abs-capture-time, full ICE
/// (not lite), and `setup:active` because LoadPeer is always the DTLS client (RFC 8842 §5.2).
enum ClientOffer {
    /// The abs-capture-time extension id in every offer: stamped by publishers, read by viewers.
    static let absCaptureTimeID: UInt8 = 5
    static let absCaptureTimeURI = "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
    static let opusPayloadType: UInt8 = 111
    static let vp8PayloadType: UInt8 = 96

    static let opus = Codec(payloadType: opusPayloadType, name: "opus", clockRate: 48000, channels: 2,
                            parameters: [SDPParameter("minptime", "10"), SDPParameter("useinbandfec", "1")])
    static let vp8 = Codec(payloadType: vp8PayloadType, name: "VP8", clockRate: 90000,
                           feedback: [RTCPFeedback(payloadType: vp8PayloadType, type: "nack"),
                                      RTCPFeedback(payloadType: vp8PayloadType, type: "nack", parameter: "pli")])

    /// Audio sections first, then video. `sending`: sendonly sections with an SSRC each, whose
    /// msid track id is `trackID(index, isVideo)`; otherwise recvonly sections.
    static func make(sending: Bool, ice: ICECredentials, certificate: DTLSCertificate, audioSections: Int, videoSections: Int,
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
                outgoing.append(OutgoingStream(isVideo: isVideo, ssrc: ssrc, payloadType: codec.payloadType))
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
}
