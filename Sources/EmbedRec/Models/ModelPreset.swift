/// A named recipe: a model architecture and how to train it.
///
/// The tutorials' models at the tutorials' settings, and the configurations tuned on MovieLens,
/// live here so that the command line, the benchmarks, the examples and the README build the
/// very same models.
///
/// ```swift
/// let preset = ModelPreset.tutorialV2
/// let model = try preset.makeModel(for: split.train)
/// try Trainer(configuration: preset.training).fit(model, on: split.train)
/// ```
public struct ModelPreset: Sendable, Hashable {
    /// A short stable name, e.g. `"v2"` (used by the command line).
    public var name: String
    /// Where the recipe comes from and what it is.
    public var summary: String
    /// The architecture.
    public var architecture: ModelArchitecture
    /// How the tutorial or the tuning trained it.
    public var training: TrainingConfiguration

    /// Creates a preset.
    public init(name: String, summary: String, architecture: ModelArchitecture, training: TrainingConfiguration) {
        self.name = name; self.summary = summary; self.architecture = architecture; self.training = training
    }

    /// Builds the model for `data`'s ID maps (and, for a sigmoid output, its rating range).
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` from the model's initializer.
    public func makeModel(for data: RatingsDataset) throws -> any Model {
        try architecture.makeModel(for: data)
    }
}

/// What a ``ModelPreset`` builds: one of the three model kinds with its configuration.
public enum ModelArchitecture: Sendable, Hashable {
    /// ``MatrixFactorization``.
    case matrixFactorization(MatrixFactorization.Configuration)
    /// ``BiasedMF``; with `sigmoidToRatingRange`, the output becomes a sigmoid scaled to the
    /// training data's rating range (the MovieLens tutorial's V2), or, when every rating is the
    /// same, a linear output around their mean.
    case biasedMF(BiasedMF.Configuration, sigmoidToRatingRange: Bool)
    /// ``ConcatMLP``; `sigmoidToRatingRange` as for BiasedMF (the tutorial's Net).
    case concatMLP(ConcatMLP.Configuration, sigmoidToRatingRange: Bool)

    /// Builds the model for `data`'s ID maps and rating range.
    public func makeModel(for data: RatingsDataset) throws -> any Model {
        let range = data.ratingRange.flatMap { $0.lowerBound < $0.upperBound ? $0 : nil }
        switch self {
        case .matrixFactorization(let c):
            return try MatrixFactorization(for: data, configuration: c)
        case .biasedMF(var c, let sigmoid):
            if sigmoid {
                if let range { c.output = .sigmoidScaled(min: range.lowerBound, max: range.upperBound) }
                else { c.output = .linear; c.globalOffset = data.meanRating ?? 0 }
            }
            return try BiasedMF(for: data, configuration: c)
        case .concatMLP(var c, let sigmoid):
            if sigmoid { c.output = range.map { .sigmoidScaled(min: $0.lowerBound, max: $0.upperBound) } ?? .linear }
            return try ConcatMLP(for: data, configuration: c)
        }
    }

    /// The same architecture initialised from `seed`.
    public func withSeed(_ seed: UInt64) -> ModelArchitecture {
        switch self {
        case .matrixFactorization(var c): c.seed = seed; return .matrixFactorization(c)
        case .biasedMF(var c, let s): c.seed = seed; return .biasedMF(c, sigmoidToRatingRange: s)
        case .concatMLP(var c, let s): c.seed = seed; return .concatMLP(c, sigmoidToRatingRange: s)
        }
    }

    /// The same architecture with embedding dimension `d` (both sides for ConcatMLP).
    public func withDimension(_ d: Int) -> ModelArchitecture {
        switch self {
        case .matrixFactorization(var c): c.dimension = d; return .matrixFactorization(c)
        case .biasedMF(var c, let s): c.dimension = d; return .biasedMF(c, sigmoidToRatingRange: s)
        case .concatMLP(var c, let s): c.userDimension = d; c.itemDimension = d; return .concatMLP(c, sigmoidToRatingRange: s)
        }
    }
}

extension ModelPreset {
    /// Tutorials A and C (goodbooks): 5-dimensional book and user embeddings, dot product;
    /// Adam 0.001, batch 64, 5 epochs (tutorial A trains 10).
    public static let tutorialDot5 = ModelPreset(
        name: "dot5", summary: "goodbooks tutorials A/C: Embedding 5 each, dot product",
        architecture: .matrixFactorization(.init(dimension: 5)),
        training: .init(epochs: 5, batchSize: 64))

    /// Tutorial B (goodbooks): 15 + 15 concatenated, Dense 128 ReLU, Dense 1 ReLU; Adam 0.001,
    /// batch 64, 5 epochs.
    public static let tutorialConcat15 = ModelPreset(
        name: "concat15", summary: "goodbooks tutorial B: 15+15 → 128 ReLU → 1 ReLU",
        architecture: .concatMLP(.init(userDimension: 15, itemDimension: 15, hiddenUnits: [128], output: .relu),
                                 sigmoidToRatingRange: false),
        training: .init(epochs: 5, batchSize: 64))

    /// Tutorial D (goodbooks): 10 + 10 concatenated, Dense 128 ReLU, Dense 32 ReLU, Dense 1;
    /// Adam 0.001, batch 1024, 200 steps (about a quarter of an epoch: one epoch here).
    public static let tutorialDeep10 = ModelPreset(
        name: "deep10", summary: "goodbooks tutorial D: 10+10 → 128 ReLU → 32 ReLU → 1",
        architecture: .concatMLP(.init(userDimension: 10, itemDimension: 10, hiddenUnits: [128, 32]),
                                 sigmoidToRatingRange: false),
        training: .init(epochs: 1, batchSize: 1024))

    /// Tutorial E's V1 (MovieLens): 50-dimensional He-normal embeddings with L2 1e-6, dot
    /// product; Adam 0.001, batch 64, 5 epochs.
    public static let tutorialV1 = ModelPreset(
        name: "v1", summary: "MovieLens tutorial E, V1: Embedding 50 (He-normal, L2 1e-6), dot product",
        architecture: .matrixFactorization(.init(dimension: 50, initializer: .heNormal)),
        training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6))

    /// Tutorial E's V2: V1 plus user and item biases, sigmoid scaled to the rating range.
    public static let tutorialV2 = ModelPreset(
        name: "v2", summary: "MovieLens tutorial E, V2: V1 + biases, sigmoid scaled to the rating range",
        architecture: .biasedMF(.init(dimension: 50, initializer: .heNormal), sigmoidToRatingRange: true),
        training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6))

    /// Tutorial E's Net: 50 + 50 concatenated, dropout 0.05, Dense 10 ReLU, dropout 0.5,
    /// Dense 1, sigmoid scaled to the rating range (He-normal throughout, L2 1e-6 on the tables).
    public static let tutorialNet = ModelPreset(
        name: "net", summary: "MovieLens tutorial E, Net: 50+50 → dropout 0.05 → 10 ReLU → dropout 0.5 → 1, sigmoid",
        architecture: .concatMLP(.init(
            userDimension: 50, itemDimension: 50, hiddenUnits: [10], inputDropout: 0.05, hiddenDropout: [0.5],
            embeddingInitializer: .heNormal, kernelInitializer: .heNormal), sigmoidToRatingRange: true),
        training: .init(epochs: 5, batchSize: 64, embeddingL2: 1e-6))

    /// BiasedMF tuned on ml-100k (d = 30, He-normal, sigmoid, Adam 0.001, batch 64, L2 1e-3 on
    /// the rows a batch uses); at most 60 epochs with early stopping after 5 without
    /// improvement — give the trainer a validation split carved from the training data.
    public static let tunedBiasedMF = ModelPreset(
        name: "biasedmf", summary: "BiasedMF tuned on ml-100k: d=30, He-normal, sigmoid, Adam 0.001, batch 64, L2 1e-3",
        architecture: .biasedMF(.init(dimension: 30, initializer: .heNormal), sigmoidToRatingRange: true),
        training: .init(epochs: 60, batchSize: 64, optimizer: .adam(learningRate: 0.001), embeddingL2: 0.001,
                        earlyStoppingPatience: 5))

    /// BiasedMF tuned on ml-1m (d = 50, He-normal, sigmoid, lazy Adam 0.001, batch 64, L2 1e-3);
    /// at most 40 epochs with early stopping after 4.
    public static let tunedBiasedMFLarge = ModelPreset(
        name: "biasedmf-large", summary: "BiasedMF tuned on ml-1m: d=50, He-normal, sigmoid, lazy Adam 0.001, batch 64, L2 1e-3",
        architecture: .biasedMF(.init(dimension: 50, initializer: .heNormal), sigmoidToRatingRange: true),
        training: .init(epochs: 40, batchSize: 64, optimizer: .lazyAdam(learningRate: 0.001), embeddingL2: 0.001,
                        earlyStoppingPatience: 4))

    /// Every preset, tutorials first.
    public static let all: [ModelPreset] = [
        tutorialDot5, tutorialConcat15, tutorialDeep10, tutorialV1, tutorialV2, tutorialNet,
        tunedBiasedMF, tunedBiasedMFLarge,
    ]

    /// The preset called `name`, if any.
    public static func named(_ name: String) -> ModelPreset? { all.first { $0.name == name } }
}
