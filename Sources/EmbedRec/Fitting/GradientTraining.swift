/// Gradient training: a ``ModelArchitecture``'s untrained model, trained by the ``Trainer``
/// with a ``TrainingConfiguration`` on a ``Loss`` (squared error for rating models, ``BPRLoss``
/// or ``SampledSoftmaxLoss`` for ranking).
public struct GradientTraining: ModelFitter {
    /// The model to train.
    public var architecture: any ModelArchitecture
    /// How to train it.
    public var training: TrainingConfiguration
    /// What training minimises.
    public var loss: any Loss

    /// A fitter training `architecture` with `training` on `loss`.
    public init(architecture: any ModelArchitecture, training: TrainingConfiguration = TrainingConfiguration(),
                loss: any Loss = SquaredError()) {
        self.architecture = architecture; self.training = training; self.loss = loss
    }

    /// Builds the model for `data` and trains it.
    /// - Throws: the architecture's and the ``Trainer``'s errors.
    public func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel {
        var training = self.training
        if let parallelism = options.parallelism { training.parallelism = parallelism }
        let model = try architecture.makeModel(for: data)
        let trainer = try Trainer(configuration: training, loss: loss)
        let history = try trainer.fit(model, on: data, validation: options.validation,
                                      observer: options.observer ?? TrainingObserver())
        return FittedModel(model: model, history: history, training: training)
    }

    /// The loss's: squared error predicts ratings, a ranking loss does not.
    public var predictsRatings: Bool { loss.targetsAreRatings }

    public var adjustableSettings: Set<RecipeSetting> {
        var settings: Set<RecipeSetting> = [.epochs, .seed, .deterministic, .patience]
        if architecture.withDimension(1) != nil { settings.insert(.dimension) }
        if loss.withNegatives(1) != nil { settings.insert(.negatives) }
        return settings
    }

    public func adjusted(_ changes: RecipeChanges) throws -> GradientTraining {
        var copy = self
        if let d = changes.dimension, let changed = architecture.withDimension(d) { copy.architecture = changed }
        if let seed = changes.seed { copy.architecture = copy.architecture.withSeed(seed); copy.training.seed = seed }
        if let epochs = changes.epochs { copy.training.epochs = epochs }
        if changes.deterministic { copy.training.deterministic = true }
        if let patience = changes.patience { copy.training.earlyStoppingPatience = patience }
        if let m = changes.negatives, let changed = loss.withNegatives(m) { copy.loss = changed }
        return copy
    }
}

/// What ``GradientTraining`` trains: builds an untrained model for a dataset's ID maps.
/// The built-in architectures are ``BuiltInArchitecture``; a model written elsewhere brings
/// its own conformer.
public protocol ModelArchitecture: Sendable {
    /// The untrained model for `data`'s users and items.
    func makeModel(for data: RatingsDataset) throws -> any TrainableModel
    /// The same architecture initialised from `seed` (itself when it has no random start).
    func withSeed(_ seed: UInt64) -> Self
    /// The same architecture with embedding dimension `dimension`, or nil when it has none.
    func withDimension(_ dimension: Int) -> Self?
}

extension ModelArchitecture {
    public func withSeed(_ seed: UInt64) -> Self { self }
    public func withDimension(_ dimension: Int) -> Self? { nil }
}
