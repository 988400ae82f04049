import ArgumentParser
import EmbedRec
import EmbedRecPlots

/// How `plot map` and `report` project item embeddings to the plane.
struct ProjectionOptions: ParsableArguments {
    enum Method: String, ExpressibleByArgument, CaseIterable { case tsne, pca, none }

    @Option(help: "Projection of the item map: tsne, pca, or none (report only).")
    var projection: Method = .tsne

    @Option(help: "t-SNE perplexity.")
    var perplexity: Double = 30

    @Option(help: "t-SNE iterations after the 250 early-exaggeration ones.")
    var iterations: Int = 750

    @Option(help: "Seed of a random t-SNE start (the default PCA start needs none).")
    var seed: UInt64 = 0

    @Option(help: "How many of the most-rated items the map names.")
    var labels: Int = 15

    func validate() throws {
        guard perplexity.isFinite, perplexity >= 1 else { throw ValidationError("--perplexity must be at least 1") }
        guard iterations >= 0 else { throw ValidationError("--iterations must not be negative") }
        guard labels >= 0 else { throw ValidationError("--labels must not be negative") }
    }

    var choice: RecommenderFigures.Projection? {
        switch projection {
        case .tsne: return .tsne(TSNEConfiguration(perplexity: perplexity, iterations: iterations, seed: seed))
        case .pca: return .pca
        case .none: return nil
        }
    }
}

/// A test ratings file for the commands that evaluate.
struct TestFileOptions: ParsableArguments {
    @Option(help: "A test ratings file (raw IDs, as for train).")
    var test: String?

    @Option(help: "Format of the test file: csv (header names the columns), udata, dat; default: from the file's first line.")
    var format: Train.Format?

    @Option(help: "Test ratings at or above this are relevant for the ranking metrics.")
    var relevant: Float = 4

    func validate() throws {
        guard relevant.isFinite else { throw ValidationError("--relevant must be a finite number") }
    }

    func load() throws -> RatingsDataset? {
        try test.map { try RatingsLoader.load(path: $0, format: (try format ?? Train.Format.detect($0)).fileFormat) }
    }
}
