/// A named recipe for top-N recommendation: a model trained (or fitted in closed form) to rank
/// what a reader will pick, rather than to predict ratings.
///
/// Which to use (measured in Docs/Benchmarks.md, ranking suite): ``ease`` ranks best on
/// MovieLens and fits in closed form, but holds an items × items matrix (10,000 items: 400
/// MB) and has no item embedding; ``als`` and ``bpr`` learn embeddings (similar items, small
/// files, any catalogue size). For predicting ratings use a ``ModelPreset`` instead.
///
/// ```swift
/// let model = try RankingPreset.ease.fit(split.train)
/// let top = try TopKScorer(model: model, training: split.train).recommend(user: 0, options: .init(k: 10))
/// ```
public struct RankingPreset: Sendable, Hashable {
    /// A short stable name, e.g. `"ease"` (used by the command line).
    public var name: String
    /// What the recipe is and where its settings come from.
    public var summary: String
    /// How the model is made.
    public var recipe: Recipe

    /// The ways a ranking model is made.
    public enum Recipe: Sendable, Hashable {
        /// ``EASE``, fitted in closed form.
        case ease(EASE.Configuration)
        /// ``ImplicitALS``, fitted by alternating least squares.
        case implicitALS(ImplicitALS.Configuration)
        /// A ``MatrixFactorization`` trained by the ``Trainer`` on a ranking loss.
        case rankingLoss(MatrixFactorization.Configuration, TrainingConfiguration, RankingLossKind)
    }

    /// The ranking losses a recipe can name.
    public enum RankingLossKind: Sendable, Hashable {
        /// ``BPRLoss`` with `negatives` sampled negatives per positive, paired as `pairing` says.
        case bpr(negatives: Int, pairing: BPRLoss.Pairing = .everyNegative)
        /// ``SampledSoftmaxLoss`` with `negatives` sampled negatives per batch row.
        case sampledSoftmax(negatives: Int)

        /// The loss value.
        public var loss: any Loss {
            switch self {
            case let .bpr(m, pairing): return BPRLoss(negatives: m, pairing: pairing)
            case .sampledSoftmax(let m): return SampledSoftmaxLoss(negatives: m)
            }
        }
    }

    /// A preset of your own; ``fit(_:parallelism:)`` runs its recipe.
    public init(name: String, summary: String, recipe: Recipe) {
        self.name = name; self.summary = summary; self.recipe = recipe
    }

    /// Makes the model from `data` (every rating a positive, weighted as the recipe says).
    /// - Throws: the model's or the trainer's errors.
    public func fit(_ data: RatingsDataset, parallelism: Parallelism = .automatic) throws -> any Model {
        switch recipe {
        case .ease(let c): return try EASE(fitting: data, configuration: c, parallelism: parallelism)
        case .implicitALS(let c): return try ImplicitALS(configuration: c, parallelism: parallelism).fit(data)
        case let .rankingLoss(model, training, loss):
            let m = try MatrixFactorization(for: data, configuration: model)
            var t = training
            t.parallelism = parallelism
            try Trainer(configuration: t, loss: loss.loss).fit(m, on: data)
            return m
        }
    }
}

extension RankingPreset {
    /// EDLAE-regularised EASE over rating-weighted histories (1–5★ weigh 0.3, 0.4, 0.6, 1,
    /// 1.2), λ = 400, p = 0.25, history normalisation α = 0.3 and popularity discount β = 0.1:
    /// the settings a validation holdout of ml-1m's training data chose.
    public static let ease = RankingPreset(
        name: "ease", summary: "EASE, λ=400, EDLAE p=0.25, ratings weighted 0.3/0.4/0.6/1/1.2, α=0.3, β=0.1 (chosen on ml-1m validation)",
        recipe: .ease(.init(regularization: 400, dropoutEmphasis: 0.25, weighting: .levels([0.3, 0.4, 0.6, 1, 1.2]),
                            historyNormalization: 0.3, popularityDiscount: 0.1)))

    /// Weighted ALS, 64 factors, λ = 10, α = 1, 15 iterations (chosen on ml-1m and ml-100k
    /// validation).
    public static let als = RankingPreset(
        name: "als", summary: "weighted ALS, 64 factors, λ=10, α=1, 15 iterations (chosen on MovieLens validation)",
        recipe: .implicitALS(.init(factors: 64, regularization: 10, iterations: 15, alpha: 1)))

    /// BPR on a 64-factor MatrixFactorization, each positive paired with the hardest of 8
    /// uniform negatives, Adam 0.002, batch 256, L2 1e-5, 20 epochs (chosen on ml-1m and
    /// goodbooks-shaped validation holdouts).
    public static let bpr = RankingPreset(
        name: "bpr", summary: "BPR, hardest of 8 negatives, MatrixFactorization 64, Adam 0.002, batch 256, L2 1e-5, 20 epochs",
        recipe: .rankingLoss(.init(dimension: 64, initializer: .normal(std: 0.1)),
                             .init(epochs: 20, batchSize: 256, optimizer: .adam(learningRate: 0.002), embeddingL2: 1e-5),
                             .bpr(negatives: 8, pairing: .hardestNegative)))

    /// Sampled softmax with 16 negatives on a 64-factor MatrixFactorization, Adam 0.002, L2
    /// 1e-4, 10 epochs (what the MovieLens validation holdouts prefer).
    public static let sampledSoftmax = RankingPreset(
        name: "softmax", summary: "sampled softmax (16 negatives), MatrixFactorization 64, Adam 0.002, batch 256, L2 1e-4, 10 epochs",
        recipe: .rankingLoss(.init(dimension: 64, initializer: .normal(std: 0.1)),
                             .init(epochs: 10, batchSize: 256, optimizer: .adam(learningRate: 0.002), embeddingL2: 1e-4),
                             .sampledSoftmax(negatives: 16)))

    /// Sampled softmax on a 128-factor MatrixFactorization with L2 1e-5, 10 epochs: a wider,
    /// lighter-regularised alternative to ``sampledSoftmax``, for short reading histories over a
    /// large catalogue. The ranking suite validates both on each dataset and keeps the better.
    public static let sampledSoftmaxWide = RankingPreset(
        name: "softmax-wide", summary: "sampled softmax (16 negatives), MatrixFactorization 128, Adam 0.002, batch 256, L2 1e-5, 10 epochs",
        recipe: .rankingLoss(.init(dimension: 128, initializer: .normal(std: 0.1)),
                             .init(epochs: 10, batchSize: 256, optimizer: .adam(learningRate: 0.002), embeddingL2: 1e-5),
                             .sampledSoftmax(negatives: 16)))

    /// Every ranking preset, best on MovieLens first.
    public static let all: [RankingPreset] = [ease, als, bpr, sampledSoftmax, sampledSoftmaxWide]

    /// The preset called `name`, if any.
    public static func named(_ name: String) -> RankingPreset? { all.first { $0.name == name } }
}

extension RankingPreset {
    /// A setting a caller (the command line) may change in a preset.
    public enum Setting: String, Sendable, CaseIterable {
        /// Embedding dimension: the factors of ALS, the dimension of BPR and softmax.
        case dimension
        /// Passes over the data: ALS iterations, BPR and softmax epochs.
        case epochs
        /// Seed of the initialisation (ALS, BPR, softmax) and the negative sampling.
        case seed
        /// One thread, so that a seed gives the same model every time.
        case deterministic
    }

    /// The settings that change this preset's model; EASE, a closed-form model with no
    /// embedding, no passes and no randomness, takes only ``Setting/deterministic``: its
    /// solve's sums are ordered by the BLAS threads, so one thread gives the same bytes
    /// whatever the core count.
    public var adjustableSettings: Set<Setting> {
        switch recipe {
        case .ease: return [.deterministic]
        case .implicitALS, .rankingLoss: return Set(Setting.allCases)
        }
    }

    private var isALS: Bool { if case .implicitALS = recipe { return true } else { return false } }

    /// This preset with the given settings changed (nil: unchanged).
    ///
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` naming a setting that does not apply
    ///   to this preset's model (see ``adjustableSettings``), or a dimension or epoch count
    ///   below 1.
    public func adjusted(dimension: Int? = nil, epochs: Int? = nil, seed: UInt64? = nil, deterministic: Bool = false) throws -> RankingPreset {
        let asked: [(Setting, Bool)] = [(.dimension, dimension != nil), (.epochs, epochs != nil), (.seed, seed != nil),
                                         (.deterministic, deterministic)]
        for (setting, given) in asked where given && !adjustableSettings.contains(setting) {
            throw ModelError.invalidConfiguration(
                "\(setting.rawValue) does not apply to \(name) (\(summary)): it has no embedding, no epochs and no random start")
        }
        if let dimension, dimension < 1 { throw ModelError.invalidConfiguration("dimension must be at least 1, got \(dimension)") }
        if let epochs, epochs < 1 { throw ModelError.invalidConfiguration("epochs must be at least 1, got \(epochs)") }
        var copy = self
        let changes = [dimension.map { "dimension \($0)" }, epochs.map { "\($0) \(isALS ? "iterations" : "epochs")" },
                       seed.map { "seed \($0)" }, deterministic ? "one thread" : nil].compactMap { $0 }
        if !changes.isEmpty { copy.summary += "; changed: " + changes.joined(separator: ", ") }
        switch recipe {
        case .ease:
            break
        case .implicitALS(var c):
            if let dimension { c.factors = dimension }
            if let epochs { c.iterations = epochs }
            if let seed { c.seed = seed }
            copy.recipe = .implicitALS(c)
        case .rankingLoss(var model, var training, let loss):
            if let dimension { model.dimension = dimension }
            if let epochs { training.epochs = epochs }
            if let seed { model.seed = seed; training.seed = seed }
            if deterministic { training.deterministic = true }
            copy.recipe = .rankingLoss(model, training, loss)
        }
        return copy
    }
}
