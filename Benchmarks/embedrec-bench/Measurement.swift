import Dispatch
import Foundation

/// One benchmark figure: repeated timings reduced to median and spread, a throughput in a
/// natural unit, and optional extra values (test RMSE, peer figures).
struct BenchResult: Codable {
    var suite: String
    var name: String
    var unit: String
    /// Throughput per run (e.g. ratings/s), or seconds when `unit` is "s".
    var values: [Double]
    var median: Double
    var low: Double
    var high: Double
    /// Peak resident memory of the process so far, MiB.
    var peakMemoryMiB: Double
    var extras: [String: Double]
    var notes: String
    /// The peer's figure in the same unit, and EmbedRec ÷ peer (for times, peer ÷ EmbedRec),
    /// so that a ratio above 1 always means EmbedRec is better.
    var peerName: String?
    var peerMedian: Double?
    var ratio: Double?

    init(suite: String, name: String, unit: String, values: [Double], extras: [String: Double] = [:], notes: String = "") {
        self.suite = suite; self.name = name; self.unit = unit; self.values = values
        let sorted = values.sorted()
        median = sorted.isEmpty ? .nan : (sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        low = sorted.first ?? .nan; high = sorted.last ?? .nan
        peakMemoryMiB = Self.peakMemoryMiB()
        self.extras = extras; self.notes = notes
    }

    mutating func setPeer(_ name: String, _ value: Double?) {
        peerName = name; peerMedian = value
        guard let value, value > 0, median > 0 else { ratio = nil; return }
        ratio = unit == "s" ? value / median : median / value
    }

    static func peakMemoryMiB() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_maxrss) / 1024  // KiB on Linux
    }
}

/// Wall-clock seconds of `body`.
func time(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// Formats numbers for the table: 3 significant figures with SI suffixes for large values.
func humanize(_ v: Double) -> String {
    guard v.isFinite else { return "–" }
    let a = abs(v)
    if a >= 1e9 { return String(format: "%.2fG", v / 1e9) }
    if a >= 1e6 { return String(format: "%.2fM", v / 1e6) }
    if a >= 1e4 { return String(format: "%.1fk", v / 1e3) }
    if a >= 100 { return String(format: "%.0f", v) }
    if a >= 1 { return String(format: "%.2f", v) }
    if a >= 0.01 { return String(format: "%.4f", v) }
    return String(format: "%.2e", v)
}
