import EmbedRec

/// A recommender trained on generated goodbooks-shaped ratings: for the tests, for trying the
/// page without the real ratings file, and for the load benchmark.
public enum DemoRecommender {
    /// What to generate and train.
    public struct Configuration: Sendable, Hashable {
        public var users: Int
        public var items: Int
        public var ratings: Int
        /// ALS factors.
        public var dimension: Int = 32
        /// ALS iterations.
        public var iterations: Int = 10
        public var seed: UInt64 = 42

        public init(users: Int, items: Int, ratings: Int) {
            self.users = users; self.items = items; self.ratings = ratings
        }

        /// A few hundred readers and books: trains in well under a second.
        public static let small = Configuration(users: 300, items: 200, ratings: 9_000)
        /// The goodbooks-10k shape (53,424 readers × 10,000 books, 981,756 ratings).
        public static let goodbooks = Configuration(users: 53_424, items: 10_000, ratings: 981_756)
    }

    /// Generates the ratings, fits weighted ALS (a top-N model: the page lists books, and ALS's
    /// lists and similar books beat a rating model's, Docs/Benchmarks.md) and bundles it with
    /// `catalog`, or, without one, a generated catalogue ("Book 17" by "Author 3", every fifth
    /// book without a cover URL). Readers and books are its words.
    public static func make(_ configuration: Configuration, catalog: ItemCatalog? = nil) throws -> Recommender {
        var generation = SyntheticRatings.Configuration(
            users: configuration.users, items: configuration.items, ratings: configuration.ratings, seed: configuration.seed)
        // Readers pick books partly by taste, so recommendations differ between readers.
        generation.exposure = 1
        let data = try SyntheticRatings.generate(generation)
        let recipe = try Recipe.als.adjusted(RecipeChanges(dimension: configuration.dimension, epochs: configuration.iterations,
                                                           seed: configuration.seed))
        let fitted = try recipe.fit(data)
        return try Recommender(model: fitted.model, training: data, configuration: fitted.training, history: fitted.history,
                               catalog: catalog ?? generatedCatalog(itemIDs: data.itemIDs.integerRawIDs ?? []), nouns: .books)
    }

    static func generatedCatalog(itemIDs: [Int64]) throws -> ItemCatalog {
        try ItemCatalog(items: itemIDs.map { id in
            ItemMetadata(rawID: .integer(id), title: "Book \(id)", authors: "Author \(id % 37 + 1)", year: 1950 + Int(id % 70),
                         imageURL: id % 5 == 0 ? nil : "https://images.example.invalid/covers/\(id).jpg")
        })
    }
}
