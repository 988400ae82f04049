// A complete EmbedRec program in one file: load ratings, train, evaluate, recommend, save the
// recommender, open it again and recommend by raw ID.
//
//   swift run -c release quickstart-example [path/to/u.data]
//
// With a MovieLens 100K `u.data` path it uses the real data; otherwise it generates a small
// goodbooks-shaped dataset.
import EmbedRec
import Foundation
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
// Early stopping watches a validation split carved from the training data, never the test set.
let inner = try split.train.randomSplit(testFraction: 0.1, seed: 1)
let fitted = try Recipe.tunedBiasedMF.fit(inner.train, options: .init(validation: inner.test))
let model = fitted.model, history = fitted.history!
print("\(model.summary), best epoch \(history.bestEpoch) on validation: \(history.best!.validation!)")
print("test: \(try RatingMetrics(model: model, data: split.test))")
print("bias-only baseline: \(try RatingMetrics(model: BaselineModel(.biases, fittedOn: split.train), data: split.test))")

let scorer = try TopKScorer(model: model, training: split.train)
let user: UserIndex = 0
print("Top 5 for user \(data.userIDs.rawID(at: user)!):")
for r in try scorer.recommend(user: user, options: .init(k: 5)) {
    print("  item \(r.rawItemID)  predicted \(r.predictedRating!)")
}
print(try RankingMetrics(model: model, train: split.train, test: split.test, k: 10))

// Save everything serving needs in one file, open it (as a server would) and ask by raw ID.
let recommender = try Recommender(model: model, training: split.train, configuration: fitted.training, history: history)
let file = FileManager.default.temporaryDirectory.appendingPathComponent("quickstart.safetensors").path
try recommender.save(to: file)
let served = try Recommender(contentsOf: file)
let reader = data.userIDs.rawIDs[0]
print("From \(file): top 3 for user \(reader): \(try served.recommend(user: reader, k: 3).recommendations.map { $0.rawItemID })")
let book = data.itemIDs.rawIDs[0]
print("Items like \(book): \(try served.similarItems(to: book, k: 3).map { $0.rawItemID })")
let newcomer = try served.recommend(newReaderRatings: [book: 5, data.itemIDs.rawIDs[1]: 4], k: 3)
print("A new reader who loved \(book): \(newcomer.recommendations.map { $0.rawItemID })")
