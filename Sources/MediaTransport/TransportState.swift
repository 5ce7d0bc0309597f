import DTLS
import ICE
import SRTP

/// Why a transport stopped.
public enum TransportCloseReason: Sendable, Equatable {
    /// No valid connectivity check for the consent timeout (RFC 7675), or none ever arrived.
    case consentExpired
    /// The peer sent DTLS close_notify.
    case peerClosed
    /// The DTLS handshake failed or timed out (fingerprint mismatch, no common SRTP profile...).
    case dtlsFailed(String)
    /// The owner closed it (participant left, server shutting down).
    case closedByOwner
}

public enum TransportState: Sendable, Equatable, CustomStringConvertible {
    case new
    /// A valid ICE check arrived; DTLS is in progress.
    case checking
    /// DTLS done, SRTP keys installed: media flows.
    case connected(SRTPProfile)
    case closed(TransportCloseReason)

    public var isClosed: Bool { if case .closed = self { return true } else { return false } }

    public var description: String {
        switch self {
        case .new: return "new"
        case .checking: return "checking"
        case .connected(let profile): return "connected (\(profile.openSSLName))"
        case .closed(let reason): return "closed (\(reason))"
        }
    }
}

/// What goes into our side of the SDP for one transport.
public struct TransportParameters: Sendable {
    public let ice: ICECredentials
    public let fingerprint: DTLSFingerprint
    public let candidates: [ICECandidate]
}
