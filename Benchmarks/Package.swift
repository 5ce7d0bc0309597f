// swift-tools-version:6.1
// Switchboard media hot-path benchmarks (package-benchmark). A package of its own so that the
// root package does not depend on the benchmark harness; it uses the root's library modules
// through the SwitchboardKit product.
//
// Run (release build, fixed sample counts, per-operation Markdown tables on stdout):
//   cd Benchmarks && swift package --disable-sandbox benchmark --format markdown --no-progress
// See docs/benchmarks.md for the method and the latest numbers.
import PackageDescription

let package = Package(
    name: "SwitchboardBenchmarks",
    platforms: [.macOS(.v14)],
    dependencies: [
        .package(name: "switchboard", path: ".."),
        // The malloc interposer counts allocations without jemalloc (package-benchmark >= 1.38).
        .package(url: "https://github.com/ordo-one/package-benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: []
)

// One executable per benchmark suite, sources in Benchmarks/<Name>/ as package-benchmark
// expects; the BenchmarkPlugin build plugin generates each suite's entry point.
let suites = ["SRTPForwarding", "RTCPParse", "ICEConnectivityCheck", "RTPHeaderParse"]
for suite in suites {
    package.targets.append(
        .executableTarget(
            name: suite,
            dependencies: [
                .product(name: "Benchmark", package: "package-benchmark"),
                .product(name: "SwitchboardMedia", package: "switchboard"),
            ],
            path: "Benchmarks/\(suite)",
            swiftSettings: [.swiftLanguageMode(.v6)],
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "package-benchmark"),
            ]
        )
    )
}
