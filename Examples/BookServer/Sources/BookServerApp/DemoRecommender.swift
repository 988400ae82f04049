import EmbedRec

/// A recommender trained on generated goodbooks-shaped ratings: for the tests, for trying the
/// page without the real ratings file, and for the load benchmark.
public enum DemoRecommender {
    /// What to generate and train.
    public struct Configuration: Sendable, Hashable {
        public var users: Int
        public var items: Int
        public var ratings: Int
        public var dimension: Int = 32
        public var epochs: Int = 3
        public var seed: UInt64 = 42

        public init(users: Int, items: Int, ratings: Int) {
            self.users = users; self.items = items; self.ratings = ratings
        }

        /// A few hundred readers and books: trains in well under a second.
        public static let small = Configuration(users: 300, items: 200, ratings: 9_000)
        /// The goodbooks-10k shape (53,424 readers × 10,000 books, 981,756 ratings).
        public static let goodbooks = Configuration(users: 53_424, items: 10_000, ratings: 981_756)
    }

    /// Generates the ratings, trains a BiasedMF (sigmoid to the rating range) and bundles it with
    /// `catalog`, or, without one, a generated catalogue ("Book 17" by "Author 3", every fifth
    /// book without a cover URL).
    public static func make(_ configuration: Configuration, catalog: ItemCatalog? = nil) throws -> Recommender {
        var generation = SyntheticRatings.Configuration(
            users: configuration.users, items: configuration.items, ratings: configuration.ratings, seed: configuration.seed)
        // Readers pick books partly by taste, so recommendations differ between readers.
        generation.exposure = 1
        let data = try SyntheticRatings.generate(generation)
        var training = TrainingConfiguration(epochs: configuration.epochs, batchSize: 256, optimizer: .adam(learningRate: 0.005), embeddingL2: 1e-4)
        training.seed = configuration.seed
        let recipe = Recipe(name: "demo", summary: "BiasedMF, sigmoid to the rating range", fitter: GradientTraining(
            architecture: BuiltInArchitecture.biasedMF(
                .init(dimension: configuration.dimension, initializer: .heNormal, seed: configuration.seed), sigmoidToRatingRange: true),
            training: training))
        let fitted = try recipe.fit(data)
        return try Recommender(model: fitted.model, training: data, configuration: fitted.training, history: fitted.history,
                               catalog: catalog ?? generatedCatalog(itemIDs: data.itemIDs.integerRawIDs ?? []))
    }

    static func generatedCatalog(itemIDs: [Int64]) throws -> ItemCatalog {
        try ItemCatalog(items: itemIDs.map { id in
            ItemMetadata(rawID: .integer(id), title: "Book \(id)", authors: "Author \(id % 37 + 1)", year: 1950 + Int(id % 70),
                         imageURL: id % 5 == 0 ? nil : "https://images.example.invalid/covers/\(id).jpg")
        })
    }
}
