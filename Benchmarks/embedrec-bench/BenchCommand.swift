import ArgumentParser
import BenchmarkSuites
import COpenBLAS
import EmbedRec
import OpenBLASRelaunch
import Foundation

@main
struct EmbedRecBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedrec-bench",
        abstract: "Measures EmbedRec side by side with the Python code it replaces.",
        discussion: """
            Suites: load, train, score, foldin, similar, persist, project, ranking, neighbours, ease-scale, ease-sparse, blas, quality, all.
            Data: goodbooks-shaped synthetic ratings (53,424 users × 10,000 books, 981,756 ratings × --scale)
            unless --ratings names a file; real data from --shared-data for load, quality, ranking and neighbours.
            With --peers, runs pandas, Keras (the tutorials' models), scikit-surprise and NumPy on the same
            files (set up with Benchmarks/peers/setup.sh) and prints each figure's ratio (> 1: EmbedRec better).
            Each result is printed as soon as it is measured, into a file or a pipe too; on a terminal, standard
            error shows a line as each suite starts and ends.

            Example:
              embedrec-bench load score --scale 0.5 --json bench-out/run.json | tee bench.log
            """)

    /// Restarts with vector OpenBLAS kernels when OpenBLAS did not recognise the CPU (see
    /// `OpenBLASKernels`), then parses the arguments and runs.
    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        // Line-buffered even into a file or a pipe: each result shows as soon as it is measured.
        embedrec_line_buffer_stdout()
        main(nil)
    }

    @Argument(help: "Suites to run: load, train, score, foldin, similar, persist, project, ranking, neighbours, ease-scale, ease-sparse, blas, quality, all.")
    var suites: [String] = ["all"]

    @Flag(help: "Run the Python peers on the same data (needs .venv-peers from Benchmarks/peers/setup.sh).")
    var peers = false

    @Flag(help: "Tiny data and one repeat: checks the harness, not speed.")
    var smoke = false

    @Option(help: "Scale of the generated goodbooks-shaped data (1 = 981,756 ratings, 6 = the later release).")
    var scale: Double = 1

    @Option(help: "A ratings file (goodbooks or MovieLens CSV with a header) instead of generated data.")
    var ratings: String?

    @Option(help: "Repeats per timing.")
    var repeats: Int = 5

    @Option(help: "Training epochs for every training case (default: each case's own, the tutorials' 5 or 10; surprise's 20).")
    var epochs: Int?

    @Option(help: "Training rows given to Keras per model (Keras runs at 2–40k ratings/s).")
    var kerasRows: Int = 40_000

    @Option(help: "Folder with ml-100k/, ml-1m/, goodbooks-10k/ and lastfm-2k/ (real data for load, quality, ranking and neighbours).")
    var sharedData: String = "../shared/data"

    @Option(help: "Folder for generated files and the JSON report.")
    var workDir: String = "bench-out"

    @Option(help: "Path of the JSON report (default: <work-dir>/results.json).")
    var json: String?

    @Option(help: "Run only the training cases whose name contains this text (ml-1m cases are named \"ml-1m: <case>\"); for ranking and neighbours, the datasets (ml-1m, ml-100k, goodbooks, lastfm).")
    var only: String?

    func validate() throws {
        guard scale > 0 else { throw ValidationError("--scale must be > 0") }
        guard repeats > 0, epochs ?? 1 > 0, kerasRows > 0 else { throw ValidationError("--repeats, --epochs and --keras-rows must be > 0") }
    }

    func run() throws {
        var options = BenchmarkOptions()
        options.suites = suites; options.peers = peers; options.smoke = smoke; options.scale = scale
        options.ratingsPath = ratings; options.repeats = repeats; options.epochs = epochs
        options.kerasRows = kerasRows; options.sharedData = sharedData; options.workDir = workDir
        options.jsonPath = json; options.caseFilter = only
        options.suiteProgressOnStandardError = isatty(STDERR_FILENO) == 1
        do {
            try BenchmarkRunner.run(options)
        } catch let error as BenchmarkError {
            throw ValidationError(error.description)
        }
    }
}
