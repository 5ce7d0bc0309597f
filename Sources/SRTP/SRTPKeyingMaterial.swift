/// The keys of one DTLS-SRTP association, split from the exported keying material as
/// RFC 5764 §4.2 lays it out: client key, server key, client salt, server salt.
public struct SRTPKeyingMaterial: Sendable, Equatable {
    public let profile: SRTPProfile
    public let clientKey: [UInt8]
    public let serverKey: [UInt8]
    public let clientSalt: [UInt8]
    public let serverSalt: [UInt8]

    public enum SplitError: Error, Equatable { case wrongLength(expected: Int, got: Int) }

    public init(profile: SRTPProfile, exported material: [UInt8]) throws(SplitError) {
        guard material.count == profile.keyingMaterialLength else {
            throw .wrongLength(expected: profile.keyingMaterialLength, got: material.count)
        }
        let k = profile.keyLength, s = profile.saltLength
        self.profile = profile
        clientKey = Array(material[0..<k])
        serverKey = Array(material[k..<2 * k])
        clientSalt = Array(material[2 * k..<2 * k + s])
        serverSalt = Array(material[2 * k + s..<2 * k + 2 * s])
    }

    /// Key || salt for the side that sends with it; libsrtp wants them concatenated.
    public func masterKey(forClient: Bool) -> [UInt8] {
        forClient ? clientKey + clientSalt : serverKey + serverSalt
    }
}
