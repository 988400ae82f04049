import Foundation
import Testing
@testable import EmbedRec
import EmbedRecTestSupport

@Suite("Rating recipes")
struct RatingRecipeTests {
    static let data = try! SyntheticRatings.generate(.init(users: 80, items: 50, ratings: 1_500, seed: 9))

    @Test("every preset builds its model for the data, trains an epoch and learns something")
    func everyPresetTrains() throws {
        #expect(Set(Recipe.ratingRecipes.map(\.name)).count == Recipe.ratingRecipes.count, "preset names are unique")
        for preset in Recipe.ratingRecipes {
            let model = try preset.makeModel(for: Self.data)
            #expect(model.userCount == Self.data.userCount && model.itemCount == Self.data.itemCount)
            var training = preset.training
            training.epochs = 40
            training.earlyStoppingPatience = nil
            training.batchSize = min(training.batchSize, 64)
            training.deterministic = true
            let before = try RatingMetrics(model: model, data: Self.data).mse
            let history = try Trainer(configuration: training).fit(model, on: Self.data)
            #expect(history.epochs.allSatisfy { $0.meanLoss.isFinite }, "\(preset.name)")
            // Learned, on the ratings it trained on: a model with a bias or an offset ends closer
            // to them than the global mean does (the ratings' variance); the plain dot product
            // (dot5), which starts near 0 with no offset to learn the mean with, cuts its error
            // tenfold.
            let after = try RatingMetrics(model: model, data: Self.data).mse
            let mean = Self.data.ratings.reduce(0, +) / Float(Self.data.count)
            let variance = Double(Self.data.ratings.reduce(0) { $0 + ($1 - mean) * ($1 - mean) }) / Double(Self.data.count)
            if model is MatrixFactorization {
                #expect(after < before / 10, "\(preset.name): MSE \(before) → \(after)")
            } else {
                #expect(after < variance, "\(preset.name): MSE \(before) → \(after), the mean's \(variance)")
            }
            #expect(Recipe.named(preset.name)?.summary == preset.summary)
        }
        #expect(Recipe.named("no such preset") == nil)
    }

    @Test("the tutorials' architectures, and the sigmoid scaled to the data's rating range")
    func architectures() throws {
        let v2 = try #require(try Recipe.tutorialV2.makeModel(for: Self.data) as? BiasedMF)
        #expect(v2.configuration.dimension == 50 && v2.configuration.initializer == .heNormal)
        #expect(v2.outputRange == Self.data.ratingRange)
        #expect(Recipe.tutorialV2.training.embeddingL2 == 1e-6 && Recipe.tutorialV2.training.batchSize == 64)
        let net = try #require(try Recipe.tutorialNet.makeModel(for: Self.data) as? ConcatMLP)
        #expect(net.configuration.hiddenUnits == [10] && net.configuration.inputDropout == 0.05)
        #expect(net.outputRange == Self.data.ratingRange)
        let dot = try #require(try Recipe.tutorialDot5.makeModel(for: Self.data) as? MatrixFactorization)
        #expect(dot.configuration.dimension == 5)
        let concat = try #require(try Recipe.tutorialConcat15.makeModel(for: Self.data) as? ConcatMLP)
        #expect(concat.configuration.output == .relu && concat.configuration.hiddenUnits == [128])
        // Dimension and seed overrides keep the rest.
        let wide = try #require(try Recipe.tutorialV2.adjusted(.init(dimension: 8, seed: 3)).makeModel(for: Self.data) as? BiasedMF)
        #expect(wide.configuration.dimension == 8 && wide.configuration.seed == 3 && wide.configuration.initializer == .heNormal)
    }

    @Test("with every rating equal, a sigmoid preset falls back to a linear output around the mean")
    func degenerateRange() throws {
        let flat = try RatingsDataset(rawUsers: ([1, 2, 3, 1]).map(RawID.integer), rawItems: ([1, 1, 2, 2]).map(RawID.integer), ratings: [4, 4, 4, 4])
        let v2 = try #require(try Recipe.tutorialV2.makeModel(for: flat) as? BiasedMF)
        #expect(v2.configuration.output == .linear && v2.globalOffset?.toArray() == [4])
        let history = try Trainer(configuration: .init(epochs: 3, batchSize: 2, deterministic: true)).fit(v2, on: flat)
        #expect(history.epochs.allSatisfy { $0.meanLoss.isFinite })
        // Linear around the mean: with the embeddings and biases at zero it predicts exactly 4.
        for t in v2.parameters where t.name != "global_offset" { try t.assign([Float](repeating: 0, count: t.count)) }
        #expect(abs(try v2.scores(users: [0, 2], items: [1, 0])[0] - v2.globalOffset!.toArray()[0]) < 1e-6)
        let net = try #require(try Recipe.tutorialNet.makeModel(for: flat) as? ConcatMLP)
        #expect(net.configuration.output == .linear)
    }

    @Test("the built-in models pass the public conformance checks")
    func builtInModelsConform() throws {
        try ModelConformance.check { try MatrixFactorization(for: $0, configuration: .init(dimension: 4, initializer: .normal(std: 0.3))) }
        try ModelConformance.check { try BiasedMF(for: $0, configuration: .init(dimension: 4, initializer: .normal(std: 0.3), globalOffset: 3)) }
        try ModelConformance.check { try Recipe.tutorialV2.adjusted(.init(dimension: 4)).makeModel(for: $0) }
        try ModelConformance.check { try ConcatMLP(for: $0, configuration: .init(userDimension: 3, itemDimension: 3, hiddenUnits: [6])) }
        // Dropout makes a step random: it skips the gradient and learning checks. Baselines and
        // EASE are not trainable: the checks skip those by themselves.
        var structural = ModelConformance.Options()
        structural.checksGradients = false; structural.checksLearning = false
        try ModelConformance.check(options: structural) { try Recipe.tutorialNet.adjusted(.init(dimension: 4)).makeModel(for: $0) }
        try ModelConformance.check { try BaselineModel(.biases, fittedOn: $0) }
        try ModelConformance.check { try EASE(fitting: $0, configuration: .init(regularization: 50)) }
    }

    @Test("every built-in recipe passes the recipe checks: its model predicts ratings exactly when it says so")
    func everyRecipeConforms() throws {
        for recipe in Recipe.all {
            // Short fits: a recipe's epochs (iterations for ALS) cut to 2.
            let short = recipe.adjustableSettings.contains(.epochs) ? try recipe.adjusted(.init(epochs: 2)) : recipe
            try ModelConformance.check(recipe: short)
        }
        for kind in BaselineModel.Kind.allCases {
            try ModelConformance.check(recipe: Recipe(name: kind.rawValue, summary: "baseline", fitter: kind))
        }
    }
}
