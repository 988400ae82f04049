import RealModule

/// Top-K ranking quality, averaged over the evaluated users.
///
/// For a user with relevant set R (held-out items rated at or above the threshold) and
/// recommendation list L of length K (training items excluded), with hit indicator h_i for
/// rank i = 1…K:
/// - precision@K = |L ∩ R| / K
/// - recall@K = |L ∩ R| / |R|
/// - NDCG@K = Σ h_i / log₂(i + 1) ÷ Σ_{i ≤ min(K, |R|)} 1 / log₂(i + 1)
/// - AP@K = Σ h_i · precision@i ÷ min(K, |R|); MAP@K is its mean
/// - hit rate@K = fraction of users with at least one hit
/// - coverage = distinct items recommended to anyone ÷ catalogue size
/// Users with no relevant held-out item are skipped (they cannot score).
public struct RankingMetrics: Sendable, Hashable, CustomStringConvertible {
    /// The cut-off K.
    public let k: Int
    /// Mean precision@K.
    public let precision: Double
    /// Mean recall@K.
    public let recall: Double
    /// Mean NDCG@K (log₂ discount).
    public let ndcg: Double
    /// Mean average precision@K.
    public let map: Double
    /// Fraction of users with at least one relevant item in their top K.
    public let hitRate: Double
    /// Distinct recommended items ÷ catalogue size.
    public let coverage: Double
    /// Users that had at least one relevant held-out item.
    public let usersEvaluated: Int

    /// Computes the metrics from recommendation lists and relevant sets (both indexed by user
    /// row, same length).
    /// - Throws: ``DatasetError/invalidArgument(_:)`` for K ≤ 0, a catalogue size ≤ 0, or lists
    ///   of different lengths.
    public init(recommended: [[Int32]], relevant: [Set<Int32>], k: Int, catalogueSize: Int) throws {
        guard k > 0 else { throw DatasetError.invalidArgument("k must be > 0, got \(k)") }
        guard catalogueSize > 0 else { throw DatasetError.invalidArgument("catalogue size must be > 0") }
        guard recommended.count == relevant.count else {
            throw DatasetError.invalidArgument("\(recommended.count) recommendation lists for \(relevant.count) users")
        }
        var precision = 0.0, recall = 0.0, ndcg = 0.0, map = 0.0, hits = 0.0
        var users = 0
        var covered = Set<Int32>()
        for (list, rel) in zip(recommended, relevant) {
            let top = list.prefix(k)
            covered.formUnion(top)
            guard !rel.isEmpty else { continue }
            users += 1
            var hitCount = 0, dcg = 0.0, ap = 0.0
            for (rank, item) in top.enumerated() where rel.contains(item) {
                hitCount += 1
                dcg += 1 / Double.log2(Double(rank) + 2)
                ap += Double(hitCount) / Double(rank + 1)
            }
            let ideal = min(k, rel.count)
            var idcg = 0.0
            for rank in 0..<ideal { idcg += 1 / Double.log2(Double(rank) + 2) }
            precision += Double(hitCount) / Double(k)
            recall += Double(hitCount) / Double(rel.count)
            ndcg += dcg / idcg
            map += ap / Double(ideal)
            if hitCount > 0 { hits += 1 }
        }
        let n = Double(max(users, 1))
        self.k = k
        self.precision = precision / n; self.recall = recall / n; self.ndcg = ndcg / n
        self.map = map / n; self.hitRate = hits / n
        self.coverage = Double(covered.count) / Double(catalogueSize)
        usersEvaluated = users
    }

    /// The relevance threshold for ratings on `scale`: its top quarter (4 and up on 1–5 stars,
    /// 3.875 on 0.5–5, 7.5 on 0–10); 4 without a scale. For counts (``RatingsFileFormat/Values/counts``)
    /// every interaction is relevant: the smallest positive value.
    public static func defaultRelevanceThreshold(ratingScale scale: ClosedRange<Float>?,
                                                 values: RatingsFileFormat.Values = .ratings) -> Float {
        guard values == .ratings else { return .leastNonzeroMagnitude }
        guard let scale, scale.upperBound > scale.lowerBound else { return 4 }
        return scale.lowerBound + 0.75 * (scale.upperBound - scale.lowerBound)
    }

    /// Evaluates `model` by top-K over the whole catalogue with the user's `train` items
    /// excluded, against the `test` ratings ≥ `relevanceThreshold`.
    /// - Throws: as ``init(recommended:relevant:k:catalogueSize:)`` and ``TopKScorer``.
    public init(
        model: any Model, train: RatingsDataset, test: RatingsDataset, k: Int,
        relevanceThreshold: Float = 4, parallelism: Parallelism = .automatic
    ) throws {
        self = try Self.atEachK([k], model: model, train: train, test: test,
                                relevanceThreshold: relevanceThreshold, parallelism: parallelism)[0]
    }

    /// The metrics at each of `ks` from one top-K pass at the largest K (a list's first K
    /// items are its top-K), in the order of `ks`.
    /// - Throws: as ``init(model:train:test:k:relevanceThreshold:parallelism:)``; an empty `ks`.
    public static func atEachK(
        _ ks: [Int], model: any Model, train: RatingsDataset, test: RatingsDataset,
        relevanceThreshold: Float = 4, parallelism: Parallelism = .automatic
    ) throws -> [RankingMetrics] {
        guard let largest = ks.max() else { throw DatasetError.invalidArgument("no K to evaluate at") }
        guard ks.allSatisfy({ $0 > 0 }) else { throw DatasetError.invalidArgument("every K must be > 0, got \(ks)") }
        var relevant = [Set<Int32>](repeating: [], count: test.userCount)
        for row in 0..<test.count where test.ratings[row] >= relevanceThreshold {
            relevant[Int(test.users[row])].insert(test.items[row])
        }
        let users = (0..<Int32(test.userCount)).filter { !relevant[Int($0)].isEmpty && Int($0) < model.userCount }
        let scorer = try TopKScorer(model: model, training: train, parallelism: parallelism)
        let top = try scorer.recommendFlat(users: users.map(UserIndex.init), options: RecommendationOptions(k: largest))
        let lists = (0..<users.count).map { Array(top.items(forRow: $0)) }
        let sets = users.map { relevant[Int($0)] }
        return try ks.map { try RankingMetrics(recommended: lists, relevant: sets, k: $0, catalogueSize: model.itemCount) }
    }

    /// A one-line summary for logs and printing.
    public var description: String {
        "P@\(k) \(precision.formatted4) R@\(k) \(recall.formatted4) NDCG@\(k) \(ndcg.formatted4) MAP@\(k) \(map.formatted4) HR@\(k) \(hitRate.formatted4) coverage \(coverage.formatted4) (users \(usersEvaluated))"
    }
}
