// Errors thrown by the SDP parser and by the offer/answer builders.
//
// The parser never traps on input: every rejection is one of these values, carrying the
// 1-based line number so a signalling layer can report *where* a peer's SDP went wrong.

/// Why a session description was rejected by `SessionDescription(parsing:)`.
public struct SDPParseError: Error, Equatable, Sendable, CustomStringConvertible {
    /// 1-based line number; 0 when the problem concerns the whole text (size, missing lines).
    public var line: Int
    public var reason: Reason

    public init(line: Int, reason: Reason) {
        self.line = line
        self.reason = reason
    }

    public enum Reason: Equatable, Sendable {
        /// The text exceeds `SDPLimits.maxBytes`.
        case tooLarge(bytes: Int)
        case tooManyLines
        case lineTooLong
        case tooManyMediaSections
        case tooManyAttributes
        /// Not valid UTF-8 (RFC 8866 §5.5: the default charset is UTF-8) or contains NUL / a bare CR.
        case invalidEncoding
        /// The line is not `<type>=<value>` with a single-letter type.
        case malformedLine
        /// RFC 8866 §5: a parser must ignore or reject descriptions with unknown type letters; we reject.
        case unknownLineType(Character)
        /// A line appeared out of the order RFC 8866 §5 requires (e.g. `o=` before `v=`, `t=` inside media).
        case unexpectedLine(Character)
        case missingLine(Character)
        case unsupportedVersion
        case malformedOrigin
        case malformedConnection
        case malformedBandwidth
        case malformedTiming
        case malformedMediaLine
        /// A known attribute whose value does not follow its grammar (name given).
        case malformedAttribute(String)
        case duplicateMid(String)
        /// An `a=group` names a mid that no m-section carries (RFC 5888 §5, RFC 8843 §7.2).
        case unknownGroupMid(String)
    }

    public var description: String { "SDP line \(line): \(reason)" }
}

/// Why `makeAnswer` / `makeOffer` could not produce a description.
public enum SDPBuildError: Error, Equatable, Sendable {
    /// JSEP (RFC 8829 §5.8) requires every m-section to carry a=mid; without it BUNDLE is impossible.
    case missingMid(sectionIndex: Int)
    /// An accepted m-section has no ice-ufrag / ice-pwd at media or session level (RFC 8839 §5.4).
    case missingICECredentials(mid: String)
    /// An accepted m-section has no a=fingerprint at media or session level (RFC 8122 §5).
    case missingFingerprint(mid: String)
    /// The offer's a=setup cannot be answered with our configured role (RFC 8842 §5.3).
    case incompatibleSetup(offered: Setup, ours: Setup)
    /// Our own options are invalid (bad ICE credentials, empty fingerprint, duplicate mids, ...).
    case invalidOptions(String)
}
