import EmbedRec
import Foundation

/// Collects results, prints them as they come and at the end as an aligned table, and writes
/// JSON.
public final class Report {
    /// Results in the order they were measured.
    public private(set) var results: [BenchResult] = []
    /// What was skipped, and why.
    public var skipped: [String] = []

    func add(_ result: BenchResult) {
        results.append(result)
        var line = "  \(result.suite)/\(result.name): \(humanize(result.median)) \(result.unit)"
        line += " [\(humanize(result.low))–\(humanize(result.high))]"
        for (k, v) in result.extras.sorted(by: { $0.key < $1.key }) { line += " \(k)=\(humanize(v))" }
        if let p = result.peerName { line += " | \(p): \(result.peerMedian.map(humanize) ?? "–") ratio \(result.ratio.map { String(format: "%.1f×", $0) } ?? "–")" }
        print(line)
    }

    /// The results as an aligned Markdown table.
    public func table() -> String {
        let header = ["suite", "case", "median", "unit", "spread", "extras", "peak MiB", "peer", "peer median", "ratio"]
        var rows = [header]
        for r in results {
            let extras = r.extras.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\(humanize($0.value))" }.joined(separator: " ")
            rows.append([
                r.suite, r.name, humanize(r.median), r.unit, "\(humanize(r.low))–\(humanize(r.high))", extras,
                String(format: "%.0f", r.peakMemoryMiB), r.peerName ?? "", r.peerMedian.map(humanize) ?? "", r.ratio.map { String(format: "%.1f×", $0) } ?? "",
            ])
        }
        let widths = (0..<header.count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (index, row) in rows.enumerated() {
            out += "| " + row.enumerated().map { c, cell in cell.padding(toLength: widths[c], withPad: " ", startingAt: 0) }.joined(separator: " | ") + " |\n"
            if index == 0 { out += "|" + widths.map { String(repeating: "-", count: $0 + 2) }.joined(separator: "|") + "|\n" }
        }
        return out
    }

    func writeJSON(to path: String, machine: [String: String]) throws {
        struct Document: Codable { let machine: [String: String]; let results: [BenchResult]; let skipped: [String] }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
        let data = try encoder.encode(Document(machine: machine, results: results, skipped: skipped))
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    }
}

/// Facts about the machine for the report.
func machineDescription() -> [String: String] {
    var info: [String: String] = [:]
    info["cores"] = String(ProcessInfo.processInfo.activeProcessorCount)
    if let cpu = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8) {
        let lines = cpu.split(separator: "\n")
        if let model = lines.first(where: { $0.hasPrefix("model name") })?.split(separator: ":").last {
            info["cpu"] = model.trimmingCharacters(in: .whitespaces)
        }
        if let flags = lines.first(where: { $0.hasPrefix("flags") })?.split(separator: ":").last {
            let wanted = ["sse4_2", "avx", "avx2", "fma", "avx512f"]
            let present = Set(flags.split(separator: " ").map(String.init))
            info["simd"] = wanted.filter(present.contains).joined(separator: " ")
        }
    }
    info["openblas"] = BLASThreading.openBLASConfiguration
    // The kernels in use (the configuration string names only the build's baseline target).
    info["openblasKernels"] = OpenBLASKernels.coreName
    info["memoryGiB"] = String(format: "%.1f", Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824)
    return info
}
