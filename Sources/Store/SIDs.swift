/// LiveKit-style server identifiers: a type prefix (`RM_`, `PA_`, `TR_`) followed by
/// 12 random base62 characters (62^12 ≈ 3.2e21 values, so collisions are not a concern).
public enum SIDs {
    /// Number of random characters after the prefix.
    public static let randomLength = 12

    public static let roomPrefix = "RM_"
    public static let participantPrefix = "PA_"
    public static let trackPrefix = "TR_"

    static let alphabet: [Character] = Array(
        "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// A new room sid, e.g. `RM_x3Bf9QkL0aZp`.
    public static func room() -> String { make(prefix: roomPrefix) }

    /// A new participant (session) sid, e.g. `PA_Q8mZr2VYc1Td`.
    public static func participant() -> String { make(prefix: participantPrefix) }

    /// A new track sid, e.g. `TR_AbCdEf123456`.
    public static func track() -> String { make(prefix: trackPrefix) }

    /// `prefix` + `randomLength` base62 characters from the system CSPRNG (unbiased).
    public static func make(prefix: String) -> String {
        var rng = SystemRandomNumberGenerator()
        var result = prefix
        result.reserveCapacity(prefix.utf8.count + randomLength)
        for _ in 0..<randomLength {
            result.append(alphabet.randomElement(using: &rng)!)
        }
        return result
    }

    /// True when `sid` is `prefix` followed by exactly `randomLength` base62 characters.
    public static func isValid(_ sid: String, prefix: String) -> Bool {
        guard sid.hasPrefix(prefix) else { return false }
        let rest = sid.dropFirst(prefix.count)
        return rest.count == randomLength && rest.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }
}
