// The session-level model (RFC 8866 §5) with typed accessors for what WebRTC uses there:
// BUNDLE groups (RFC 8843), ice-lite / ice-options (RFC 8839), fingerprint / setup
// (RFC 8122, RFC 4145), msid-semantic and extmap-allow-mixed (RFC 8285 §6).

public struct SessionDescription: Hashable, Sendable {
    public var version: Int = 0
    public var origin: Origin
    public var sessionName: String
    public var information: String?
    public var uri: String?
    public var emails: [String] = []
    public var phones: [String] = []
    public var connection: Connection?
    public var bandwidths: [Bandwidth] = []
    public var timing: [Timing]
    /// Raw `z=` value (time zone adjustments), preserved only.
    public var timeZones: String?
    /// Raw `k=` value (obsolete, RFC 8866 §5.12), preserved only.
    public var encryptionKey: String?
    public var attributes: [SDPAttribute] = []
    public var media: [MediaDescription] = []

    public init(origin: Origin, sessionName: String = "-", timing: [Timing] = [Timing()],
                attributes: [SDPAttribute] = [], media: [MediaDescription] = []) {
        self.origin = origin
        self.sessionName = sessionName
        self.timing = timing
        self.attributes = attributes
        self.media = media
    }
}

/// Typed access shared by session and media level: both are "a list of attributes".
public protocol SDPAttributeContainer {
    var attributes: [SDPAttribute] { get set }
}

extension SDPAttributeContainer {
    public func has(_ name: String) -> Bool { attributes.contains { $0.name == name } }

    public func firstValue(_ name: String) -> String? {
        attributes.first { $0.name == name }?.value
    }

    /// Every well-formed occurrence of `T` (the parser has already rejected malformed ones).
    public func values<T: SDPAttributeValue>(_: T.Type) -> [T] {
        attributes.compactMap { $0.name == T.attributeName ? $0.value.flatMap { T(attributeValue: Substring($0)) } : nil }
    }

    public func value<T: SDPAttributeValue>(_ type: T.Type) -> T? { values(type).first }

    public mutating func append<T: SDPAttributeValue>(_ typed: T) { attributes.append(SDPAttribute(typed)) }
    public mutating func append(flag name: String) { attributes.append(SDPAttribute(name)) }
    public mutating func removeAll(named name: String) { attributes.removeAll { $0.name == name } }

    public var iceUfrag: String? { firstValue("ice-ufrag") }
    public var icePwd: String? { firstValue("ice-pwd") }
    public var iceOptions: [String] { value(ICEOptions.self)?.options ?? [] }
    public var fingerprints: [Fingerprint] { values(Fingerprint.self) }
    public var setup: Setup? { value(Setup.self) }
    public var extMaps: [ExtMap] { values(ExtMap.self) }
}

extension SessionDescription: SDPAttributeContainer {
    public var groups: [Group] { values(Group.self) }
    /// The first BUNDLE group; JSEP endpoints use exactly one (RFC 8829 §5.2.1, max-bundle).
    public var bundleGroup: Group? { groups.first { $0.semantics == "BUNDLE" } }
    public var isICELite: Bool { has("ice-lite") }
    public var msidSemantic: MSIDSemantic? { value(MSIDSemantic.self) }
    public var extmapAllowMixed: Bool { has("extmap-allow-mixed") }

    public func media(mid: String) -> MediaDescription? { media.first { $0.mid == mid } }

    /// ICE credentials for a section: media level wins over session level (RFC 8839 §5.4).
    public func iceCredentials(for m: MediaDescription) -> (ufrag: String, pwd: String)? {
        guard let u = m.iceUfrag ?? iceUfrag, let p = m.icePwd ?? icePwd else { return nil }
        return (u, p)
    }

    /// Fingerprints for a section: media level wins over session level (RFC 8122 §5).
    public func fingerprints(for m: MediaDescription) -> [Fingerprint] {
        let own = m.fingerprints
        return own.isEmpty ? fingerprints : own
    }

    public func setup(for m: MediaDescription) -> Setup? { m.setup ?? setup }
}
