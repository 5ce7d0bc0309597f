import STUN

/// The ICE-lite side of one peer connection (RFC 8445 §2.5, §7.3): answers connectivity checks
/// and follows the controlling peer's nomination. It never sends checks of its own.
///
/// Pure logic: it takes a parsed request and returns the bytes to answer with, so the media
/// loop owns all I/O. Ownership: one agent per transport, used on the media loop thread.
public final class ICELiteAgent: @unchecked Sendable {
    public enum Event: Sendable, Equatable {
        /// The first valid check arrived from this address: media may flow to it.
        case validated(STUNAddress)
        /// The peer nominated (or re-nominated, after a network change) this address.
        case nominated(STUNAddress)
    }

    public enum DropReason: Sendable, Equatable {
        case notARequest
        case badFingerprint
    }

    public enum Outcome: Sendable, Equatable {
        /// Send `response` back to the requester; `event` if the check changed the pair state.
        case respond(response: [UInt8], event: Event?, valid: Bool)
        case drop(DropReason)
    }

    public let local: ICECredentials
    /// The peer's credentials from its SDP; nil until known (checks may precede the answer).
    public var remote: ICECredentials?
    public private(set) var nominatedAddress: STUNAddress?
    /// Addresses that passed a connectivity check (bounded: a peer has few candidates).
    public private(set) var validatedAddresses: [STUNAddress] = []
    public private(set) var lastValidCheck: ContinuousClock.Instant?
    private let created: ContinuousClock.Instant
    private let localKey: [UInt8]

    public static let maximumValidatedAddresses = 8

    public init(local: ICECredentials, remote: ICECredentials? = nil, now: ContinuousClock.Instant = .now) {
        self.local = local
        self.remote = remote
        self.created = now
        self.localKey = Array(local.pwd.utf8)
    }

    /// The local ufrag a request's USERNAME ("local:remote" from our point of view) names, used
    /// by the demultiplexer to find the agent before any address is known.
    public static func localUfrag(inUsername username: String) -> Substring? {
        guard let colon = username.firstIndex(of: ":") else { return nil }
        return username[..<colon]
    }

    /// Handles one Binding request received from `source` (`raw` is the datagram as received).
    public func handle(_ request: STUNMessage, raw: [UInt8], from source: STUNAddress,
                       now: ContinuousClock.Instant) -> Outcome {
        guard request.messageType == .bindingRequest else { return .drop(.notARequest) }
        if request.first(.fingerprint) != nil && !request.verifyFingerprint(rawBytes: raw) {
            return .drop(.badFingerprint)
        }
        // RFC 8489 §9.1.3: missing USERNAME or MESSAGE-INTEGRITY is a 400, a wrong one a 401,
        // and those answers carry no integrity (we can't know the peer has our password).
        guard let username = request.username, request.first(.messageIntegrity) != nil else {
            return .respond(response: error(.badRequest, to: request, signed: false), event: nil, valid: false)
        }
        guard ICELiteAgent.localUfrag(inUsername: username) == Substring(local.ufrag),
              request.verifyMessageIntegrity(rawBytes: raw, key: localKey) else {
            return .respond(response: error(.unauthorized, to: request, signed: false), event: nil, valid: false)
        }
        let unknown = request.unknownComprehensionRequiredAttributes
        if !unknown.isEmpty {
            var message = STUNMessage(type: .bindingError, transactionID: request.transactionID,
                                      attributes: [.errorCode(.unknownAttribute), .unknownAttributes(unknown)])
            message.attributes.append(.software("switchboard"))
            return .respond(response: message.serialized(integrityKey: localKey, addFingerprint: true),
                            event: nil, valid: false)
        }
        // A lite agent is always controlled (RFC 8445 §6.1.1): a peer that also claims the
        // controlled role is told to switch (487, §7.3.1.1).
        if request.iceControlled != nil {
            return .respond(response: error(.roleConflict, to: request, signed: true), event: nil, valid: false)
        }

        lastValidCheck = now
        var event: Event?
        if !validatedAddresses.contains(source) {
            if validatedAddresses.count >= ICELiteAgent.maximumValidatedAddresses { validatedAddresses.removeFirst() }
            validatedAddresses.append(source)
            event = .validated(source)
        }
        if request.hasUseCandidate && nominatedAddress != source {
            nominatedAddress = source
            event = .nominated(source)
        }
        let success = STUNMessage(type: .bindingSuccess, transactionID: request.transactionID,
                                  attributes: [.xorMappedAddress(source)])
        return .respond(response: success.serialized(integrityKey: localKey, addFingerprint: true),
                        event: event, valid: true)
    }

    /// Where media goes: the nominated address, else the first validated one.
    public var selectedAddress: STUNAddress? { nominatedAddress ?? validatedAddresses.first }

    /// Consent freshness (RFC 7675 §5.1): true once no valid check arrived for `timeout`
    /// (counting from creation when none ever arrived).
    public func consentExpired(now: ContinuousClock.Instant, timeout: Duration) -> Bool {
        (lastValidCheck ?? created).advanced(by: timeout) < now
    }

    private func error(_ code: STUNErrorCode, to request: STUNMessage, signed: Bool) -> [UInt8] {
        let message = STUNMessage(type: .bindingError, transactionID: request.transactionID,
                                  attributes: [.errorCode(code)])
        return message.serialized(integrityKey: signed ? localKey : nil, addFingerprint: true)
    }
}
