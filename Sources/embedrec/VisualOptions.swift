import ArgumentParser
import EmbedRec
import EmbedRecPlots

/// How `plot map` and `report` project item embeddings to the plane. The values are optional
/// so that a command can tell which were given and refuse them where they do not apply.
struct ProjectionOptions: ParsableArguments {
    enum Method: String, ExpressibleByArgument, CaseIterable { case tsne, pca, none }

    @Option(help: "Projection of the item map: tsne (default), pca, or none (report only).")
    var projection: Method?

    @Option(help: "t-SNE perplexity (default 30).")
    var perplexity: Double?

    @Option(help: "t-SNE iterations after the 250 early-exaggeration ones (default 750).")
    var iterations: Int?

    @Option(help: "How many of the most-rated items the map names (default 15).")
    var labels: Int?

    enum Colouring: String, ExpressibleByArgument, CaseIterable { case genre, decade, none }

    @Option(help: "What colours the map's points: genre, decade or none (default: genre when the catalogue has genres, else decade when it has years).")
    var colorBy: Colouring?

    func validate() throws {
        if let perplexity, !(perplexity.isFinite && perplexity >= 1) { throw ValidationError("--perplexity must be at least 1") }
        guard iterations ?? 0 >= 0 else { throw ValidationError("--iterations must not be negative") }
        guard labels ?? 0 >= 0 else { throw ValidationError("--labels must not be negative") }
        if method == .none && colorBy != nil { throw ValidationError("--color-by colours the item map; --projection none draws none") }
        if method != .tsne {
            for (option, given) in [("--perplexity", perplexity != nil), ("--iterations", iterations != nil)] where given {
                throw ValidationError("\(option) is a t-SNE setting; it does not apply to --projection \(method.rawValue)")
            }
        }
    }

    var method: Method { projection ?? .tsne }
    var labelCount: Int { labels ?? 15 }

    /// The options given on the command line, for refusing them where no map is drawn.
    var given: [String] {
        [("--projection", projection != nil), ("--perplexity", perplexity != nil), ("--iterations", iterations != nil),
         ("--labels", labels != nil), ("--color-by", colorBy != nil)].filter(\.1).map(\.0)
    }

    /// `--color-by`, or the library's choice from the catalogue.
    var colouring: ScatterPlot.ItemColouring {
        switch colorBy {
        case .genre?: return .genre
        case .decade?: return .decade
        case .none?: return .none
        case nil: return .automatic
        }
    }

    var choice: RecommenderFigures.Projection? {
        switch method {
        // t-SNE starts from the PCA projection, so a map needs no seed.
        case .tsne:
            // The library's defaults, with what the command line gave.
            var configuration = TSNEConfiguration()
            if let perplexity { configuration.perplexity = perplexity }
            if let iterations { configuration.iterations = iterations }
            return .tsne(configuration)
        case .pca: return .pca
        case .none: return nil
        }
    }
}

/// A test ratings file for the commands that evaluate.
struct TestFileOptions: ParsableArguments {
    @Option(help: "A test ratings file (raw IDs, as for train).")
    var test: String?

    @OptionGroup(title: "Reading the test file")
    var ratingsFile: RatingsFileOptions

    @Option(help: "Test ratings at or above this are relevant for the ranking metrics (default: the top quarter of the rating scale, 4 on 1–5 stars; every row of a file of counts).")
    var relevant: Float?

    func validate() throws {
        if let relevant, !relevant.isFinite { throw ValidationError("--relevant must be a finite number") }
        if test == nil {
            for option in ratingsFile.given + (relevant != nil ? ["--relevant"] : []) {
                throw ValidationError("\(option) describes the --test file; give --test FILE")
            }
        } else {
            try checkInputPath(test!, option: "--test")
        }
    }

    /// `--relevant`, else the top quarter of the rating scale (4 on 1–5 stars) or, for a file
    /// of counts, every row.
    func relevanceThreshold(for recommender: Recommender) throws -> Float {
        if let relevant { return relevant }
        let format = try test.map { try ratingsFile.resolve($0).format }
        return RankingMetrics.defaultRelevanceThreshold(ratingScale: format?.ratingScale ?? recommender.ratingScale,
                                                        values: format?.values ?? .ratings)
    }

    /// The options given on the command line.
    var given: [String] {
        (test != nil ? ["--test"] : []) + ratingsFile.given + (relevant != nil ? ["--relevant"] : [])
    }

    func load() throws -> RatingsDataset? {
        try test.map { try RatingsLoader.load(path: $0, format: try ratingsFile.resolve($0).format) }
    }
}
