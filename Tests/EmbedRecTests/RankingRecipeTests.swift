import Foundation
import Testing
@testable import EmbedRec

/// The top-N presets as a user reaches them: by name, fitted on planted taste (each must find
/// the groups the popularity list cannot), adjusted by the command line's settings; and the ALS
/// fit's λ, checked against a Double-precision solve of its normal equations.
@Suite("Ranking recipes and the ALS normal equations")
struct RankingRecipeTests {
    @Test("all and named: every preset once, found by its name, nothing else")
    func allAndNamed() {
        let names = Recipe.rankingRecipes.map(\.name)
        #expect(names == ["ease", "als", "bpr", "softmax", "softmax-wide"])
        for preset in Recipe.rankingRecipes { #expect(Recipe.named(preset.name)?.summary == preset.summary && !preset.predictsRatings) }
        #expect(Recipe.named("BPR") == nil && Recipe.named("") == nil && Recipe.named("biasedmf")?.predictsRatings == true)
    }

    @Test("each loss preset, fitted through Recipe.fit, recovers the planted taste groups",
          arguments: ["bpr", "softmax", "softmax-wide", "als", "ease"])
    func fitsPlantedTaste(name: String) throws {
        let data = try PlantedTaste.data()
        // The presets' own shape and loss on one thread; 60 epochs (ALS: 10 iterations), as the
        // planted data is small: about 14 batches an epoch.
        let preset = try #require(Recipe.named(name))
        let adjusted = name == "ease" ? preset : try preset.adjusted(.init(epochs: name == "als" ? 10 : 60, deterministic: true))
        let model = try adjusted.fit(data, options: .init(parallelism: .sequential)).model
        let share = try PlantedTaste.ownGroupShare(model, data)
        let popular = try PlantedTaste.ownGroupShare(try BaselineModel(.popularity, fittedOn: data), data)
        // Most popular finds about a tenth; EASE and ALS nearly all; BPR's hardest-negative
        // pairing on 48 items about three quarters.
        #expect(share >= 0.7 && popular < 0.2, "\(name): \(share) of the unread own-group items recommended (most popular: \(popular))")
    }

    @Test("adjusted: settings reach the recipe; EASE refuses them; the summary says what changed")
    func adjusted() throws {
        let bpr = try Recipe.bpr.adjusted(.init(dimension: 7, epochs: 3, seed: 9, deterministic: true))
        let gradient = try #require(bpr.fitter as? GradientTraining)
        guard case .matrixFactorization(let model) = gradient.architecture as? BuiltInArchitecture else { Issue.record("not MF"); return }
        let training = gradient.training
        #expect(model.dimension == 7 && model.seed == 9 && training.epochs == 3 && training.seed == 9 && training.deterministic)
        #expect(bpr.summary.hasSuffix("changed: dimension 7, 3 epochs, seed 9, one thread"))
        let als = try Recipe.als.adjusted(.init(dimension: 5, epochs: 2))
        let c = try #require(als.fitter as? ImplicitALS).configuration
        #expect(c.factors == 5 && c.iterations == 2 && als.summary.hasSuffix("changed: dimension 5, 2 epochs"))
        for refused in [{ try Recipe.ease.adjusted(.init(dimension: 3)) }, { try Recipe.ease.adjusted(.init(epochs: 3)) },
                        { try Recipe.ease.adjusted(.init(seed: 1)) }, { try Recipe.als.adjusted(.init(patience: 2)) },
                        { try Recipe.bpr.adjusted(.init(dimension: 0)) }, { try Recipe.als.adjusted(.init(epochs: 0)) }] {
            #expect(throws: ConfigurationError.self) { _ = try refused() }
        }
        #expect(try Recipe.ease.adjusted(.init()).summary == Recipe.ease.summary)
        let oneThread = try Recipe.ease.adjusted(.init(deterministic: true))
        #expect(oneThread.summary.hasSuffix("changed: one thread") && (oneThread.fitter as? EASE.Configuration)?.deterministic == true)
    }

    @Test("adjusted: λ, α and negatives reach the models that have them; the others refuse them")
    func modelSettings() throws {
        let ease = try Recipe.ease.adjusted(.init(regularization: 50))
        #expect((ease.fitter as? EASE.Configuration)?.regularization == 50 && ease.summary.hasSuffix("changed: λ=50.0"))
        let als = try #require(try Recipe.als.adjusted(.init(regularization: 3, alpha: 2)).fitter as? ImplicitALS).configuration
        #expect(als.regularization == 3 && als.alpha == 2)
        for recipe in [Recipe.bpr, .sampledSoftmax, .sampledSoftmaxWide] {
            let loss = try #require(try recipe.adjusted(.init(negatives: 3)).fitter as? GradientTraining).loss
            #expect(loss.negativesPerPositive == 3 && type(of: loss) == type(of: (recipe.fitter as! GradientTraining).loss), "\(recipe.name)")
        }
        // A BPR recipe keeps its pairing with the hardest negative.
        let bpr = try #require(try Recipe.bpr.adjusted(.init(negatives: 3)).fitter as? GradientTraining).loss as? BPRLoss
        #expect(bpr?.pairing == .hardestNegative)
        // Interaction weighting: EASE and ALS; log(1 + count) for counts.
        #expect((try Recipe.ease.adjusted(.init(weighting: .logarithm)).fitter as? EASE.Configuration)?.weighting == .logarithm)
        let logALS = try Recipe.als.adjusted(.init(weighting: .logarithm))
        #expect((logALS.fitter as? ImplicitALS)?.configuration.weighting == .logarithm && logALS.summary.hasSuffix("weighting log(1 + value)"))
        #expect(InteractionWeighting.logarithm.weight(forRating: Float(M_E) - 1) == 1 && InteractionWeighting.logarithm.weight(forRating: 0) == 0)
        let refusals: [(Recipe, RecipeChanges)] = [
            (.bpr, .init(weighting: .logarithm)), (.tunedBiasedMF, .init(weighting: .binary)), (.ease, .init(weighting: .levels([]))),
            (.tunedBiasedMF, .init(regularization: 1)), (.tunedBiasedMF, .init(negatives: 2)), (.ease, .init(alpha: 1)),
            (.ease, .init(negatives: 2)), (.als, .init(negatives: 2)), (.bpr, .init(regularization: 1)), (.bpr, .init(alpha: 1)),
            (.ease, .init(regularization: 0)), (.als, .init(alpha: -1)), (.als, .init(alpha: .nan)), (.bpr, .init(negatives: 0)),
        ]
        for (recipe, changes) in refusals {
            #expect(throws: ConfigurationError.self, "\(recipe.name) \(changes)") { _ = try recipe.adjusted(changes) }
        }
    }

    /// Solves `a · x = b` (n × n, row-major) in Double by Gaussian elimination with pivoting.
    static func solve(_ a: [Double], _ b: [Double], _ n: Int) -> [Double] {
        var m = a, v = b
        for c in 0..<n {
            let p = (c..<n).max { abs(m[$0 * n + c]) < abs(m[$1 * n + c]) }!
            if p != c { for j in 0..<n { m.swapAt(c * n + j, p * n + j) }; v.swapAt(c, p) }
            for r in (c + 1)..<n {
                let f = m[r * n + c] / m[c * n + c]
                for j in c..<n { m[r * n + j] -= f * m[c * n + j] }
                v[r] -= f * v[c]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = v[r]
            for j in (r + 1)..<n { s -= m[r * n + j] * x[j] }
            x[r] = s / m[r * n + r]
        }
        return x
    }

    @Test("ALS: each item's factors solve (Xᵀ C_i X + λ I) y = Xᵀ C_i p_i with the configured λ and α", arguments: [Float(0.1), 5])
    func alsNormalEquations(lambda: Float) throws {
        let data = try SyntheticRatings.generate(.init(users: 60, items: 25, ratings: 500, seed: 21))
        let d = 4, alpha: Float = 3
        // Enough conjugate-gradient steps that each 4 × 4 solve converges: the last half-iteration
        // (the items, given the users) is then the exact solution of its normal equations.
        let model = try ImplicitALS(configuration: .init(factors: d, regularization: lambda, iterations: 3, alpha: alpha,
                                                         conjugateGradientSteps: 24), parallelism: .sequential).fit(data)
        let tables = Dictionary(uniqueKeysWithValues: model.parameters.map { ($0.name, $0.toArray().map(Double.init)) })
        let x = try #require(tables["user_embedding"]), y = try #require(tables["item_embedding"])
        var readers = [[Int]](repeating: [], count: data.itemCount)
        for r in 0..<data.count { readers[Int(data.items[r])].append(Int(data.users[r])) }
        var worst = 0.0
        for i in 0..<data.itemCount {
            // A = XᵀX + Σ_u∈R(i) (c − 1) x_u x_uᵀ + λI, b = Σ_u∈R(i) c x_u, with c = 1 + α (binary weights).
            var a = [Double](repeating: 0, count: d * d), b = [Double](repeating: 0, count: d)
            for u in 0..<data.userCount { for p in 0..<d { for q in 0..<d { a[p * d + q] += x[u * d + p] * x[u * d + q] } } }
            let c = 1 + Double(alpha)
            for u in readers[i] {
                for p in 0..<d {
                    b[p] += c * x[u * d + p]
                    for q in 0..<d { a[p * d + q] += (c - 1) * x[u * d + p] * x[u * d + q] }
                }
            }
            for p in 0..<d { a[p * d + p] += Double(lambda) }
            let reference = Self.solve(a, b, d)
            let scale = max(1e-3, reference.map(abs).max()!)
            for p in 0..<d { worst = max(worst, abs(y[i * d + p] - reference[p]) / scale) }
        }
        #expect(worst < 2e-3, "λ \(lambda): largest relative difference from the Double solve \(worst)")
    }
}
