import EmbedRec
import Foundation

/// What a benchmark run does; the `embedrec-bench` command fills it from its arguments.
public struct BenchmarkOptions: Sendable {
    /// Suite names: load, train, score, foldin, similar, persist, project, ranking, neighbours, ease-scale, ease-sparse, blas, quality, all.
    public var suites: [String] = ["all"]
    /// Run the Python peers (needs `.venv-peers`).
    public var peers = false
    /// Tiny data and one repeat: checks the harness, not speed.
    public var smoke = false
    public var scale: Double = 1
    public var ratingsPath: String? = nil
    public var repeats = 5
    /// Training epochs for every training case; nil: each case's own (the tutorials').
    public var epochs: Int? = nil
    public var kerasRows = 40_000
    public var sharedData = "../shared/data"
    public var workDir = "bench-out"
    public var jsonPath: String? = nil
    /// When set, the train suite runs only the cases whose name contains this text; the ranking
    /// and neighbours suites, only the datasets whose name contains it.
    public var caseFilter: String? = nil
    /// Write a line per suite on standard error as it starts and ends (the command sets this
    /// when standard error is a terminal).
    public var suiteProgressOnStandardError = false
    /// Where `.venv-peers` and `Benchmarks/peers` live.
    public var repoRoot = FileManager.default.currentDirectoryPath

    public static let suiteNames = ["blas", "load", "train", "score", "foldin", "similar", "persist", "project", "ranking", "neighbours", "ease-scale", "ease-sparse", "quality"]

    public init() {}
}

/// Runs benchmark suites and reports the results.
public enum BenchmarkRunner {
    /// Runs the selected suites, prints progress and the final table, writes the JSON report.
    /// - Throws: ``BenchmarkError`` for unknown suites, and any error of the library calls.
    @discardableResult
    public static func run(_ options: BenchmarkOptions) throws -> Report {
        for s in options.suites where s != "all" && !BenchmarkOptions.suiteNames.contains(s) {
            throw BenchmarkError.unknownSuite(s)
        }
        let started = Date()
        try FileManager.default.createDirectory(atPath: options.workDir, withIntermediateDirectories: true)
        let report = Report()
        var peerRunner: PeerRunner? = nil
        if options.peers {
            switch PeerRunner.locate(repoRoot: options.repoRoot) {
            case .success(let runner): peerRunner = runner
            case .failure(let why):
                print("Peers skipped: \(why.reason)")
                report.skipped.append("peers: \(why.reason)")
            }
        } else {
            print("Peers skipped: run with --peers (after Benchmarks/peers/setup.sh) to compare with pandas, Keras, surprise and NumPy.")
        }
        let machine = machineDescription()
        print("Machine: \(machine.sorted(by: { $0.key < $1.key }).map { "\($0.key)=\($0.value)" }.joined(separator: "; "))")
        let context = try BenchContext(
            report: report, peers: peerRunner, workDir: options.workDir, sharedData: options.sharedData,
            smoke: options.smoke, scale: options.scale, ratingsPath: options.ratingsPath,
            repeats: options.smoke ? 1 : options.repeats, epochs: options.smoke ? 1 : options.epochs,
            kerasRows: options.smoke ? 2_000 : options.kerasRows, caseFilter: options.caseFilter)
        let selected = options.suites.contains("all") ? BenchmarkOptions.suiteNames
            : BenchmarkOptions.suiteNames.filter(options.suites.contains)
        for (number, suite) in selected.enumerated() {
            let suiteStarted = Date()
            func progress(_ what: String) {
                guard options.suiteProgressOnStandardError else { return }
                let total = String(format: "%.0f", Date().timeIntervalSince(started))
                FileHandle.standardError.write(Data("[suite \(number + 1)/\(selected.count)] \(suite) \(what) (\(total) s since start)\n".utf8))
            }
            progress("running")
            defer { progress(String(format: "done in %.1f s", Date().timeIntervalSince(suiteStarted))) }
            print("== \(suite)")
            switch suite {
            case "load": try LoadSuite.run(context)
            case "train": try TrainSuite.run(context)
            case "score": try ScoreSuite.run(context)
            case "foldin": try FoldInSuite.run(context)
            case "similar": try SimilarSuite.run(context)
            case "persist": try PersistSuite.run(context)
            case "ranking": try RankingSuite.run(context)
            case "neighbours": try NeighbourSuite.run(context)
            case "ease-scale": try EASEScalingSuite.run(context)
            case "ease-sparse": try EASESparsitySuite.run(context)
            case "project": try ProjectSuite.run(context)
            case "blas": BLASSuite.run(context)
            case "quality": try QualitySuite.run(context)
            default: break
            }
        }
        print("")
        print(report.table())
        for s in report.skipped { print("skipped: \(s)") }
        let jsonPath = options.jsonPath ?? options.workDir + "/results.json"
        try report.writeJSON(to: jsonPath, machine: machine)
        print("JSON: \(jsonPath); total \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
        return report
    }
}

/// Errors of the benchmark harness.
public enum BenchmarkError: Error, CustomStringConvertible {
    case unknownSuite(String)
    /// A suite's own check of what it measured failed.
    case mismatch(String)
    public var description: String {
        switch self {
        case .mismatch(let why): return "benchmark check failed: \(why)"
        case .unknownSuite(let s): return "unknown suite '\(s)'; choose from all, \(BenchmarkOptions.suiteNames.joined(separator: ", "))"
        }
    }
}
