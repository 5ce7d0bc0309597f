/// The ICE username fragment and password of one side (RFC 8445 §5.3): ufrag at least 24 bits
/// and pwd at least 128 bits of randomness, both from the ice-char set (RFC 8839 §5.4).
public struct ICECredentials: Sendable, Hashable {
    public let ufrag: String
    public let pwd: String

    public init(ufrag: String, pwd: String) {
        self.ufrag = ufrag
        self.pwd = pwd
    }

    private static let iceChars = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")

    /// 8-character ufrag (48 bits) and 24-character pwd (144 bits) from the system RNG.
    /// The ufrag avoids '+' and '/' so it is also safe in logs and URLs.
    public static func random() -> ICECredentials {
        var rng = SystemRandomNumberGenerator()
        let ufrag = String((0..<8).map { _ in iceChars[Int.random(in: 0..<62, using: &rng)] })
        let pwd = String((0..<24).map { _ in iceChars.randomElement(using: &rng)! })
        return ICECredentials(ufrag: ufrag, pwd: pwd)
    }

    /// Whether a string is a valid ice-ufrag / ice-pwd value (RFC 8839 §5.4 grammar).
    public static func isValid(ufrag: String) -> Bool {
        (4...256).contains(ufrag.count) && ufrag.allSatisfy { iceChars.contains($0) }
    }

    public static func isValid(pwd: String) -> Bool {
        (22...256).contains(pwd.count) && pwd.allSatisfy { iceChars.contains($0) }
    }
}
