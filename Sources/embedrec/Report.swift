import ArgumentParser
import EmbedRec
import EmbedRecPlots

/// The one-page HTML report of a saved recommender.
struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Writes a one-page HTML report of a saved recommender: metrics, loss curves, item map.",
        discussion: """
        Examples:
          embedrec report books.safetensors --output report.html
          embedrec report ml100k.safetensors --test ml-100k/u1.test --format udata --output report.html

        The page is self-contained (SVG inline, no scripts, no network). With --test it tabulates rating and ranking metrics next to the baselines and plots recall@K.
        """)

    @Argument(help: "A saved recommender.")
    var file: String

    @Option(help: "The HTML file to write.")
    var output: String

    @Option(help: "The report's title (default: the model's summary).")
    var title: String?

    @OptionGroup var projection: ProjectionOptions
    @OptionGroup var testFile: TestFileOptions

    func validate() throws {
        try checkOutputPath(output, option: "--output")
        if projection.method == .none, projection.labels != nil {
            throw ValidationError("--labels names items on the map; --projection none draws no map")
        }
    }

    func run() throws {
        let recommender = try openRecommender(file)
        var options = TrainingReport.Options(relevanceThreshold: try testFile.relevanceThreshold(for: recommender), projection: projection.choice, labelled: projection.labelCount)
        options.colouring = projection.colouring
        let report = try TrainingReport(recommender: recommender, test: try testFile.load(), title: title, options: options)
        try report.write(to: output)
        print("Wrote \(output) (\(report.tables.count) table\(report.tables.count == 1 ? "" : "s"), \(report.figures.count) figures)")
    }
}
