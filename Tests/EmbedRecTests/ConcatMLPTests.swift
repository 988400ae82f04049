import Foundation
import EmbedRecKernels
import Testing
@testable import EmbedRec

@Suite("ConcatMLP")
struct ConcatMLPTests {
    typealias Config = ConcatMLP.Configuration

    @Test("invalid architectures throw with a clear message")
    func invalidConfigurations() {
        func make(_ c: Config) throws { _ = try ConcatMLP(users: 4, items: 4, configuration: c) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "dimension") {
            try make(Config(userDimension: 0, itemDimension: 4, hiddenUnits: [8]))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "dimension") {
            try make(Config(userDimension: 4, itemDimension: 0, hiddenUnits: [8]))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "hidden units") {
            try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8, 0]))
        }
        for rate: Float in [1, 1.5, -0.1, .nan] {
            ModelTestKit.expectInvalidConfiguration(mentioning: "dropout") {
                try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8], inputDropout: rate))
            }
            ModelTestKit.expectInvalidConfiguration(mentioning: "dropout") {
                try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8, 4], hiddenDropout: [0.1, rate]))
            }
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "hiddenDropout") {
            try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8, 4], hiddenDropout: [0.1]))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "hiddenDropout") {
            try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [], hiddenDropout: [0.1]))
        }
        for (lo, hi): (Float, Float) in [(5, 1), (3, 3), (1, .infinity)] {
            ModelTestKit.expectInvalidConfiguration(mentioning: "min < max") {
                try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8], output: .sigmoidScaled(min: lo, max: hi)))
            }
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "initializer") {
            try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8], embeddingInitializer: .uniform(-1)))
        }
        #expect(throws: Never.self) {
            try make(Config(userDimension: 4, itemDimension: 4, hiddenUnits: [8], inputDropout: 0.99, hiddenDropout: [0]))
        }
    }

    @Test("parameters are named and shaped as documented")
    func parameterLayout() throws {
        let model = try ConcatMLP(users: 7, items: 5, configuration: .init(userDimension: 3, itemDimension: 2, hiddenUnits: [6, 4]))
        let layout = model.parameters.map { "\($0.name)\($0.shape)" }
        #expect(layout == [
            "user_embedding[7, 3]", "item_embedding[5, 2]",
            "dense_0_kernel[5, 6]", "dense_0_bias[6]",
            "dense_1_kernel[6, 4]", "dense_1_bias[4]",
            "output_kernel[4, 1]", "output_bias[1]",
        ])
        #expect(model.parameters.map(\.role) == [.embedding, .embedding, .weight, .bias, .weight, .bias, .weight, .bias])
        #expect(model.parameters.filter { $0.role == .bias }.allSatisfy { $0.toArray().allSatisfy { $0 == 0 } })
        #expect(model.summary.contains("3+2"))
    }

    @Test("no hidden layer: gradients and scoring still agree")
    func noHiddenLayer() throws {
        let model = try ConcatMLP(users: GradientChecker.userCount, items: GradientChecker.itemCount,
                                  configuration: .init(userDimension: 3, itemDimension: 2, hiddenUnits: [],
                                                       output: .sigmoidScaled(min: 1, max: 5)))
        ModelTestKit.randomize(model, limit: 0.5, seed: 5)
        let report = try GradientChecker.check(model)
        #expect(report.structural.isEmpty, "\(report.structural)")
        #expect(report.mismatches.isEmpty, "\(report.mismatches.prefix(8).map(\.description))")
        let users: [Int32] = [0, 3, 6], items: [Int32] = [5, 1, 2]
        let predictions = try model.scores(users: users, items: items)
        let scorer = model.makeCatalogueScorer()
        var scores = [Float](repeating: 0, count: 3 * model.itemCount)
        users.withUnsafeBufferPointer { u in
            scores.withUnsafeMutableBufferPointer { s in
                scorer.rankingScores(users: u.baseAddress!, count: 3, into: s.baseAddress!, arena: ScratchArena())
            }
        }
        for k in 0..<3 {
            let viaScorer = scorer.score(fromRankingScore: scores[k * model.itemCount + Int(items[k])], item: items[k])
            #expect(abs(viaScorer - predictions[k]) <= 1e-4)
        }
    }

    @Test("dropout acts only in training, reproducibly per random stream")
    func dropoutOnlyInTraining() throws {
        let model = try ConcatMLP(users: GradientChecker.userCount, items: GradientChecker.itemCount,
                                  configuration: .init(userDimension: 6, itemDimension: 4, hiddenUnits: [8],
                                                       inputDropout: 0.3, hiddenDropout: [0.5]))
        ModelTestKit.randomize(model, limit: 0.5, seed: 8)
        let (u, i, r) = (GradientChecker.users, GradientChecker.items, GradientChecker.ratings)
        let exact = try ModelTestKit.sumOfSquaredErrors(model, users: u, items: i, ratings: r)
        let off = ModelTestKit.trainStep(model, users: u, items: i, ratings: r, dropout: false)
        #expect(abs(off.sse - exact) <= 1e-4 * max(1, exact))
        let on1 = ModelTestKit.trainStep(model, users: u, items: i, ratings: r, dropout: true, rngSeed: 3)
        let on2 = ModelTestKit.trainStep(model, users: u, items: i, ratings: r, dropout: true, rngSeed: 3)
        let on3 = ModelTestKit.trainStep(model, users: u, items: i, ratings: r, dropout: true, rngSeed: 4)
        #expect(on1.sse == on2.sse, "same stream, same masks")
        #expect(on1.sse != exact, "dropout changed the training loss")
        #expect(on1.sse != on3.sse, "another stream, other masks")
        // Dropped inputs get no gradient: some embedding gradient entries of touched rows are 0
        // with dropout and non-zero without.
        let g = on1.context.gradients[0], gOff = off.context.gradients[0]
        var zeroedByDropout = 0
        for row in Set(u) {
            let a = g.row(row), b = gOff.row(row)
            for c in 0..<6 where a[c] == 0 && b[c] != 0 { zeroedByDropout += 1 }
        }
        #expect(zeroedByDropout > 0)
        // Prediction never drops anything.
        #expect(try model.scores(users: u, items: i) == model.scores(users: u, items: i))
    }
}
