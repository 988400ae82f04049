import EmbedRecKernels

/// Biased matrix factorization: `y = f(p_u · q_i + b_u + b_i [+ μ])`, where `f` is the identity
/// or a sigmoid scaled to the rating range (the MovieLens tutorial's best model, "V2").
///
/// Parameters: `user_embedding` [users, d], `item_embedding` [items, d], `user_bias`
/// [users, 1], `item_bias` [items, 1] and, when enabled, `global_offset` [1].
public final class BiasedMF: KernelTrainableModel, @unchecked Sendable {
    /// Architecture and initialisation.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Embedding dimension (> 0).
        public var dimension: Int
        /// Initial values of the embedding tables.
        public var initializer: Initializer = .uniform(0.05)
        /// When set, a global offset μ starting at this value (e.g. the training mean).
        public var globalOffset: Float? = nil
        /// Whether training moves the global offset (true), or holds it at its starting value as
        /// scikit-surprise's SVD holds the training mean.
        public var trainsGlobalOffset: Bool = true
        /// The output function: `.linear`, or `.sigmoidScaled(min:max:)` for the rating range.
        public var output: OutputActivation = .linear
        /// Seed for initialisation.
        public var seed: UInt64 = 42

        /// Creates a configuration; see each property for its meaning and valid range.
        public init(
            dimension: Int, initializer: Initializer = .uniform(0.05), globalOffset: Float? = nil,
            output: OutputActivation = .linear, seed: UInt64 = 42
        ) {
            self.dimension = dimension; self.initializer = initializer
            self.globalOffset = globalOffset; self.output = output; self.seed = seed
        }
    }

    /// The architecture this model was built with.
    public let configuration: Configuration
    public let userCount: Int
    public let itemCount: Int
    /// The user table [users, d].
    public let userEmbedding: Tensor
    /// The item table [items, d].
    public let itemEmbedding: Tensor
    /// User biases [users, 1].
    public let userBias: Tensor
    /// Item biases [items, 1].
    public let itemBias: Tensor
    /// The global offset μ, when configured.
    public let globalOffset: Tensor?
    public let parameters: [Tensor]
    /// Trained on ratings with squared error, it predicts them.
    public var predictsRatings: Bool { true }
    public var outputRange: ClosedRange<Float>? { configuration.output.range }
    public var summary: String {
        "BiasedMF(d=\(configuration.dimension), \(configuration.output.summary)\(globalOffset == nil ? "" : configuration.trainsGlobalOffset ? ", offset" : ", fixed offset"))"
    }
    private var biasPointers: BiasPointers {
        BiasPointers(user: userBias.storage, item: itemBias.storage, offset: globalOffset?.storage)
    }

    /// A model with `users` × `items` tables, initialised as the configuration says.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for d ≤ 0, no users/items, or a
    ///   rating range with min ≥ max.
    public convenience init(users: Int, items: Int, configuration: Configuration) throws {
        try self.init(users: users, items: items, configuration: configuration, initialized: true)
    }

    /// `initialized: false` leaves the tables zero for a loader that fills them next.
    init(users: Int, items: Int, configuration: Configuration, initialized: Bool) throws {
        guard configuration.dimension > 0 else {
            throw ConfigurationError.invalidSetting("dimension must be > 0, got \(configuration.dimension)")
        }
        guard users > 0, items > 0 else {
            throw ConfigurationError.invalidSetting("model needs at least one user and one item, got \(users) and \(items)")
        }
        try configuration.output.validate()
        try configuration.initializer.validate("embedding")
        if let o = configuration.globalOffset, !o.isFinite {
            throw ConfigurationError.invalidSetting("global offset must be finite")
        }
        try Tensor.requireAllocatable([
            ("user_embedding", [users, configuration.dimension]), ("item_embedding", [items, configuration.dimension]),
            ("user_bias", [users, 1]), ("item_bias", [items, 1]),
        ])
        self.configuration = configuration
        userCount = users; itemCount = items
        let d = configuration.dimension
        userEmbedding = Tensor(name: "user_embedding", shape: [users, d], role: .embedding, rowIndex: .users)
        itemEmbedding = Tensor(name: "item_embedding", shape: [items, d], role: .embedding, rowIndex: .items)
        userBias = Tensor(name: "user_bias", shape: [users, 1], role: .biasTable, rowIndex: .users)
        itemBias = Tensor(name: "item_bias", shape: [items, 1], role: .biasTable, rowIndex: .items)
        if initialized {
            var rng = SeededGenerator(seed: configuration.seed)
            configuration.initializer.fill(userEmbedding, &rng)
            configuration.initializer.fill(itemEmbedding, &rng)
        }
        if let o = configuration.globalOffset {
            let t = Tensor(name: "global_offset", shape: [1], role: .bias)
            t[0] = o
            globalOffset = t
        } else {
            globalOffset = nil
        }
        // A held offset is part of the model but not a parameter: no gradient, no update.
        let trainedOffset = configuration.trainsGlobalOffset ? globalOffset : nil
        parameters = [userEmbedding, itemEmbedding, userBias, itemBias] + (trainedOffset.map { [$0] } ?? [])
    }

    /// Creates a model sized for a dataset's ID maps.
    public convenience init(for data: RatingsDataset, configuration: Configuration) throws {
        try self.init(users: data.userCount, items: data.itemCount, configuration: configuration)
    }

    var trainsOnline: Bool { true }

    func trainStep(_ batch: TrainingBatch, _ context: TrainingContext) -> Double {
        if let step = context.onlineSGD {
            return DotProductKernels.trainOnline(
                batch, context, step, d: configuration.dimension, p: userEmbedding.storage, q: itemEmbedding.storage,
                bias: biasPointers, trainsOffset: globalOffset != nil && configuration.trainsGlobalOffset,
                activation: configuration.output)
        }
        return DotProductKernels.trainStep(
            batch, context, d: configuration.dimension, p: userEmbedding.storage, q: itemEmbedding.storage,
            bias: biasPointers, activation: configuration.output)
    }

    func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        DotProductKernels.score(
            users: users, items: items, count: count, into: output, d: configuration.dimension,
            p: userEmbedding.storage, q: itemEmbedding.storage, bias: biasPointers,
            activation: configuration.output)
    }

    public func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        scoreThroughKernel(users: users, items: items, into: &output)
    }

    public func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        trainStepThroughKernel(batch, context)
    }

    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer {
        DotProductScorer(model: self, d: configuration.dimension, p: userEmbedding, q: itemEmbedding,
                         bias: biasPointers, activation: configuration.output, sharingUserTable: sharingTables)
    }

    func makeCatalogueScorer() -> any CatalogueScorer { makeCatalogueScorer(sharingTables: false) }
}
