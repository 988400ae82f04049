import ArgumentParser
import EmbedRec
import Foundation

/// Rating and ranking metrics of a saved recommender on a test file, with baselines beside it.
struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Rating and ranking metrics of a saved recommender on a test file, next to baselines.",
        discussion: """
        Example:
          embedrec evaluate ml100k.safetensors ml-100k/u1.test --format udata

        Test rows whose user or item the recommender does not know are left out and counted. Ranking: top-K over the whole catalogue with the user's training items excluded; test ratings ≥ --relevant count as relevant.
        """)

    @Argument(help: "A saved recommender.")
    var file: String

    @Argument(help: "A test ratings file.")
    var test: String

    @OptionGroup(title: "Reading the test file")
    var ratingsFile: RatingsFileOptions

    @Option(help: "K of the ranking metrics.")
    var k: Int = 10

    @Option(help: "Test ratings at or above this are relevant for the ranking metrics (default: the top quarter of the rating scale, 4 on 1–5 stars; every row of a file of counts).")
    var relevant: Float?

    @Flag(help: "One JSON object instead of a table.")
    var json = false

    func validate() throws {
        guard k >= 1 else { throw ValidationError("--k must be at least 1") }
        guard relevant?.isFinite ?? true else { throw ValidationError("--relevant must be a finite number") }
    }

    func run() throws {
        let recommender = try openRecommender(file)
        // A K past the catalogue lists every item: the metrics mean nothing, the work is users × items.
        guard k <= recommender.itemIDs.count else {
            throw CommandFailure("--k \(k) is more than the \(recommender.itemIDs.count) items of \(file)")
        }
        let evaluation: RecommenderEvaluation
        let testFormat = try ratingsFile.resolve(test).format
        let relevance = relevant ?? RankingMetrics.defaultRelevanceThreshold(
            ratingScale: testFormat.ratingScale ?? recommender.ratingScale, values: testFormat.values)
        do {
            evaluation = try RecommenderEvaluation(recommender: recommender, test: try RatingsLoader.load(path: test, format: testFormat),
                                                   ks: [k], relevanceThreshold: relevance)
        } catch DatasetError.invalidArgument(let why) {
            throw CommandFailure("\(test): \(why)")
        }
        let testCount = evaluation.testRatings, unknown = evaluation.unknownRows
        // Counts (plays, clicks) are not ratings: no model's error on them means anything.
        let counts = !testFormat.values.areRatings
        let rows = evaluation.rows.map { ($0.name, counts ? nil : $0.rating, $0.ranking[0]) }
        if json {
            var object: [String: Any] = ["test": test, "ratings": testCount, "unknownRows": unknown, "k": k]
            object["models"] = rows.map { name, r, m in
                // RMSE and MAE only for a model that predicts ratings.
                ["model": name, "rmse": r.map { $0.rmse as Any } ?? NSNull(), "mae": r.map { $0.mae as Any } ?? NSNull(), "precision": m.precision, "recall": m.recall,
                 "ndcg": m.ndcg, "map": m.map, "hitRate": m.hitRate, "coverage": m.coverage, "users": m.usersEvaluated] as [String: Any]
            }
            let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("\(test): \(testCount) \(counts ? "rows of counts (no RMSE or MAE: they are not ratings)" : "ratings")\(unknown > 0 ? " (\(unknown) with an unknown user or item left out)" : "")")
        let header = ["model", "RMSE", "MAE", "P@\(k)", "R@\(k)", "NDCG@\(k)", "coverage"]
        let table = [header] + rows.map { name, r, m in
            [name] + [r?.rmse, r?.mae, m.precision, m.recall, m.ndcg, m.coverage].map { $0.map { String(format: "%.4f", $0) } ?? "—" }
        }
        let widths = header.indices.map { c in table.map { $0[c].count }.max()! }
        for row in table {
            print("  " + row.enumerated().map { c, v in
                c == 0 ? v.padding(toLength: widths[c], withPad: " ", startingAt: 0) : String(repeating: " ", count: widths[c] - v.count) + v
            }.joined(separator: "  "))
        }
    }
}
