// Two builds of one executable:
//
// * `-DFUZZING` (with `-sanitize=fuzzer`): no `@main`; libFuzzer's driver calls
//   LLVMFuzzerTestOneInput for every input (see FuzzParsers_main below for why we start it). The parser under test is chosen with the
//   FUZZ_TARGET environment variable (stun, ice, rtp, rtcp, sdp, vp8, opus, dtls, data):
//       FUZZ_TARGET=rtp .build-fuzz/debug/FuzzParsers -max_total_time=60 corpus-dir
//   One binary for all targets keeps Package.swift small; coverage feedback is per process,
//   so each run only sees (and is guided by) the target it exercises.
//
// * a plain build: a corpus replayer that runs the same functions, so `swift build` of the whole
//   package stays green without libFuzzer and a crash file can be replayed under a debugger:
//       FuzzParsers list
//       FuzzParsers <target> <file or directory>...
//       FuzzParsers all <corpus-root>            (each target over <corpus-root>/<target>/)
//       FuzzParsers make-seeds <corpus-root>     (regenerates the programmatic seed files)

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The target named by FUZZ_TARGET, or nil.
func targetFromEnvironment() -> FuzzTarget? {
    guard let raw = getenv("FUZZ_TARGET") else { return nil }
    return FuzzTargets.named(String(cString: raw))
}

func targetListing() -> String {
    FuzzTargets.all.map { "  \($0.name + String(repeating: " ", count: max(0, 6 - $0.name.count))) max_len \($0.maxLength): \($0.summary)" }
        .joined(separator: "\n")
}

#if FUZZING

/// Resolved once, before the first input (LLVMFuzzerInitialize checks it).
let fuzzActiveTarget: FuzzTarget? = targetFromEnvironment()

@_cdecl("LLVMFuzzerInitialize")
public func fuzzInitialize(
    _ argc: UnsafeMutablePointer<CInt>?,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>?
) -> CInt {
    guard let target = fuzzActiveTarget else {
        printError("FuzzParsers: set FUZZ_TARGET to one of:\n\(targetListing())\n")
        exit(2)
    }
    // Expensive one-time setup happens here, not inside the first timed input.
    if target.name == "dtls" { blackHole(dtlsFuzzContext) }
    return 0
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = size > 0 && data != nil ? Array(UnsafeBufferPointer(start: data, count: size)) : []
    fuzzActiveTarget?.run(bytes)
    return 0
}

// SwiftPM links every executable product with `--defsym main=<Module>_main` (so test targets
// can link executable modules), which stops the linker from pulling libFuzzer's own `main`
// out of libclang_rt.fuzzer.a and fails with "undefined symbol 'FuzzParsers_main'". So we
// provide that symbol and hand control to libFuzzer's driver, exactly what its `main` does.
// Built with plain `swiftc -sanitize=fuzzer -parse-as-library`, libFuzzer's `main` is used and
// this function is simply never called.
#if hasFeature(Extern)
@_extern(c, "LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#else
// Without `-enable-experimental-feature Extern`: same symbol through the Swift calling
// convention, which for three pointer-sized arguments and an Int32 result is the C one on
// x86_64 and arm64.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt
) -> CInt
#endif

@_cdecl("FuzzParsers_main")
public func fuzzParsersMain(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CInt {
    var count = argc
    var vector = argv
    return LLVMFuzzerRunDriver(&count, &vector) { data, size in fuzz(data, size) }
}

#else

@main
struct FuzzParsersReplayer {
    static func main() {
        var arguments = Array(CommandLine.arguments.dropFirst())
        let usage = """
            usage: FuzzParsers <target> <file or dir>...   replay inputs through one target
                   FuzzParsers all <corpus-root>          replay <corpus-root>/<target>/ for every target
                   FuzzParsers make-seeds <corpus-root>   write the generated seed inputs
                   FuzzParsers list
                   (FUZZ_TARGET=<target> FuzzParsers <file or dir>... also works)
            targets:
            \(targetListing())
            """
        if arguments.isEmpty {
            print(usage)
            exit(targetFromEnvironment() == nil ? 2 : 0)
        }
        switch arguments[0] {
        case "list":
            for target in FuzzTargets.all { print(target.name, target.maxLength) }
        case "-h", "--help", "help":
            print(usage)
        case "make-seeds":
            guard arguments.count == 2 else { printError(usage + "\n"); exit(2) }
            writeSeeds(root: arguments[1])
        case "all":
            guard arguments.count == 2 else { printError(usage + "\n"); exit(2) }
            for target in FuzzTargets.all {
                let count = replay(target, paths: [arguments[1] + "/" + target.name])
                print("replayed \(count) inputs through \(target.name)")
            }
        default:
            let target: FuzzTarget
            if let named = FuzzTargets.named(arguments[0]) {
                target = named
                arguments.removeFirst()
            } else if let fromEnvironment = targetFromEnvironment() {
                target = fromEnvironment
            } else {
                printError("unknown target '\(arguments[0])'\n\(usage)\n")
                exit(2)
            }
            let count = replay(target, paths: arguments)
            print("replayed \(count) inputs through \(target.name)")
        }
    }

    /// Runs every file under `paths` (files, or directories walked recursively) through
    /// `target`; returns how many ran. A missing path is an error.
    static func replay(_ target: FuzzTarget, paths: [String]) -> Int {
        var count = 0
        for path in paths {
            guard let files = listFiles(path) else {
                printError("cannot read \(path)\n")
                exit(2)
            }
            for file in files {
                guard let bytes = readFile(file) else {
                    printError("cannot read \(file)\n")
                    exit(2)
                }
                target.run(bytes)
                count += 1
            }
        }
        return count
    }
}

/// The regular files at `path` (itself, or everything under it, sorted), nil if unreadable.
func listFiles(_ path: String) -> [String]? {
    var info = stat()
    guard stat(path, &info) == 0 else { return nil }
    if (info.st_mode & S_IFMT) != S_IFDIR { return [path] }
    guard let directory = opendir(path) else { return nil }
    defer { closedir(directory) }
    var names: [String] = []
    while let entry = readdir(directory) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
        if name == "." || name == ".." || name.hasPrefix(".") { continue }
        names.append(name)
    }
    var files: [String] = []
    for name in names.sorted() {
        files += listFiles(path + "/" + name) ?? []
    }
    return files
}

func readFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "rb") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let n = fread(&chunk, 1, chunk.count, file)
        if n > 0 { bytes += chunk[0..<n] }
        if n < chunk.count { break }
    }
    return ferror(file) == 0 ? bytes : nil
}

func writeFile(_ path: String, _ bytes: [UInt8]) {
    guard let file = fopen(path, "wb") else {
        printError("cannot write \(path)\n")
        exit(1)
    }
    defer { fclose(file) }
    if !bytes.isEmpty { _ = fwrite(bytes, 1, bytes.count, file) }
}

#endif
