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
    let popularity: [Int32]
    let defaultRating: Float
    /// The training ratings' range: a new reader's ratings must lie in it (nil: any finite).
    let ratingScale: ClosedRange<Float>?
    /// Mean training rating per item: the "prediction" of the popularity fallback.
    let itemMeans: [Float]
    /// λ of the ridge penalty on the reader's vector.
    public var regularization: Float

    /// A fold-in recommender over a trained model's frozen item side.
    ///
    /// - Parameters:
    ///   - model: the trained model (a built-in one: fold-in uses its scorer).
    ///   - training: the data the model was trained on: gives the raw item IDs, the popularity
    ///     ranking for readers with nothing usable, and the assumed rating for unrated reads
    ///     (the training set's 75th-percentile rating).
    ///   - regularization: ridge λ on the reader's vector (and bias), finite and ≥ 0.
    /// - Throws: ``ModelError/mismatchedData(_:)`` when `training` is of another item space
    ///   than the model; ``ModelError/invalidConfiguration(_:)`` for a bad regularization or a
    ///   model without fold-in (one written outside EmbedRec: fold-in needs the model's scorer).
    public init(model: any Model, training: RatingsDataset, regularization: Float = 0.5) throws {
        try TopKScorer.requireSameSpace(model, training)
        try Self.validate(regularization: regularization)
        guard let kernel = model as? any KernelModel else {
            throw ModelError.invalidConfiguration("\(model.summary) has no fold-in for new readers")
        }
        self.init(scorer: kernel.makeCatalogueScorer(), itemIDs: training.itemIDs,
                  statistics: ItemRatingStatistics(items: training.items, ratings: training.ratings, itemCount: training.itemCount),
                  defaultRating: Self.defaultRating(of: training.ratings), ratingScale: training.ratingRange,
                  regularization: regularization)
    }

    /// A recommender from parts already checked against the model (a ``Recommender``'s).
    init(scorer: any CatalogueScorer, itemIDs: ItemIDMap, statistics: ItemRatingStatistics, defaultRating: Float,
         ratingScale: ClosedRange<Float>?, regularization: Float) {
        self.ratingScale = ratingScale
        self.scorer = scorer
        self.itemIDs = itemIDs
        let counts = statistics.counts, sums = statistics.sums
        let total = sums.reduce(0, +)
        // Most-rated first, ties by the lower index: one sort of packed (−count, index) keys.
        var keys = (0..<counts.count).map { UInt64(UInt32.max - UInt32(min(counts[$0], Int(UInt32.max)))) << 32 | UInt64($0) }
        keys.sort()
        popularity = keys.map { Int32(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
        let ratingCount = counts.reduce(0, +)
        let globalMean = ratingCount == 0 ? 0 : Float(total / Double(ratingCount))
        itemMeans = (0..<counts.count).map { counts[$0] > 0 ? Float(sums[$0] / Double(counts[$0])) : globalMean }
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
            throw ModelError.invalidConfiguration("fold-in regularization must be finite and ≥ 0, got \(regularization)")
        }
    }

    /// The outcome of a fold-in request.
    public struct Result: Sendable {
        /// The recommendations, best first.
        public let recommendations: [Recommendation]
        /// Raw item IDs from the reading list that the catalogue does not know (ignored).
        public let unknownItemIDs: [Int64]
        /// True when no known item was given and the list is the most popular items instead;
        /// their predicted ratings are then the items' mean training ratings.
        public let isPopularityFallback: Bool
        /// The reader's solved row in the scorer's user space (empty for the fallback).
        public let userRow: [Float]
    }

    /// Recommends `k` items for a new reader given raw item IDs they read and, optionally, their
    /// ratings (same length). Read items are excluded from the results.
    ///
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for K ≤ 0, ratings of the wrong
    ///   length, a non-finite rating or a bad ``regularization``; ``RecommenderError/ratingOutsideScale(item:rating:scale:)``
    ///   for a rating outside the training ratings' range; ``ModelError/invalidData(_:)`` when
    ///   the reader's solved row is not finite;
    ///   ``LinearAlgebraError`` if the solve fails.
    public func recommend(readItems rawIDs: [Int64], ratings: [Float]? = nil, k: Int) throws -> Result {
        guard k > 0 else { throw ModelError.invalidConfiguration("k must be > 0, got \(k)") }
        try Self.validate(regularization: regularization)
        if let ratings, ratings.count != rawIDs.count {
            throw ModelError.invalidConfiguration("\(rawIDs.count) items but \(ratings.count) ratings")
        }
        if let ratings, ratings.contains(where: { !$0.isFinite }) {
            throw ModelError.invalidConfiguration("ratings must be finite")
        }
        // A rating far outside what the model was trained on gives a meaningless (or non-finite)
        // reader vector: refused, as BookServer refuses it.
        if let ratings, let scale = ratingScale, let j = ratings.firstIndex(where: { !scale.contains($0) }) {
            throw RecommenderError.ratingOutsideScale(item: rawIDs[j], rating: ratings[j], scale: scale)
        }
        var known: [Int32] = [], knownRatings: [Float] = [], unknown: [Int64] = []
        var seen = Set<Int32>()
        for (j, raw) in rawIDs.enumerated() {
            guard let index = itemIDs.position(of: raw) else { unknown.append(raw); continue }
            guard seen.insert(index).inserted else { continue }
            known.append(index); knownRatings.append(ratings?[j] ?? defaultRating)
        }
        guard !known.isEmpty else {
            let top = popularity.prefix(k).map {
                Recommendation(item: ItemIndex($0), rawItemID: itemIDs.rawID(atChecked: $0), predictedRating: itemMeans[Int($0)])
            }
            return Result(recommendations: Array(top), unknownItemIDs: unknown, isPopularityFallback: true, userRow: [])
        }
        let row = try scorer.foldIn(items: known, ratings: knownRatings, regularization: regularization)
        guard row.allSatisfy(\.isFinite) else {
            throw ModelError.invalidData("the reader's solved row is not finite: ratings too large for Float32 (largest magnitude \(knownRatings.map(abs).max() ?? 0))")
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
            Recommendation(item: ItemIndex($0.item), rawItemID: itemIDs.rawID(atChecked: $0.item),
                           predictedRating: scorer.predictedRating(rankingScore: $0.score, item: $0.item))
        }
        return Result(recommendations: recommendations, unknownItemIDs: unknown, isPopularityFallback: false, userRow: row)
    }
}

/// How often each item was rated and the sum of its ratings: the popularity fallback's ranking
/// and predictions.
struct ItemRatingStatistics: Sendable {
    var counts: [Int]
    var sums: [Double]

    /// One pass over `items` (positions checked to be inside `0..<itemCount`) and `ratings`.
    init(items: [Int32], ratings: [Float], itemCount: Int) {
        var counts = [Int](repeating: 0, count: itemCount)
        var sums = [Double](repeating: 0, count: itemCount)
        // A million ratings per opened recommender: no bounds checks (the items were checked).
        counts.withUnsafeMutableBufferPointer { c in
            sums.withUnsafeMutableBufferPointer { s in
                items.withUnsafeBufferPointer { it in
                    ratings.withUnsafeBufferPointer { r in
                        for k in 0..<it.count {
                            let i = Int(it[k])
                            c[i] += 1; s[i] += Double(r[k])
                        }
                    }
                }
            }
        }
        self.counts = counts; self.sums = sums
    }
}
