import ArgumentParser
import EmbedRec
import OpenBLASRelaunch
import Foundation

@main
struct EmbedRecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embedrec",
        abstract: "Embedding recommenders on CPU: train, evaluate and recommend.",
        subcommands: [Demo.self, Generate.self, Train.self, Evaluate.self, Recommend.self, Similar.self, Export.self, Plot.self, Report.self],
        defaultSubcommand: Demo.self)

    /// Restarts with vector OpenBLAS kernels when OpenBLAS did not recognise the CPU (see
    /// `OpenBLASKernels`), then parses the arguments and runs.
    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        main(nil)
    }
}

/// A model preset named on the command line (`ModelPreset.named`).
struct PresetChoice: ExpressibleByArgument {
    let preset: ModelPreset

    init?(argument: String) {
        guard let preset = ModelPreset.named(argument) else { return nil }
        self.preset = preset
    }

    static var allValueStrings: [String] { ModelPreset.all.map(\.name) }
    var defaultValueDescription: String { preset.name }
}

/// The preset's model and training, with the command's dimension, epochs and seed. Early
/// stopping is left off: these commands validate on their test split, which must not choose
/// the epoch.
func makeModel(_ choice: PresetChoice, for data: RatingsDataset, dimension: Int?, epochs: Int, seed: UInt64) throws
    -> (any Model, TrainingConfiguration)
{
    var architecture = choice.preset.architecture.withSeed(seed)
    if let dimension { architecture = architecture.withDimension(dimension) }
    var training = choice.preset.training
    training.epochs = epochs
    training.seed = seed
    training.earlyStoppingPatience = nil
    return (try architecture.makeModel(for: data), training)
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

/// A failure found while running (not a usage mistake): printed as one "Error: …" line,
/// without the usage text a `ValidationError` brings.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// The options of the commands that list items (`recommend`, `similar`).
struct ListingOptions: ParsableArguments {
    @Option(help: "How many items to list.")
    var k: Int = 10

    @Flag(help: "JSON lines instead of a table.")
    var json = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
    }
}

/// Opens a saved recommender; a failure names the file.
func openRecommender(_ path: String) throws -> Recommender {
    do { return try Recommender(contentsOf: path) } catch {
        throw CommandFailure("\(path): \(error)")
    }
}
