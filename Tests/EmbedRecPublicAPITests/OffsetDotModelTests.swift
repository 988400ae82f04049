import EmbedRec
import EmbedRecTestSupport
import Foundation
import Testing

/// A model written the way a user of the library would write one: against the public API only
/// (no `@testable`). The score is a dot product of user and item vectors plus a learned global
/// offset, `ŷ = p_u · q_i + μ`: trained by gradients, scored through its factors
/// (`[p_u, 1] · [q_i, μ]`), saved and opened as a kind of its own, made by a recipe of its own.
final class OffsetDotModel: TrainableModel, FactorizedModel, SavableModel, @unchecked Sendable {
    struct Configuration: Codable, Sendable { var dimension: Int; var seed: UInt64 }

    static var kind: String { "OffsetDot" }
    let configuration: Configuration
    let userCount: Int
    let itemCount: Int
    let userTable: Tensor
    let itemTable: Tensor
    let offset: Tensor
    /// A deliberate bug for the checks to find: the offset's gradient with the wrong sign.
    var flipsOffsetGradient = false
    var parameters: [Tensor] { [userTable, itemTable, offset] }
    var predictsRatings: Bool { true }
    var outputRange: ClosedRange<Float>? { nil }
    var summary: String { "OffsetDot(d=\(configuration.dimension))" }

    init(users: Int, items: Int, configuration: Configuration, mean: Float = 0) {
        userCount = users; itemCount = items; self.configuration = configuration
        let d = configuration.dimension
        userTable = Tensor(name: "users", shape: [users, d], role: .embedding, rowIndex: .users)
        itemTable = Tensor(name: "items", shape: [items, d], role: .embedding, rowIndex: .items)
        offset = Tensor(name: "offset", shape: [1], role: .bias)
        var rng = SeededGenerator(seed: configuration.seed)
        for t in [userTable, itemTable] {
            for k in 0..<t.count { t[k] = Float(rng.nextNormal() * 0.1) }
        }
        offset[0] = mean
    }

    convenience init(for data: RatingsDataset, dimension: Int = 4, seed: UInt64 = 5) throws {
        self.init(users: data.userCount, items: data.itemCount, configuration: .init(dimension: dimension, seed: seed),
                  mean: data.meanRating ?? 0)
    }

    static func makeEmpty(users: Int, items: Int, configuration: Configuration) throws -> OffsetDotModel {
        OffsetDotModel(users: users, items: items, configuration: configuration)
    }

    func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        for k in 0..<users.count {
            let p = userTable.row(Int(users[k])), q = itemTable.row(Int(items[k]))
            output[k] = zip(p, q).reduce(offset[0]) { $0 + $1.0 * $1.1 }
        }
    }

    func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        // Forward.
        var predictions: [Float] = []
        for k in 0..<batch.count {
            let p = userTable.row(Int(batch.users[k])), q = itemTable.row(Int(batch.items[k]))
            predictions.append(zip(p, q).reduce(offset[0]) { $0 + $1.0 * $1.1 })
        }
        // The trainer's loss, then backward: ∂ŷ/∂p_u = q_i, ∂ŷ/∂q_i = p_u, ∂ŷ/∂μ = 1.
        let (loss, gradient) = context.lossGradient(predictions: predictions, targets: batch.targets)
        var offsetGradient: Float = 0
        for k in 0..<batch.count {
            let p = userTable.row(Int(batch.users[k])), q = itemTable.row(Int(batch.items[k]))
            context.addGradient(q.map { $0 * gradient[k] }, parameter: 0, row: batch.users[k])
            context.addGradient(p.map { $0 * gradient[k] }, parameter: 1, row: batch.items[k])
            offsetGradient += gradient[k]
        }
        context.addGradient([flipsOffsetGradient ? -offsetGradient : offsetGradient], parameter: 2)
        return loss
    }

    // The offset rides in an extra column: [p_u, 1] · [q_i, μ] = p_u · q_i + μ.
    var userFactors: Tensor { Self.widened(userTable, last: 1) }
    var itemFactors: Tensor { Self.widened(itemTable, last: offset[0]) }

    private static func widened(_ table: Tensor, last: Float) -> Tensor {
        let d = table.rowLength
        let wide = Tensor(name: table.name, shape: [table.rows, d + 1], role: .embedding)
        for r in 0..<table.rows {
            for f in 0..<d { wide[r * (d + 1) + f] = table[r * d + f] }
            wide[r * (d + 1) + d] = last
        }
        return wide
    }
}

/// Its architecture, for a recipe of its own.
struct OffsetDotArchitecture: ModelArchitecture {
    var dimension = 8
    var seed: UInt64 = 5
    func makeModel(for data: RatingsDataset) throws -> any TrainableModel {
        try OffsetDotModel(for: data, dimension: dimension, seed: seed)
    }
    func withSeed(_ seed: UInt64) -> OffsetDotArchitecture { var c = self; c.seed = seed; return c }
    func withDimension(_ dimension: Int) -> OffsetDotArchitecture? { var c = self; c.dimension = dimension; return c }
}

@Suite("A model written outside the library")
struct OffsetDotModelTests {
    static let recipe = Recipe(
        name: "offset-dot", summary: "OffsetDot, d=8, Adam 0.01, batch 32, 15 epochs",
        fitter: GradientTraining(architecture: OffsetDotArchitecture(),
                                 training: .init(epochs: 15, batchSize: 32, optimizer: .adam(learningRate: 0.01), deterministic: true)))

    @Test("passes the shared conformance checks, as a model and through its recipe")
    func conforms() throws {
        try ModelConformance.check { data in try OffsetDotModel(for: data) }
        try ModelConformance.check(recipe: Self.recipe)
    }

    @Test("the checks catch a wrong gradient sign")
    func checksCatchAWrongGradient() throws {
        withKnownIssue {
            try ModelConformance.check { data in
                let model = try OffsetDotModel(for: data)
                model.flipsOffsetGradient = true
                return model
            }
        }
    }

    @Test("its recipe trains it below the global-mean baseline; it scores through the factor path, folds in, saves and opens")
    func recipeTrainsScoresFoldsInSavesAndOpens() throws {
        let data = try SyntheticRatings.generate(.init(users: 200, items: 80, ratings: 6_000, seed: 21))
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let recipe = try Self.recipe.adjusted(.init(dimension: 6))
        let fitted = try recipe.fit(split.train, options: .init(validation: split.test))
        let model = try #require(fitted.model as? OffsetDotModel)
        #expect(model.configuration.dimension == 6, "the recipe's dimension change reached the architecture")
        let history = try #require(fitted.history)
        let mean = try RatingMetrics(model: BaselineModel(.globalMean, fittedOn: split.train), data: split.test).rmse
        #expect(history.epochs.last!.validation!.rmse < mean, "test RMSE \(history.epochs.last!.validation!.rmse) vs the mean's \(mean)")
        #expect(model.offset[0] != split.train.meanRating, "the offset is learned")

        // Top-K through one sgemm of its factors, agreeing with its own scores.
        let scorer = try TopKScorer(model: model, training: split.train)
        #expect(scorer.scoringPath == .factors)
        let top = try scorer.recommend(user: 3, options: .init(k: 10))
        let own = try model.scores(users: [Int32](repeating: 3, count: top.count), items: top.map(\.item.position))
        for (r, s) in zip(top, own) { #expect(abs(r.score - s) < 1e-4, "factor path \(r.score), own score \(s)") }
        #expect(top.allSatisfy { $0.predictedRating == $0.score })
        #expect(try scorer.recommendAll(options: .init(k: 5)).users.count == data.userCount)
        // Similar items from its item factors, fold-in of a new user by ridge regression.
        #expect(try SimilarItems(model: model, itemIDs: split.train.itemIDs).similar(to: [0], k: 3).count == 3)
        let newReader = try FoldInRecommender(model: model, training: split.train)
            .recommend(readItems: Array(split.train.itemIDs.rawIDs.prefix(4)), ratings: [5, 5, 4, 1], k: 5)
        #expect(!newReader.isPopularityFallback && newReader.recommendations.count == 5)
        #expect(try RankingMetrics(model: model, train: split.train, test: split.test, k: 10).usersEvaluated > 0)

        // Saved as its own kind and opened with it: the same answers.
        let recommender = try Recommender(model: model, training: split.train, configuration: fitted.training, history: history)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("offset-dot-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try recommender.save(to: path)
        #expect(throws: RecommenderFileError.self) { _ = try Recommender(contentsOf: path) }
        let opened = try Recommender(contentsOf: path, modelKinds: Recommender.builtInModelKinds + [OffsetDotModel.self])
        let user = split.train.userIDs.rawIDs[3]
        #expect(try opened.recommend(user: user, k: 10) == recommender.recommend(user: user, k: 10))
        #expect(try opened.recommend(newReaderRatings: [split.train.itemIDs.rawIDs[0]: 5], k: 5)
                == recommender.recommend(newReaderRatings: [split.train.itemIDs.rawIDs[0]: 5], k: 5))
    }
}
