import ArgumentParser
import EmbedRec
import Foundation

@main
struct EmbedRecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedrec-bench",
        abstract: "Measures EmbedRec side by side with the Python code it replaces.",
        discussion: """
            Suites: load, train, score, foldin, similar, blas, quality, all.
            Data: goodbooks-shaped synthetic ratings (53,424 users × 10,000 books, 981,756 ratings × --scale)
            unless --ratings names a file; real MovieLens data from --shared-data for load and quality.
            With --peers, runs pandas, Keras (the tutorials' models), scikit-surprise and NumPy on the same
            files (set up with Benchmarks/peers/setup.sh) and prints each figure's ratio (> 1: EmbedRec better).
            """)

    @Argument(help: "Suites to run: load, train, score, foldin, similar, blas, quality, all.")
    var suites: [String] = ["all"]

    @Flag(help: "Run the Python peers on the same data (needs .venv-peers).")
    var peers = false

    @Flag(help: "Tiny data and one repeat: checks the harness, not speed (used by the test suite).")
    var smoke = false

    @Option(help: "Scale of the generated goodbooks-shaped data (1 = 981,756 ratings, 6 = the later release).")
    var scale: Double = 1

    @Option(help: "A ratings file (goodbooks or MovieLens CSV with a header) to use instead of generated data.")
    var ratings: String?

    @Option(help: "Repeats per timing.")
    var repeats: Int = 5

    @Option(help: "Training epochs per model (each epoch is one timed run).")
    var epochs: Int = 3

    @Option(help: "Training rows given to Keras per model (Keras runs at 2–40k ratings/s).")
    var kerasRows: Int = 40_000

    @Option(help: "Folder with ml-100k/, ml-1m/ (real data for load and quality).")
    var sharedData: String = "../shared/data"

    @Option(help: "Folder for generated files and the JSON report.")
    var workDir: String = "bench-out"

    @Option(help: "Path of the JSON report (default: <work-dir>/results.json).")
    var json: String?

    func validate() throws {
        let known: Set = ["load", "train", "score", "foldin", "similar", "blas", "quality", "all"]
        for s in suites where !known.contains(s) {
            throw ValidationError("unknown suite '\(s)'; choose from \(known.sorted().joined(separator: ", "))")
        }
        guard scale > 0 else { throw ValidationError("--scale must be > 0") }
        guard repeats > 0, epochs > 0, kerasRows > 0 else { throw ValidationError("--repeats, --epochs and --keras-rows must be > 0") }
    }

    func run() throws {
        let started = Date()
        try FileManager.default.createDirectory(atPath: workDir, withIntermediateDirectories: true)
        let report = Report()
        var peerRunner: PeerRunner? = nil
        if peers {
            switch PeerRunner.locate(repoRoot: FileManager.default.currentDirectoryPath) {
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
            report: report, peers: peerRunner, workDir: workDir, sharedData: sharedData,
            smoke: smoke, scale: scale, ratingsPath: ratings,
            repeats: smoke ? 1 : repeats, epochs: smoke ? 1 : epochs, kerasRows: smoke ? 2_000 : kerasRows)
        let selected = suites.contains("all") ? ["blas", "load", "train", "score", "foldin", "similar", "quality"] : suites
        for suite in selected {
            print("== \(suite)")
            switch suite {
            case "load": try LoadSuite.run(context)
            case "train": try TrainSuite.run(context)
            case "score": try ScoreSuite.run(context)
            case "foldin": try FoldInSuite.run(context)
            case "similar": try SimilarSuite.run(context)
            case "blas": BLASSuite.run(context)
            case "quality": try QualitySuite.run(context)
            default: break
            }
        }
        print("")
        print(report.table())
        for s in report.skipped { print("skipped: \(s)") }
        let jsonPath = json ?? workDir + "/results.json"
        try report.writeJSON(to: jsonPath, machine: machine)
        print("JSON: \(jsonPath); total \(String(format: "%.0f", Date().timeIntervalSince(started))) s")
    }
}
