import ArgumentParser
import EmbedRec
import Foundation

/// Train and evaluate a model on any supported ratings file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train a model on a ratings file and report test metrics.",
        discussion: """
        Multi-threaded training updates rows without locks (Hogwild): runs with the same seed differ slightly; --deterministic trains on one thread, repeatably.

        Examples:
          embedrec train ml-100k/u.data --format udata --output m.safetensors
          embedrec train ml-100k/u1.base --test ml-100k/u1.test --format udata
        """)

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case csv, udata, dat
        var fileFormat: RatingsFileFormat {
            switch self {
            case .csv: return .goodbooks
            case .udata: return .movieLens100K
            case .dat: return .movieLens1M
            }
        }
    }

    @Argument(help: "Ratings file.")
    var ratings: String

    @Option(help: "Format: csv (header names the columns), udata (MovieLens u.data), dat (ratings.dat).")
    var format: Format = .csv

    @Option(help: "Model preset: \(ModelPreset.all.map(\.name).joined(separator: ", ")).")
    var model: PresetChoice = PresetChoice(argument: "biasedmf")!

    @Option(help: "Embedding dimension (default: the preset's).")
    var dimension: Int?

    @Option(help: "Training epochs.")
    var epochs: Int = 10

    @Option(help: "Test fraction of the random split.")
    var testFraction: Double = 0.1

    @Option(help: "Seed for the split, initialisation and shuffling.")
    var seed: UInt64 = 42

    @Option(help: "A fixed test file (same format) instead of a random split of the ratings file.")
    var test: String?

    @Flag(help: "Train on one thread so that the same seed gives the same model (slower).")
    var deterministic = false

    @Option(help: "Titles to store with --output: goodbooks books.csv, MovieLens movies.csv or u.item.")
    var catalog: String?

    @Option(help: "Write the trained recommender (model, ID maps, rated lists, training record) to this safetensors file.")
    var output: String?

    mutating func validate() throws {
        guard testFraction > 0, testFraction < 1 else { throw ValidationError("--test-fraction must be in (0, 1), got \(testFraction)") }
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
        if let output {
            let folder = URL(fileURLWithPath: output).deletingLastPathComponent().path
            guard FileManager.default.fileExists(atPath: folder) else { throw ValidationError("--output: folder \(folder) does not exist") }
        }
    }

    mutating func run() throws {
        let split: TrainTestSplit
        if let test {
            let pair = try RatingsLoader.loadPair(trainPath: ratings, testPath: test, format: format.fileFormat)
            split = TrainTestSplit(train: pair.train, test: pair.test)
            print("\(ratings): \(pair.train.count) training ratings; \(test): \(pair.test.count) test ratings")
        } else {
            let data = try RatingsLoader.load(path: ratings, format: format.fileFormat)
            print("\(ratings): \(data.count) ratings, \(data.userCount) users, \(data.itemCount) items")
            split = try data.randomSplit(testFraction: testFraction, seed: seed)
        }
        var (model, training) = try makeModel(model, for: split.train, dimension: dimension, epochs: epochs, seed: seed)
        training.deterministic = deterministic
        print("Training \(model.summary):")
        let history = try trainWithProgress(model, training, split)
        // No early stopping here (the split's test part must not choose the epoch): the model
        // holds the last epoch's weights.
        print("After epoch \(history.bestEpoch): test \(history.best?.validation.map(String.init(describing:)) ?? "")")
        let ranking = try RankingMetrics(model: model, train: split.train, test: split.test, k: 10)
        print("Ranking: \(ranking)")
        if let output {
            let titles = try catalog.map { try Demo.loadCatalog($0).items }
            try Recommender(model: model, training: split.train, configuration: training, history: history, catalog: titles)
                .save(to: output)
            print("Saved the recommender to \(output)")
        }
    }
}
