// The code of Sources/EmbedRec/EmbedRec.docc/EvaluatingAModel.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Evaluation")
struct EvaluationSnippets {
    static let data = try! SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))

    @Test func ratingMetrics() throws {
        let split = try Self.data.randomSplit(testFraction: 0.2, seed: 42)
        let model = try BiasedMF(for: split.train, configuration: .init(dimension: 16))
        try Trainer(configuration: .init(epochs: 5)).fit(model, on: split.train)

        let metrics = try RatingMetrics(model: model, data: split.test)
        let mean = try RatingMetrics(model: BaselineModel(.globalMean, fittedOn: split.train), data: split.test)
        let biases = try RatingMetrics(model: BaselineModel(.biases, fittedOn: split.train), data: split.test)
        print("RMSE \(metrics.rmse) (global mean \(mean.rmse), biases \(biases.rmse))")
        let clipped = try RatingMetrics(model: model, data: split.test, clippedTo: 1...5)

        #expect(metrics.count == split.test.count && clipped.rmse <= metrics.rmse + 1e-6)
    }

    @Test func rankingMetrics() throws {
        var shape = SyntheticRatings.Configuration(users: 300, items: 200, ratings: 12_000)
        shape.exposure = 1
        let data = try SyntheticRatings.generate(shape)
        let split = try data.perUserHoldout(fraction: 0.2, selection: .random(seed: 1))
        let model = try Recipe.als.fit(split.train).model
        let top10 = try RankingMetrics(model: model, train: split.train, test: split.test, k: 10)
        print(top10.precision, top10.recall, top10.ndcg, top10.map, top10.hitRate, top10.coverage)
        let everyRead = try RankingMetrics(
            model: model, train: split.train, test: split.test, k: 10, relevanceThreshold: 1)

        #expect(everyRead.usersEvaluated >= top10.usersEvaluated)
    }

    @Test func splits() throws {
        let data = Self.data
        let random = try data.randomSplit(testFraction: 0.2, seed: 42)
        let latest = try data.perUserHoldout(fraction: 0.2, selection: .latest)   // by timestamp
        let folds = try data.kFold(5, seed: 42)
        for (k, fold) in folds.enumerated() { print("fold \(k): \(fold.train.count) + \(fold.test.count)") }

        #expect(random.test.count + random.train.count == data.count && latest.test.count > 0 && folds.count == 5)
    }

    /// The canonical MovieLens folds and a file of new ratings: compiled, not run.
    func files() throws {
        let (train, test) = try RatingsLoader.loadPair(
            trainPath: "ml-100k/u1.base", testPath: "ml-100k/u1.test", format: .movieLens100K)
        print(train.count, test.count)

        let served = try Recommender(contentsOf: "ml100k.safetensors")
        let file = try RatingsLoader.load(path: "ml-100k/u2.test", format: .movieLens100K)   // raw IDs
        let (newRatings, unknownRows) = served.mapped(file)
        print(try RatingMetrics(model: served.model, data: newRatings), "rows left out:", unknownRows)
        print(try RankingMetrics(model: served.model, train: served.trainingRatings, test: newRatings, k: 10))

        let report = try RecommenderEvaluation(recommender: served, test: file, ks: [5, 10, 20])
        for row in report.rows {
            print(row.name, row.rating?.rmse ?? .nan, row.ranking.map(\.recall), row.isBaseline ? "(baseline)" : "")
        }
    }
}
