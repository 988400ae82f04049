import ArgumentParser
import EmbedRec
import OpenBLASRelaunch
import Foundation

@main
struct EmbedRecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedrec",
        abstract: "Embedding recommenders on CPU: train, evaluate and recommend.",
        subcommands: [Demo.self, Train.self],
        defaultSubcommand: Demo.self)

    /// Restarts with vector OpenBLAS kernels when OpenBLAS did not recognise the CPU (see
    /// `OpenBLASKernels`), then parses the arguments and runs.
    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        main(nil)
    }
}

/// Which model a command trains.
enum ModelChoice: String, ExpressibleByArgument, CaseIterable {
    case mf, biasedmf, mlp
}

/// Builds a model and training configuration with sensible defaults for `choice`.
func makeModel(_ choice: ModelChoice, for data: RatingsDataset, dimension: Int, epochs: Int, seed: UInt64) throws
    -> (any Model, TrainingConfiguration)
{
    var training = TrainingConfiguration(epochs: epochs, batchSize: 128, optimizer: .adam(learningRate: 0.002), seed: seed)
    switch choice {
    case .mf:
        training.embeddingL2 = 0.02
        return (try MatrixFactorization(for: data, configuration: .init(dimension: dimension, initializer: .normal(std: 0.1), seed: seed)), training)
    case .biasedmf:
        // The MovieLens tutorial's best model (sigmoid scaled to the rating range, He-normal),
        // with the per-occurrence L2 that measured best on ml-100k and ml-1m (Docs/Benchmarks.md).
        training = TrainingConfiguration(epochs: epochs, batchSize: 64, optimizer: .adam(learningRate: 0.001),
                                         embeddingL2: 0.001, seed: seed)
        // With every rating equal there is no range to scale a sigmoid to: a linear output
        // around the mean then predicts that rating.
        guard let range = data.ratingRange, range.lowerBound < range.upperBound else {
            return (try BiasedMF(for: data, configuration: .init(
                dimension: dimension, initializer: .heNormal, globalOffset: data.meanRating ?? 0, seed: seed)), training)
        }
        return (try BiasedMF(for: data, configuration: .init(
            dimension: dimension, initializer: .heNormal,
            output: .sigmoidScaled(min: range.lowerBound, max: range.upperBound), seed: seed)), training)
    case .mlp:
        training.embeddingL2 = 0.01
        return (try ConcatMLP(for: data, configuration: .init(
            userDimension: dimension, itemDimension: dimension, hiddenUnits: [64], seed: seed)), training)
    }
}

/// Trains with a one-line progress report per epoch.
func trainWithProgress(_ model: any Model, _ training: TrainingConfiguration, _ split: TrainTestSplit) throws -> TrainingHistory {
    try Trainer(configuration: training).fit(model, on: split.train, validation: split.test) { history in
        if let e = history.epochs.last {
            print(String(format: "  epoch %2d  train MSE %.4f  test RMSE %.4f  %.2fM ratings/s",
                         e.epoch, e.trainingMSE, e.validation?.rmse ?? .nan, e.ratingsPerSecond / 1e6))
        }
        return .proceed
    }
}
