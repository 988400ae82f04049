import Dispatch
import Foundation

/// One benchmark figure: repeated timings reduced to median and spread, a throughput in a
/// natural unit, and optional extra values (test RMSE, peer figures).
public struct BenchResult: Codable, Sendable {
    public internal(set) var suite: String
    public internal(set) var name: String
    public internal(set) var unit: String
    /// Throughput per run (e.g. ratings/s), or seconds when `unit` is "s".
    public internal(set) var values: [Double]
    public internal(set) var median: Double
    public internal(set) var low: Double
    public internal(set) var high: Double
    /// Peak resident memory of the process so far, MiB.
    public internal(set) var peakMemoryMiB: Double
    public internal(set) var extras: [String: Double]
    public internal(set) var notes: String
    /// The peer's figure in the same unit, and EmbedRec ÷ peer (for times, peer ÷ EmbedRec),
    /// so that a ratio above 1 always means EmbedRec is better.
    public internal(set) var peerName: String?
    public internal(set) var peerMedian: Double?
    public internal(set) var ratio: Double?
    /// How the two sides of the comparison differ (threads, timed work, settings), or that
    /// they do not: printed beside the ratio in the tables.
    public internal(set) var comparison: String?

    init(suite: String, name: String, unit: String, values: [Double], extras: [String: Double] = [:], notes: String = "") {
        self.suite = suite; self.name = name; self.unit = unit; self.values = values
        let sorted = values.sorted()
        median = sorted.isEmpty ? .nan : (sorted.count % 2 == 1 ? sorted[sorted.count / 2]
            : (sorted[sorted.count / 2 - 1] + sorted[sorted.count / 2]) / 2)
        low = sorted.first ?? .nan; high = sorted.last ?? .nan
        peakMemoryMiB = Self.peakMemoryMiB()
        self.extras = extras; self.notes = notes
    }

    mutating func setPeer(_ name: String, _ value: Double?, comparison: String) {
        peerName = name; peerMedian = value; self.comparison = comparison
        guard let value, value > 0, median > 0 else { ratio = nil; return }
        // Times: how many times faster we are (peer / ours); rates: ours / peer.
        ratio = unit == "s" || unit == "ms" ? value / median : median / value
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
