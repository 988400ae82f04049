import ArgumentParser
import EmbedRec

/// Train and evaluate a model on any supported ratings file.
struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Train a model on a ratings file and report test metrics.")

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

    mutating func run() throws {
        let data = try RatingsLoader.load(path: ratings, format: format.fileFormat)
        print("\(ratings): \(data.count) ratings, \(data.userCount) users, \(data.itemCount) items")
        let split = try data.randomSplit(testFraction: testFraction, seed: seed)
        let (model, training) = try makeModel(model, for: split.train, dimension: dimension, epochs: epochs, seed: seed)
        print("Training \(model.summary):")
        let history = try trainWithProgress(model, training, split)
        print("Best epoch \(history.bestEpoch): \(history.best?.validation.map(String.init(describing:)) ?? "")")
        let ranking = try RankingMetrics(model: model, train: split.train, test: split.test, k: 10)
        print("Ranking: \(ranking)")
    }
}
