/// Why an egress call was refused or failed; the Twirp service maps each case to its code.
public enum EgressError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidArgument(String)
    case notFound(String)
    case alreadyExists(String)
    /// The egress exists but cannot do this now (e.g. stop a finished one).
    case failedPrecondition(String)
    /// A kind of egress this server does not do (room composite, web, streams, uploads).
    case unimplemented(String)
    case `internal`(String)

    public var description: String {
        switch self {
        case .invalidArgument(let m), .notFound(let m), .alreadyExists(let m), .failedPrecondition(let m),
             .unimplemented(let m), .internal(let m):
            return m
        }
    }
}
