import EmbedRec
import EmbedRecTestSupport
import Testing

/// A model written the way a user of the library would write one: against the public API only
/// (no `@testable`). The prediction is a dot product of user and item vectors plus a learned
/// global offset, `ŷ = p_u · q_i + μ`.
final class OffsetDotModel: Model, @unchecked Sendable {
    let userCount: Int
    let itemCount: Int
    let dimension: Int
    let userTable: Tensor
    let itemTable: Tensor
    let offset: Tensor
    /// A deliberate bug for the checks to find: the offset's gradient with the wrong sign.
    var flipsOffsetGradient = false
    var parameters: [Tensor] { [userTable, itemTable, offset] }
    var outputRange: ClosedRange<Float>? { nil }
    var summary: String { "OffsetDot(d=\(dimension))" }

    init(for data: RatingsDataset, dimension: Int = 4, seed: UInt64 = 5) throws {
        userCount = data.userCount; itemCount = data.itemCount; self.dimension = dimension
        userTable = Tensor(name: "users", shape: [userCount, dimension], role: .embedding, rowIndex: .users)
        itemTable = Tensor(name: "items", shape: [itemCount, dimension], role: .embedding, rowIndex: .items)
        offset = Tensor(name: "offset", shape: [1], role: .bias)
        var rng = SeededGenerator(seed: seed)
        for t in [userTable, itemTable] {
            try t.assign((0..<t.count).map { _ in Float(rng.nextNormal() * 0.1) })
        }
        offset[0] = data.meanRating ?? 0
    }

    func predict(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
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
}

@Suite("A model written outside the library")
struct OffsetDotModelTests {
    @Test("passes the shared conformance checks")
    func conforms() throws {
        try ModelConformance.check { data in try OffsetDotModel(for: data) }
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

    @Test("trains with Trainer below the global-mean baseline and recommends through TopKScorer")
    func trainsAndRecommends() throws {
        let data = try SyntheticRatings.generate(.init(users: 200, items: 80, ratings: 6_000, seed: 21))
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let model = try OffsetDotModel(for: data, dimension: 8)
        let history = try Trainer(configuration: .init(epochs: 15, batchSize: 32, optimizer: .adam(learningRate: 0.01), deterministic: true))
            .fit(model, on: split.train, validation: split.test)
        let mean = try RatingMetrics(model: BaselineModel(.globalMean, fittedOn: split.train), data: split.test).rmse
        #expect(history.epochs.last!.validation!.rmse < mean, "test RMSE \(history.epochs.last!.validation!.rmse) vs the mean's \(mean)")
        #expect(model.offset[0] != data.meanRating, "the offset is learned")

        let scorer = try TopKScorer(model: model, training: split.train)
        let top = try scorer.recommend(user: 3, options: .init(k: 10))
        #expect(top.count == 10)
        #expect(top.allSatisfy { $0.rawItemID != nil })
        let all = try scorer.recommendAll(options: .init(k: 5))
        #expect(all.users.count == data.userCount)
        // Similar items work from its item table; fold-in needs a built-in model's scorer.
        #expect(try SimilarItems(model: model, itemIDs: data.itemIDs).similar(to: [0], k: 3).count == 3)
        #expect(throws: ModelError.self) { _ = try FoldInRecommender(model: model, training: split.train) }
        // Ranking metrics run on it like on any model.
        let ranking = try RankingMetrics(model: model, train: split.train, test: split.test, k: 10)
        #expect(ranking.usersEvaluated > 0)
    }
}
