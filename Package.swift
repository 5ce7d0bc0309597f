// swift-tools-version:6.2
// Switchboard: an SFU media server. Module graph (dependencies point one way):
//   wire formats (STUN, RTP, RTCP, SDP, PayloadFormats) -> transport (SRTP, DTLS, ICE,
//   MediaTransport) -> SFU core -> recorder, signalling, store -> the `switchboard` executable.
import PackageDescription

let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "switchboard",
    platforms: [.macOS(.v14)],
    products: [
        .executable(name: "switchboard", targets: ["switchboard"]),
        .library(name: "SwitchboardKit", targets: [
            "STUN", "RTP", "RTCP", "SDP", "PayloadFormats",
            "SRTP", "DTLS", "ICE", "MediaTransport", "Codecs", "SwitchboardServer",
        ]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // System libraries (module map + pkg-config). Only the wrapper modules below import them.
        .systemLibrary(name: "CSRTP", pkgConfig: "libsrtp2", providers: [.apt(["libsrtp2-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "COpus", pkgConfig: "opus", providers: [.apt(["libopus-dev"])]),
        .systemLibrary(name: "CVPX", pkgConfig: "vpx", providers: [.apt(["libvpx-dev"])]),
        // recvmmsg/sendmmsg/epoll/eventfd declarations Swift's Glibc module leaves out.
        .systemLibrary(name: "CSocket"),

        // Wire formats: pure values, no I/O.
        .target(name: "STUN", dependencies: ["COpenSSL"], swiftSettings: strict),
        .target(name: "RTP", swiftSettings: strict),
        .target(name: "RTCP", swiftSettings: strict),
        .target(name: "SDP", swiftSettings: strict),
        .target(name: "PayloadFormats", swiftSettings: strict),

        // Transport.
        .target(name: "SRTP", dependencies: ["CSRTP"], swiftSettings: strict),
        .target(name: "DTLS", dependencies: ["COpenSSL", "SRTP"], swiftSettings: strict),
        .target(name: "ICE", dependencies: ["STUN"], swiftSettings: strict),
        .target(name: "MediaTransport", dependencies: ["CSocket", "STUN", "SRTP", "DTLS", "ICE"],
                swiftSettings: strict),

        // Codec wrappers (libopus, libvpx): fixtures, tests, load generation, recorder.
        .target(name: "Codecs", dependencies: ["COpus", "CVPX"], swiftSettings: strict),

        // The server: configuration, HTTP, wiring of transports.
        .target(name: "SwitchboardServer", dependencies: [
            "MediaTransport", "SDP", "RTP", "RTCP", "DTLS", "SRTP", "ICE",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Yams", package: "Yams"),
        ], swiftSettings: strict),
        .executableTarget(name: "switchboard", dependencies: [
            "SwitchboardServer",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: strict),

        // libFuzzer targets: `make fuzz` builds them with -sanitize=fuzzer -DFUZZING; a plain
        // build makes corpus replayers out of the same files.
        .executableTarget(name: "FuzzParsers", dependencies: ["STUN", "RTP", "RTCP", "SDP", "PayloadFormats", "DTLS", "ICE", "SRTP"],
                          path: "Tests/Fuzz/FuzzParsers", swiftSettings: strict),

        .testTarget(name: "STUNTests", dependencies: ["STUN"], swiftSettings: strict),
        .testTarget(name: "RTPTests", dependencies: ["RTP"], swiftSettings: strict),
        .testTarget(name: "RTCPTests", dependencies: ["RTCP"], swiftSettings: strict),
        .testTarget(name: "SDPTests", dependencies: ["SDP"], resources: [.copy("Fixtures")], swiftSettings: strict),
        .testTarget(name: "PayloadFormatsTests", dependencies: ["PayloadFormats"], swiftSettings: strict),
        .testTarget(name: "SRTPTests", dependencies: ["SRTP"], swiftSettings: strict),
        .testTarget(name: "DTLSTests", dependencies: ["DTLS", "SRTP"], swiftSettings: strict),
        .testTarget(name: "ICETests", dependencies: ["ICE", "STUN"], swiftSettings: strict),
        .testTarget(name: "MediaTransportTests", dependencies: ["MediaTransport", "DTLS", "SRTP", "STUN", "ICE"], swiftSettings: strict),
        .testTarget(name: "SwitchboardServerTests", dependencies: ["SwitchboardServer", "SDP", "MediaTransport"], swiftSettings: strict),
        .testTarget(name: "CodecsTests", dependencies: ["Codecs"], swiftSettings: strict),
    ]
)
