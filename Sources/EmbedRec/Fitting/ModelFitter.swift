/// One way of making a model from data: gradient training (``GradientTraining``), a closed
/// form (``EASE/Configuration``, the baselines' ``BaselineModel/Kind``), alternating least
/// squares (``ImplicitALS``), or a fitter of your own for a model written elsewhere.
///
/// Every model in EmbedRec is made by a fitter's ``fit(_:options:)``, and a ``Recipe`` names
/// one for the command line, the benchmarks and the examples.
public protocol ModelFitter: Sendable {
    /// Makes the model from `data` (every rating an example; for the ranking fitters, a
    /// positive, weighted as the fitter says).
    func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel

    /// True when the fitted model predicts ratings (``Model/predictsRatings``).
    var predictsRatings: Bool { get }

    /// The settings ``adjusted(_:)`` can change (none unless the fitter says).
    var adjustableSettings: Set<RecipeSetting> { get }

    /// This fitter with the given settings changed; only settings in ``adjustableSettings``
    /// are ever passed (``Recipe/adjusted(_:)`` checks).
    func adjusted(_ changes: RecipeChanges) throws -> Self
}

extension ModelFitter {
    public var adjustableSettings: Set<RecipeSetting> { [] }
    public func adjusted(_ changes: RecipeChanges) throws -> Self { self }
}

/// What a fit may be told besides its data.
public struct FitOptions: Sendable {
    /// Threads for the fit (nil: the fitter's own setting).
    public var parallelism: Parallelism?
    /// Ratings to evaluate after each epoch of gradient training (early stopping, the history);
    /// carved from the training data, never the test set. Ignored by the other fitters.
    public var validation: RatingsDataset?
    /// Progress reports of gradient training.
    public var observer: TrainingObserver?

    /// Options; every one defaults to "the fitter's own".
    public init(parallelism: Parallelism? = nil, validation: RatingsDataset? = nil, observer: TrainingObserver? = nil) {
        self.parallelism = parallelism; self.validation = validation; self.observer = observer
    }
}

/// A fitted model and how it was made.
public struct FittedModel: Sendable {
    /// The model.
    public var model: any Model
    /// The per-epoch record of gradient training (nil for the other fitters).
    public var history: TrainingHistory?
    /// The training configuration of gradient training (nil for the other fitters).
    public var training: TrainingConfiguration?

    /// A fitted model with its record.
    public init(model: any Model, history: TrainingHistory? = nil, training: TrainingConfiguration? = nil) {
        self.model = model; self.history = history; self.training = training
    }
}

/// A setting a caller (the command line) may change in a recipe.
public enum RecipeSetting: String, Sendable, CaseIterable {
    /// Embedding dimension: the factors of ALS, the dimension of the embedding models.
    case dimension
    /// Passes over the data: epochs of gradient training, ALS iterations.
    case epochs
    /// Seed of the initialisation, the shuffling and the negative sampling.
    case seed
    /// One thread, so that a seed gives the same model whatever the core count.
    case deterministic
    /// Early stopping after this many epochs without a better validation RMSE.
    case patience
    /// The ridge penalty λ of a closed-form or alternating fit: EASE's λ, ALS's λ.
    case regularization
    /// ALS's confidence scale α (a positive weighs 1 + α·w).
    case alpha
    /// Negatives sampled per positive by a ranking loss (``BPRLoss``, ``SampledSoftmaxLoss``).
    case negatives
    /// How each interaction weighs in EASE's and ALS's objective (``InteractionWeighting``).
    case weighting
    /// Models averaged into one (``AveragedTraining``).
    case members
    /// The weights EASE keeps per item, a sparse B (``EASE/Configuration/weightsPerItem``).
    case weightsPerItem = "weights-per-item"
    /// How ALS's λ applies to each row (``ImplicitALS/RegularizationScaling``).
    case regularizationScaling = "regularization-per-interaction"
}

/// The changes asked of a recipe (nil or false: unchanged).
public struct RecipeChanges: Sendable, Hashable {
    /// ``RecipeSetting/dimension``.
    public var dimension: Int?
    /// ``RecipeSetting/epochs``.
    public var epochs: Int?
    /// ``RecipeSetting/seed``.
    public var seed: UInt64?
    /// ``RecipeSetting/deterministic``.
    public var deterministic: Bool
    /// ``RecipeSetting/patience``.
    public var patience: Int?
    /// ``RecipeSetting/regularization``.
    public var regularization: Float?
    /// ``RecipeSetting/alpha``.
    public var alpha: Float?
    /// ``RecipeSetting/negatives``.
    public var negatives: Int?
    /// ``RecipeSetting/weighting``.
    public var weighting: InteractionWeighting?
    /// ``RecipeSetting/members``.
    public var members: Int?
    /// ``RecipeSetting/weightsPerItem``.
    public var weightsPerItem: Int?
    /// ``RecipeSetting/regularizationScaling``.
    public var regularizationScaling: ImplicitALS.RegularizationScaling?

    /// Changes; each defaults to "unchanged".
    public init(dimension: Int? = nil, epochs: Int? = nil, seed: UInt64? = nil, deterministic: Bool = false, patience: Int? = nil,
                regularization: Float? = nil, alpha: Float? = nil, negatives: Int? = nil, weighting: InteractionWeighting? = nil,
                members: Int? = nil, weightsPerItem: Int? = nil, regularizationScaling: ImplicitALS.RegularizationScaling? = nil) {
        self.dimension = dimension; self.epochs = epochs; self.seed = seed; self.deterministic = deterministic
        self.patience = patience; self.regularization = regularization; self.alpha = alpha; self.negatives = negatives
        self.weighting = weighting; self.members = members; self.weightsPerItem = weightsPerItem
        self.regularizationScaling = regularizationScaling
    }

    /// The settings these changes touch.
    public var settings: Set<RecipeSetting> {
        var s: Set<RecipeSetting> = []
        if dimension != nil { s.insert(.dimension) }
        if epochs != nil { s.insert(.epochs) }
        if seed != nil { s.insert(.seed) }
        if deterministic { s.insert(.deterministic) }
        if patience != nil { s.insert(.patience) }
        if regularization != nil { s.insert(.regularization) }
        if alpha != nil { s.insert(.alpha) }
        if negatives != nil { s.insert(.negatives) }
        if weighting != nil { s.insert(.weighting) }
        if members != nil { s.insert(.members) }
        if weightsPerItem != nil { s.insert(.weightsPerItem) }
        if regularizationScaling != nil { s.insert(.regularizationScaling) }
        return s
    }
}
