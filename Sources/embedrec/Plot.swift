import ArgumentParser
import EmbedRec
import EmbedRecPlots

/// One SVG figure of a saved recommender.
struct Plot: ParsableCommand {
    enum Kind: String, ExpressibleByArgument, CaseIterable { case loss, map, histogram, metrics }

    static let configuration = CommandConfiguration(
        abstract: "Draws one figure of a saved recommender as SVG.",
        discussion: """
        Examples:
          embedrec plot loss books.safetensors --output loss.svg
          embedrec plot loss mf.safetensors biasedmf.safetensors mlp.safetensors --output runs.svg
          embedrec plot map books.safetensors --output map.svg --projection pca
          embedrec plot metrics ml100k.safetensors --test ml-100k/u1.test --format udata --output recall.svg

        Kinds: loss (training and validation loss per epoch; several files overlay their runs, each named by its file), map (item embeddings by t-SNE or PCA, coloured by genre or decade from the catalogue, the most-rated items named), histogram (training ratings by value), metrics (recall@K of the model and the baselines; needs --test).
        """)

    @Argument(help: "What to draw: loss, map, histogram, metrics.")
    var kind: Kind

    @Argument(help: "A saved recommender (several for loss).")
    var files: [String]

    @Option(help: "The SVG file to write.")
    var output: String

    @Option(help: "Width and height in pixels.")
    var size: String = "800x600"

    @Option(help: "A name for each run of plot loss, in the order of the files (default: the file names).")
    var label: [String] = []

    @OptionGroup var projection: ProjectionOptions
    @OptionGroup var testFile: TestFileOptions

    func validate() throws {
        guard !files.isEmpty else { throw ValidationError("name a saved recommender") }
        if kind != .loss && files.count > 1 { throw ValidationError("plot \(kind.rawValue) takes one recommender, got \(files.count)") }
        guard parsedSize != nil else { throw ValidationError("--size must be WIDTHxHEIGHT between 200 and 4000, got \(size)") }
        if kind == .metrics && testFile.test == nil { throw ValidationError("plot metrics needs --test FILE") }
        if kind == .map && projection.method == .none { throw ValidationError("plot map needs --projection tsne or pca") }
        // Options of another kind of figure are refused, not ignored.
        if kind != .map, let option = projection.given.first {
            throw ValidationError("\(option) applies to plot map only, not plot \(kind.rawValue)")
        }
        if kind != .metrics, let option = testFile.given.first {
            throw ValidationError("\(option) applies to plot metrics only, not plot \(kind.rawValue)")
        }
        if !label.isEmpty && (kind != .loss || label.count != files.count) {
            throw ValidationError(kind != .loss ? "--label names the runs of plot loss, not plot \(kind.rawValue)"
                                  : "--label: give one for each of the \(files.count) files, got \(label.count)")
        }
        try checkOutputPath(output, option: "--output")
    }

    var parsedSize: (Int, Int)? {
        let parts = size.lowercased().split(separator: "x").compactMap { Int($0) }
        guard parts.count == 2, parts.allSatisfy({ (200...4000).contains($0) }) else { return nil }
        return (parts[0], parts[1])
    }

    /// The files' names without folder and `.safetensors`, or their whole paths where two
    /// names would be the same.
    static func runNames(_ files: [String]) -> [String] {
        let stems = files.map { file -> String in
            let name = file.split(separator: "/").last.map(String.init) ?? file
            return name.hasSuffix(".safetensors") ? String(name.dropLast(".safetensors".count)) : name
        }
        return Set(stems).count == stems.count ? stems : files
    }

    func run() throws {
        let recommenders = try files.map(openRecommender)
        let recommender = recommenders[0]
        let (width, height) = parsedSize!
        let document: SVGDocument
        switch kind {
        case .loss:
            if recommenders.count == 1 {
                document = try RecommenderFigures.lossCurves(recommender, name: label.first).document(width: width, height: height)
            } else {
                // Each run is named by its --label or its file: two runs of one recipe share the model's summary.
                let names = label.isEmpty ? Self.runNames(files) : label
                let runs = try zip(files, recommenders).enumerated().map { k, pair -> (name: String, history: TrainingHistory) in
                    let (file, r) = pair
                    guard let history = r.history, !history.epochs.isEmpty else { throw CommandFailure("\(file): no per-epoch training history") }
                    return (names[k], history)
                }
                document = try LinePlot.lossCurves(runs).document(width: width, height: height)
            }
        case .map:
            document = try RecommenderFigures.itemMap(recommender, projection: projection.choice!, labelled: projection.labelCount,
                                                      colouring: projection.colouring)
                .document(width: width, height: height)
        case .histogram: document = try RecommenderFigures.ratingHistogram(recommender).document(width: width, height: height)
        case .metrics:
            let evaluation = try RecommenderEvaluation(recommender: recommender, test: try testFile.load()!, ks: [1, 5, 10, 20, 50],
                                                       relevanceThreshold: try testFile.relevanceThreshold(for: recommender))
            document = try RecommenderFigures.metricsByK(evaluation).document(width: width, height: height)
        }
        try document.write(to: output)
        print("Wrote \(output)")
    }
}
