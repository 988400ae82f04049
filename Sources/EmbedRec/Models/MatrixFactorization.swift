import EmbedRecKernels

/// Matrix factorization: user and item embeddings of dimension `d`; the prediction is their dot
/// product (the goodbooks tutorials' model, with d = 5, 10 or 50).
///
/// Parameters: `user_embedding` [users, d] and `item_embedding` [items, d].
public final class MatrixFactorization: KernelTrainableModel, @unchecked Sendable {
    /// Architecture and initialisation.
    public struct Configuration: Sendable, Hashable, Codable {
        /// Embedding dimension (> 0).
        public var dimension: Int
        /// Initial values of both tables; Keras' `Embedding` default is uniform ±0.05.
        public var initializer: Initializer = .uniform(0.05)
        /// Seed for initialisation.
        public var seed: UInt64 = 42
        /// What fold-in solves for a new reader (``ImplicitALS`` sets its own objective).
        public var newReaders: NewReaderSolve = .ratings
        /// True when the model is trained to predict ratings (squared error); false when it is
        /// trained to rank (ALS, BPR, sampled softmax), so that its dot products are scores.
        public var predictsRatings: Bool = true

        /// Creates a configuration; see each property.
        public init(dimension: Int, initializer: Initializer = .uniform(0.05), seed: UInt64 = 42,
                    newReaders: NewReaderSolve = .ratings, predictsRatings: Bool = true) {
            self.dimension = dimension; self.initializer = initializer; self.seed = seed
            self.newReaders = newReaders; self.predictsRatings = predictsRatings
        }

        private enum CodingKeys: String, CodingKey { case dimension, initializer, seed, newReaders, predictsRatings }

        /// Decodes a configuration. Files from before the recipe change have no `predictsRatings`:
        /// a model with ALS's fold-in ranks, any other was taken to predict ratings.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            dimension = try c.decode(Int.self, forKey: .dimension)
            initializer = try c.decode(Initializer.self, forKey: .initializer)
            seed = try c.decode(UInt64.self, forKey: .seed)
            newReaders = try c.decode(NewReaderSolve.self, forKey: .newReaders)
            if let saved = try c.decodeIfPresent(Bool.self, forKey: .predictsRatings) {
                predictsRatings = saved
            } else if case .implicitFeedback = newReaders {
                predictsRatings = false
            } else {
                predictsRatings = true
            }
        }
    }

    /// The objective a new reader's row is solved for, with the item table frozen.
    public enum NewReaderSolve: Sendable, Hashable, Codable {
        /// Ridge regression of the reader's ratings on the read items' rows (rating models).
        case ratings
        /// Weighted ALS's objective over the whole catalogue (implicit's `recalculate_user`):
        /// preference 1 with confidence `1 + α·w` on the read items, 0 with confidence 1 on
        /// every other item, ridge λ (times the reader's item count with `scaling`
        /// ``ImplicitALS/RegularizationScaling/interactionCount``; nil is constant).
        case implicitFeedback(alpha: Float, regularization: Float, threshold: Float?, weighting: InteractionWeighting,
                              scaling: ImplicitALS.RegularizationScaling? = nil)
    }

    /// The architecture this model was built with.
    public let configuration: Configuration
    public let userCount: Int
    public let itemCount: Int
    /// The user table [users, d].
    public let userEmbedding: Tensor
    /// The item table [items, d].
    public let itemEmbedding: Tensor
    public var parameters: [Tensor] { [userEmbedding, itemEmbedding] }
    public var predictsRatings: Bool { configuration.predictsRatings }
    public var outputRange: ClosedRange<Float>? { nil }
    /// `MatrixFactorization(d=64)`, with how it was fitted where that is not squared error:
    /// `weighted ALS (λ=10, α=1)` or `ranking scores` (a ranking loss: BPR, sampled softmax).
    public var summary: String {
        let name = "MatrixFactorization(d=\(configuration.dimension))"
        if case let .implicitFeedback(alpha, lambda, _, _, scaling) = configuration.newReaders {
            let perRow = scaling == .interactionCount ? " × interactions" : ""
            return "\(name), weighted ALS (λ=\(lambda.compactDescription)\(perRow), α=\(alpha.compactDescription))"
        }
        return configuration.predictsRatings ? name : "\(name), ranking scores"
    }


    /// Creates a model for `users` users and `items` items.
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for d ≤ 0 or no users/items.
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
        try configuration.initializer.validate("embedding")
        try Tensor.requireAllocatable([("user_embedding", [users, configuration.dimension]),
                                       ("item_embedding", [items, configuration.dimension])])
        self.configuration = configuration
        userCount = users; itemCount = items
        userEmbedding = Tensor(name: "user_embedding", shape: [users, configuration.dimension], role: .embedding, rowIndex: .users)
        itemEmbedding = Tensor(name: "item_embedding", shape: [items, configuration.dimension], role: .embedding, rowIndex: .items)
        guard initialized else { return }
        var rng = SeededGenerator(seed: configuration.seed)
        configuration.initializer.fill(userEmbedding, &rng)
        configuration.initializer.fill(itemEmbedding, &rng)
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
                bias: nil, trainsOffset: false, activation: .linear)
        }
        return DotProductKernels.trainStep(
            batch, context, d: configuration.dimension, p: userEmbedding.storage, q: itemEmbedding.storage,
            bias: nil, activation: .linear)
    }

    func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        DotProductKernels.score(
            users: users, items: items, count: count, into: output, d: configuration.dimension,
            p: userEmbedding.storage, q: itemEmbedding.storage, bias: nil, activation: .linear)
    }

    public func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        scoreThroughKernel(users: users, items: items, into: &output)
    }

    public func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        trainStepThroughKernel(batch, context)
    }

    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer {
        DotProductScorer(model: self, d: configuration.dimension, p: userEmbedding, q: itemEmbedding,
                         bias: nil, activation: .linear, sharingUserTable: sharingTables,
                         newReaders: configuration.newReaders)
    }

    func makeCatalogueScorer() -> any CatalogueScorer { makeCatalogueScorer(sharingTables: false) }
}
