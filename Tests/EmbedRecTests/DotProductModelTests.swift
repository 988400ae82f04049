import Foundation
import Testing
@testable import EmbedRec

@Suite("Dot-product models")
struct DotProductModelTests {
    @Test("BiasedMF rejects a bad rating range, offset or initializer")
    func biasedMFInvalidConfigurations() {
        for (lo, hi): (Float, Float) in [(5, 1), (3, 3), (.nan, 5), (1, .infinity)] {
            ModelTestKit.expectInvalidConfiguration(mentioning: "min < max") {
                _ = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 4, output: .sigmoidScaled(min: lo, max: hi)))
            }
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "offset") {
            _ = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 4, globalOffset: .nan))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "initializer") {
            _ = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 4, initializer: .normal(std: -1)))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "initializer") {
            _ = try MatrixFactorization(users: 3, items: 3, configuration: .init(dimension: 4, initializer: .uniform(.infinity)))
        }
    }

    @Test("BiasedMF parameters, with and without a global offset")
    func biasedMFLayout() throws {
        let plain = try BiasedMF(users: 4, items: 3, configuration: .init(dimension: 2))
        #expect(plain.parameters.map(\.name) == ["user_embedding", "item_embedding", "user_bias", "item_bias"])
        #expect(plain.parameters.map(\.shape) == [[4, 2], [3, 2], [4, 1], [3, 1]])
        #expect(plain.parameters.map(\.role) == [.embedding, .embedding, .biasTable, .biasTable])
        let offset = try BiasedMF(users: 4, items: 3, configuration: .init(dimension: 2, globalOffset: 3.5))
        #expect(offset.parameters.map(\.name).last == "global_offset")
        #expect(offset.parameter(named: "global_offset")?.toArray() == [3.5])
        #expect(offset.parameter(named: "global_offset")?.role == .bias)
        // Embeddings start small and biases at zero, so the first prediction is about μ.
        let p = try offset.scores(users: [0, 3], items: [2, 1])
        #expect(p.allSatisfy { abs($0 - 3.5) < 0.05 })
        let sigmoid = try BiasedMF(users: 4, items: 3, configuration: .init(dimension: 2, output: .sigmoidScaled(min: 1, max: 5)))
        #expect(sigmoid.outputRange == 1...5)
        #expect(try sigmoid.scores(users: [1], items: [1]).allSatisfy { abs($0 - 3) < 0.05 })
    }

    @Test("MatrixFactorization predicts the dot product of its rows")
    func mfPredictsDotProduct() throws {
        let model = try MatrixFactorization(users: 3, items: 2, configuration: .init(dimension: 5, initializer: .uniform(1)))
        let p = model.userEmbedding.row(2), q = model.itemEmbedding.row(1)
        let expected = zip(p, q).reduce(Float(0)) { $0 + $1.0 * $1.1 }
        let got = try model.scores(users: [2], items: [1])[0]
        #expect(abs(got - expected) <= 1e-6)
        #expect(model.parameters.map(\.shape) == [[3, 5], [2, 5]])
        #expect(model.outputRange == nil)
    }

    @Test("a held global offset is used in predictions but never trained")
    func heldGlobalOffset() throws {
        let data = try SyntheticRatings.generate(.init(users: 60, items: 40, ratings: 1_000, seed: 4))
        func trained(holding: Bool) throws -> BiasedMF {
            var configuration = BiasedMF.Configuration(dimension: 3, initializer: .normal(std: 0.1), globalOffset: 1.0)
            configuration.trainsGlobalOffset = !holding
            let model = try BiasedMF(for: data, configuration: configuration)
            try Trainer(configuration: .init(epochs: 3, batchSize: 16, optimizer: .sgd(learningRate: 0.01), deterministic: true),
                        loss: SquaredError(reduction: .sum)).fit(model, on: data)
            return model
        }
        let held = try trained(holding: true), free = try trained(holding: false)
        #expect(held.parameters.map(\.name) == ["user_embedding", "item_embedding", "user_bias", "item_bias"])
        #expect(held.globalOffset?.toArray() == [1.0])
        #expect(held.summary.contains("fixed offset"))
        // The ratings average about 3.9, so a trained offset moves far from 1.
        #expect(free.globalOffset!.toArray()[0] > 2)
        // The held offset still enters every prediction: zeroing the model leaves exactly μ.
        for t in held.parameters { try t.assign([Float](repeating: 0, count: t.count)) }
        #expect(try held.scores(users: [0, 5], items: [3, 7]) == [1.0, 1.0])
    }

    @Test("rating metrics clip predictions to a range when asked, and reject a non-finite one")
    func clippedMetrics() throws {
        let model = try BiasedMF(users: 2, items: 2, configuration: .init(dimension: 1, initializer: .normal(std: 0), globalOffset: 7))
        let data = try RatingsDataset(rawUsers: ([0, 1]).map(RawID.integer), rawItems: ([0, 1]).map(RawID.integer), ratings: [5, 4])
        // Unclipped: errors 2 and 3; clipped to 1...5: errors 0 and 1.
        #expect(abs(try RatingMetrics(model: model, data: data).mse - 6.5) < 1e-9)
        #expect(abs(try RatingMetrics(model: model, data: data, clippedTo: 1...5).mse - 0.5) < 1e-9)
        ModelTestKit.expectInvalidConfiguration(mentioning: "clipping range") {
            _ = try RatingMetrics(model: model, data: data, clippedTo: 1...Float.infinity)
        }
    }
}
