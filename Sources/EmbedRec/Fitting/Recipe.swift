/// A named way of making a model: a ``ModelFitter`` with a name and a summary.
///
/// The tutorials' models at the tutorials' settings, the configurations tuned on MovieLens and
/// the top-N models all live in ``all``, so that the command line, the benchmarks, the
/// examples and the README build the very same models. A recipe of your own names any fitter,
/// for a model written anywhere:
///
/// ```swift
/// let fitted = try Recipe.named("v2")!.fit(split.train)
/// let top = try TopKScorer(model: fitted.model, training: split.train).recommend(user: 0, options: .init(k: 10))
/// let mine = Recipe(name: "mine", summary: "my model, 8 epochs", fitter: GradientTraining(
///     architecture: MyArchitecture(), training: .init(epochs: 8)))
/// ```
///
/// Which to use (measured in Docs/Benchmarks.md): for lists of items, a ranking recipe —
/// ``ease`` ranks best on MovieLens and fits in closed form, but holds an items × items matrix
/// and has no item embedding; ``als`` and ``bpr`` learn embeddings (similar items, small files,
/// any catalogue size). For predicted ratings, a rating recipe such as ``tunedBiasedMF``.
public struct Recipe: Sendable {
    /// A short stable name, e.g. `"ease"` (used by the command line).
    public var name: String
    /// What the recipe is and where its settings come from.
    public var summary: String
    /// How the model is made.
    public var fitter: any ModelFitter

    /// A recipe of your own.
    public init(name: String, summary: String, fitter: any ModelFitter) {
        self.name = name; self.summary = summary; self.fitter = fitter
    }

    /// Makes the model from `data`.
    /// - Throws: the fitter's errors (invalid settings, unusable data, a diverging run).
    public func fit(_ data: RatingsDataset, options: FitOptions = FitOptions()) throws -> FittedModel {
        try fitter.fit(data, options: options)
    }

    /// True when the recipe's model predicts ratings; false for a ranking model.
    public var predictsRatings: Bool { fitter.predictsRatings }

    /// The settings ``adjusted(_:)`` may change.
    public var adjustableSettings: Set<RecipeSetting> { fitter.adjustableSettings }

    /// This recipe with the given settings changed, its summary saying what changed.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` naming a setting that does not apply
    ///   to this recipe's model (see ``adjustableSettings``), or a dimension, epoch count or
    ///   patience below 1.
    public func adjusted(_ changes: RecipeChanges) throws -> Recipe {
        for setting in RecipeSetting.allCases where changes.settings.contains(setting) && !adjustableSettings.contains(setting) {
            throw ConfigurationError.invalidSetting("\(setting.rawValue) does not apply to \(name) (\(summary))")
        }
        for (what, value) in [("dimension", changes.dimension), ("epochs", changes.epochs), ("patience", changes.patience),
                              ("negatives", changes.negatives), ("members", changes.members),
                              ("weights-per-item", changes.weightsPerItem)] {
            if let value, value < 1 { throw ConfigurationError.invalidSetting("\(what) must be at least 1, got \(value)") }
        }
        for (what, value) in [("regularization", changes.regularization), ("alpha", changes.alpha)] {
            if let value, !(value.isFinite && value > 0) { throw ConfigurationError.invalidSetting("\(what) must be finite and > 0, got \(value)") }
        }
        let described = [changes.dimension.map { "dimension \($0)" }, changes.epochs.map { "\($0) epochs" },
                         changes.seed.map { "seed \($0)" }, changes.deterministic ? "one thread" : nil,
                         changes.patience.map { "patience \($0)" }, changes.regularization.map { "λ=\($0)" },
                         changes.alpha.map { "α=\($0)" }, changes.negatives.map { "\($0) negatives" },
                         changes.weighting.map { "weighting \($0.summary)" }, changes.members.map { "\($0) members" },
                         changes.weightsPerItem.map { "\($0) weights per item" },
                         changes.regularizationScaling.map { $0 == .interactionCount ? "λ × interactions" : "λ constant" }].compactMap { $0 }
        var copy = self
        copy.fitter = try fitter.adjusted(changes)
        if !described.isEmpty { copy.summary += "; changed: " + described.joined(separator: ", ") }
        return copy
    }
}
