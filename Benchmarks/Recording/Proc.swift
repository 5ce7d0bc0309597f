import Foundation
import Glibc

/// CPU and memory of this process from /proc (man 5 proc).
enum Proc {
    /// CPU seconds (user + system) of the whole process.
    static func processCPUSeconds() -> Double { cpuSeconds(stat: "/proc/self/stat") ?? 0 }

    /// CPU seconds of the thread named `name` (its `comm`), or nil if there is none.
    static func threadCPUSeconds(named name: String) -> Double? {
        guard let tid = threadID(named: name) else { return nil }
        return cpuSeconds(stat: "/proc/self/task/\(tid)/stat")
    }

    /// Resident memory in MiB.
    static func residentMiB() -> Double {
        guard let status = read("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = Double(line.split(separator: " ").dropFirst().first ?? "") else { return 0 }
        return kib / 1024
    }

    static func loadAverage() -> String { read("/proc/loadavg").map { $0.split(separator: " ").prefix(3).joined(separator: " ") } ?? "?" }

    static func threadID(named name: String) -> Int32? {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task") else { return nil }
        for tid in names {
            if let comm = read("/proc/self/task/\(tid)/comm"), comm.hasPrefix(name) { return Int32(tid) }
        }
        return nil
    }

    private static func cpuSeconds(stat path: String) -> Double? {
        guard let stat = read(path), let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is [0]; utime [11], stime [12] (fields 14 and 15).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = fread(&buffer, 1, buffer.count, file)
        return String(decoding: buffer.prefix(n), as: UTF8.self)
    }
}
