// A complete EmbedRec program in one file: load ratings, train, evaluate, recommend.
//
//   swift run -c release quickstart-example [path/to/u.data]
//
// With a MovieLens 100K `u.data` path it uses the real data; otherwise it generates a small
// goodbooks-shaped dataset.
import EmbedRec
import OpenBLASRelaunch

// Vector OpenBLAS kernels even where OpenBLAS does not know the CPU (a no-op elsewhere).
OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()

let arguments = CommandLine.arguments
let data: RatingsDataset
if arguments.count > 1 {
    data = try RatingsLoader.load(path: arguments[1], format: .movieLens100K)
} else {
    data = try SyntheticRatings.generate(.init(users: 5_000, items: 2_000, ratings: 150_000))
}
print("\(data.count) ratings, \(data.userCount) users, \(data.itemCount) items")

let split = try data.randomSplit(testFraction: 0.1, seed: 42)
let range = split.train.ratingRange ?? 1...5
let model = try BiasedMF(for: split.train, configuration: .init(
    dimension: 30, initializer: .heNormal, output: .sigmoidScaled(min: range.lowerBound, max: range.upperBound)))
let history = try Trainer(configuration: .init(
    epochs: 30, batchSize: 64, embeddingL2: 0.001, earlyStoppingPatience: 3))
    .fit(model, on: split.train, validation: split.test)
print("best epoch \(history.bestEpoch): \(history.best!.validation!)")
print("bias-only baseline: \(try RatingMetrics(model: BaselineModel(.biases, fittedOn: split.train), data: split.test))")

let scorer = try TopKScorer(model: model, training: split.train)
let user: Int32 = 0
print("Top 5 for user \(data.userIDs.rawID(at: user)):")
for r in try scorer.recommend(user: user, options: .init(k: 5)) {
    print("  item \(r.rawItemID!)  predicted \(r.predictedRating)")
}
print(try RankingMetrics(model: model, train: split.train, test: split.test, k: 10))
