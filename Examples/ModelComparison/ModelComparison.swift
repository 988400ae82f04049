// The MovieLens tutorial's three models with its settings — V1 (dot product), V2 (V1 + biases,
// sigmoid scaled to the rating range) and Net (concatenated embeddings through a small MLP) —
// trained on the same 90/10 split (seed 42), with a table of validation MSE per epoch.
//
//   swift run ModelComparison ml-100k/u.data
//   swift run ModelComparison ml-1m/ratings.csv --epochs 5
import ArgumentParser
import EmbedRec
import Foundation
import OpenBLASRelaunch

@main
struct ModelComparison: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ModelComparison",
        abstract: "The MovieLens tutorial's V1, V2 and Net: validation MSE per epoch.",
        discussion: """
        The format follows the file: MovieLens u.data (and u1.base …) tab-separated, ratings.dat with ::, otherwise CSV with a header naming the user, item and rating columns.

        Example:
          swift run ModelComparison ml-100k/u.data --epochs 5
        """)

    @Argument(help: "A MovieLens ratings file: ml-100k u.data, ml-1m ratings.dat or ratings.csv.")
    var ratings: String

    @Option(help: "Training epochs (the tutorial's 5).")
    var epochs: Int = 5

    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        main(nil)
    }

    func validate() throws {
        guard epochs >= 1 else { throw ValidationError("--epochs must be at least 1") }
    }

    func run() throws {
        let name = URL(fileURLWithPath: ratings).lastPathComponent
        let format: RatingsFileFormat = name.hasSuffix(".dat") ? .movieLens1M
            : (name == "u.data" || name.hasSuffix(".base") || name.hasSuffix(".test")) ? .movieLens100K : .goodbooks
        let data = try RatingsLoader.load(path: ratings, format: format)
        // The tutorial validates on its 10% test split each epoch and keeps the last epoch.
        let split = try data.randomSplit(testFraction: 0.1, seed: 42)
        print("\(name): \(data.count) ratings, \(data.userCount) users, \(data.itemCount) items; "
              + "\(split.train.count) training, \(split.test.count) validation")

        let recipes = try [Recipe.tutorialV1, .tutorialV2, .tutorialNet].map { try $0.adjusted(.init(epochs: epochs)) }
        var curves: [[Double]] = []
        for recipe in recipes {
            let history = try recipe.fit(split.train, options: .init(validation: split.test)).history!
            curves.append(history.epochs.map { $0.validation!.mse })
            print("  \(recipe.name): \(recipe.summary)")
        }

        let baseline = try RatingMetrics(model: BaselineModel(.biases, fittedOn: split.train), data: split.test).mse
        print("\nValidation MSE (bias-only baseline \(String(format: "%.4f", baseline))):")
        print("epoch" + recipes.map { $0.name.leftPadded(to: 9) }.joined())
        for e in 0..<epochs {
            print(String(e + 1).leftPadded(to: 5) + curves.map { String(format: "%.4f", $0[e]).leftPadded(to: 9) }.joined())
        }
        print("best " + curves.map { c in
            let best = c.indices.min { c[$0] < c[$1] }!
            return "\(String(format: "%.4f", c[best]))@\(best + 1)".leftPadded(to: 9)
        }.joined(separator: ""))
    }
}

extension String {
    func leftPadded(to width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
