import EmbedRecKernels

/// Recommendations for a reader the model was not trained on, from the books they have read.
///
/// The item side stays frozen: for the dot-product family the reader's vector (and bias) is a
/// ridge-regression solve (LAPACKE `sposv`, a (d+1)² system); for ConcatMLP a few Adam steps
/// move only the reader's embedding. No retraining: one small solve, then one catalogue scan for
/// top-K.
///
/// ```swift
/// let foldIn = try FoldInRecommender(model: model, training: train)
/// let result = try foldIn.recommend(readItems: [1, 2, 3], ratings: [5, 4, 5], k: 10)
/// ```
public struct FoldInRecommender: Sendable {
    let scorer: any CatalogueScorer
    let itemIDs: ItemIDMap
    /// The most-rated items, for a reader with no known item.
    let popularity: ItemPopularity
    let predictsRatings: Bool
    let defaultRating: Float
    /// The training ratings' range: a new reader's ratings must lie in it (nil: any finite).
    let ratingScale: ClosedRange<Float>?
    /// λ of the ridge penalty on the reader's vector.
    public var regularization: Float

    /// A fold-in recommender over a trained model's frozen item side.
    ///
    /// - Parameters:
    ///   - model: the trained model: a built-in one or a ``FactorizedModel``.
    ///   - training: the data the model was trained on: gives the raw item IDs, the popularity
    ///     ranking for readers with nothing usable, and the assumed rating for unrated reads
    ///     (the training set's 75th-percentile rating).
    ///   - regularization: ridge λ on the reader's vector (and bias), finite and ≥ 0.
    /// - Throws: ``DatasetError/mismatchedSpace(_:)`` when `training` is of another item space
    ///   than the model; ``ConfigurationError/invalidSetting(_:)`` for a bad regularization;
    ///   ``RecommenderError/noFoldIn(_:)`` for a model with neither.
    public init(model: any Model, training: RatingsDataset, regularization: Float = 0.5) throws {
        try TopKScorer.requireSameSpace(model, training)
        try Self.validate(regularization: regularization)
        let scorer = try catalogueScorer(for: model)
        guard scorer.supportsFoldIn else { throw RecommenderError.noFoldIn(model.summary) }
        self.init(scorer: scorer, itemIDs: training.itemIDs, predictsRatings: model.predictsRatings,
                  popularity: ItemPopularity(items: training.items, ratings: training.ratings, itemCount: training.itemCount),
                  defaultRating: Self.defaultRating(of: training.ratings), ratingScale: training.ratingRange,
                  regularization: regularization)
    }

    /// A recommender from parts already checked against the model (a ``Recommender``'s).
    init(scorer: any CatalogueScorer, itemIDs: ItemIDMap, predictsRatings: Bool, popularity: ItemPopularity,
         defaultRating: Float, ratingScale: ClosedRange<Float>?, regularization: Float) {
        self.ratingScale = ratingScale
        self.scorer = scorer
        self.itemIDs = itemIDs
        self.predictsRatings = predictsRatings
        self.popularity = popularity
        self.defaultRating = defaultRating
        self.regularization = regularization
    }

    /// The rating assumed for a read item given without one: the 75th-percentile rating.
    static func defaultRating(of ratings: [Float]) -> Float {
        let sorted = ratings.sorted()
        return sorted.isEmpty ? 1 : sorted[min(sorted.count - 1, sorted.count * 3 / 4)]
    }

    static func validate(regularization: Float) throws {
        guard regularization.isFinite, regularization >= 0 else {
            throw ConfigurationError.invalidSetting("fold-in regularization must be finite and ≥ 0, got \(regularization)")
        }
    }

    /// The outcome of a fold-in request.
    public struct Result: Sendable {
        /// The recommendations, best first.
        public let recommendations: [Recommendation]
        /// Raw item IDs from the reading list that the catalogue does not know (ignored).
        public let unknownItemIDs: [RawID]
        /// True when no known item was given and the list is the most popular items instead;
        /// their predicted ratings are then the items' mean training ratings.
        public let isPopularityFallback: Bool
        /// The reader's solved row in the scorer's user space (empty for the fallback).
        public let userRow: [Float]
    }

    /// Recommends `k` items for a new reader given raw item IDs they read and, optionally, their
    /// ratings (same length). Read items are excluded from the results.
    ///
    /// - Throws: ``RecommenderError/invalidK(_:)`` for K ≤ 0; ``RecommenderError/invalidReader(_:)``
    ///   for ratings of the wrong length, a non-finite rating or a solved row that is not finite;
    ///   ``RecommenderError/ratingOutsideScale(item:rating:scale:)`` for a rating outside the
    ///   training ratings' range; ``ConfigurationError/invalidSetting(_:)`` for a bad ``regularization``;
    ///   ``LinearAlgebraError`` if the solve fails.
    public func recommend(readItems rawIDs: [RawID], ratings: [Float]? = nil, k: Int) throws -> Result {
        guard k > 0 else { throw RecommenderError.invalidK(k) }
        try Self.validate(regularization: regularization)
        if let ratings, ratings.count != rawIDs.count {
            throw RecommenderError.invalidReader("\(rawIDs.count) items but \(ratings.count) ratings")
        }
        if let ratings, ratings.contains(where: { !$0.isFinite }) {
            throw RecommenderError.invalidReader("ratings must be finite")
        }
        // A rating far outside what the model was trained on gives a meaningless (or non-finite)
        // reader vector: refused, as BookServer refuses it.
        if let ratings, let scale = ratingScale, let j = ratings.firstIndex(where: { !scale.contains($0) }) {
            throw RecommenderError.ratingOutsideScale(item: rawIDs[j], rating: ratings[j], scale: scale)
        }
        var known: [Int32] = [], knownRatings: [Float] = [], unknown: [RawID] = []
        var seen = Set<Int32>()
        for (j, raw) in rawIDs.enumerated() {
            guard let index = itemIDs.position(of: raw) else { unknown.append(raw); continue }
            guard seen.insert(index).inserted else { continue }
            known.append(index); knownRatings.append(ratings?[j] ?? defaultRating)
        }
        guard !known.isEmpty else {
            return Result(recommendations: popularity.top(k, itemIDs: itemIDs, predictsRatings: predictsRatings), unknownItemIDs: unknown, isPopularityFallback: true, userRow: [])
        }
        let row = try scorer.foldIn(items: known, ratings: knownRatings, regularization: regularization)
        guard row.allSatisfy(\.isFinite) else {
            throw RecommenderError.invalidReader("the reader's solved row is not finite: ratings too large for Float32 (largest magnitude \(knownRatings.map(abs).max() ?? 0))")
        }
        let n = scorer.itemCount
        var scores = [Float](repeating: 0, count: n)
        let arena = ScratchArena(capacity: n + 64)
        row.withUnsafeBufferPointer { r in
            scores.withUnsafeMutableBufferPointer { s in
                scorer.rankingScores(userRows: r.baseAddress!, count: 1, into: s.baseAddress!, arena: arena)
            }
        }
        for i in known { scores[Int(i)] = -.infinity }
        let winners = scores.withUnsafeBufferPointer { topK(of: $0.baseAddress!, n: n, k: k) }
        let recommendations = winners.map {
            Recommendation(item: $0.item, itemIDs: itemIDs, score: scorer.score(fromRankingScore: $0.score, item: $0.item),
                           predictsRatings: predictsRatings)
        }
        return Result(recommendations: recommendations, unknownItemIDs: unknown, isPopularityFallback: false, userRow: row)
    }
}
