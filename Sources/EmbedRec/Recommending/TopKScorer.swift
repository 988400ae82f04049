/// One recommended item.
public struct Recommendation: Sendable, Hashable {
    /// Dense item index.
    public let item: Int32
    /// Raw item ID (from the ID map the scorer was given), or nil without one.
    public let rawItemID: Int64?
    /// Predicted rating, in rating units.
    public let predictedRating: Float
}

/// Options for a top-K request.
public struct RecommendationOptions: Sendable, Hashable {
    /// How many items to return (> 0). Larger than the catalogue returns all that remain.
    public var k: Int
    /// Leave out items the user rated in the training data (the default).
    public var excludeRated: Bool = true
    /// Further items to leave out for every user (dense indices).
    public var excludedItems: [Int32] = []
    /// When set, only these items are considered (dense indices).
    public var allowedItems: [Int32]? = nil

    public init(k: Int, excludeRated: Bool = true, excludedItems: [Int32] = [], allowedItems: [Int32]? = nil) {
        self.k = k; self.excludeRated = excludeRated
        self.excludedItems = excludedItems; self.allowedItems = allowedItems
    }
}

/// Top-K recommendation over the whole catalogue for one user, many users or all users.
///
/// Scores come from the model's ``CatalogueScorer``: a block of users against all items at a
/// time (sgemm for the dot-product family), then a K-element heap per row. Workers take blocks
/// in parallel; memory is bounded by `blockSize × items` floats per worker, never
/// `users × items`. Ties break by the lower item index. A scorer is immutable and safe to use
/// from many threads at once.
///
/// ```swift
/// let scorer = TopKScorer(model: model, training: split.train)
/// let top10 = try scorer.recommend(user: 0, options: .init(k: 10))
/// ```
public struct TopKScorer: Sendable {
    let scorer: any CatalogueScorer
    let seen: UserItemIndex?
    let itemIDs: IDMap?
    /// Users per scoring block.
    public let blockSize: Int
    /// Threads used for many-user requests.
    public let parallelism: Parallelism
    /// Users the model knows.
    public let userCount: Int
    /// Items in the catalogue.
    public var itemCount: Int { scorer.itemCount }

    /// Creates a scorer for `model`.
    ///
    /// - Parameters:
    ///   - training: the training data; its ratings are what ``RecommendationOptions/excludeRated``
    ///     leaves out, and its item ID map gives ``Recommendation/rawItemID``.
    ///   - blockSize: users scored per sgemm (memory: blockSize × items floats per worker).
    public init(
        model: any Model, training: RatingsDataset? = nil, blockSize: Int = 256,
        parallelism: Parallelism = .automatic
    ) {
        scorer = model.makeCatalogueScorer()
        seen = training?.itemsByUser()
        itemIDs = training?.itemIDs
        self.blockSize = max(1, blockSize)
        self.parallelism = parallelism
        userCount = model.userCount
    }

    /// The top K items for one user.
    /// - Throws: ``ModelError/invalidConfiguration(_:)`` for K ≤ 0,
    ///   ``ModelError/indexOutOfRange(what:index:count:)`` for an unknown user or item.
    public func recommend(user: Int32, options: RecommendationOptions) throws -> [Recommendation] {
        try recommend(users: [user], options: options)[0]
    }

    /// The top K items for each of `users`, in the same order.
    public func recommend(users: [Int32], options: RecommendationOptions) throws -> [[Recommendation]] {
        let result = try recommendFlat(users: users, options: options)
        return (0..<users.count).map { result.recommendations(forRow: $0, itemIDs: itemIDs, scorer: scorer) }
    }

    /// The top K items for every user, as flat arrays (`users × K`, padded with −1 where fewer
    /// than K items remain). This is the fast path for evaluation and batch jobs.
    public func recommendAll(options: RecommendationOptions) throws -> TopKResult {
        try recommendFlat(users: (0..<Int32(userCount)).map { $0 }, options: options)
    }

    /// The top K for `users` as flat arrays.
    public func recommendFlat(users: [Int32], options: RecommendationOptions) throws -> TopKResult {
        guard options.k > 0 else { throw ModelError.invalidConfiguration("k must be > 0, got \(options.k)") }
        for u in users where u < 0 || Int(u) >= userCount {
            throw ModelError.indexOutOfRange(what: "user", index: Int(u), count: userCount)
        }
        let n = itemCount
        for i in options.excludedItems + (options.allowedItems ?? []) where i < 0 || Int(i) >= n {
            throw ModelError.indexOutOfRange(what: "item", index: Int(i), count: n)
        }
        let k = min(options.k, n)
        let allowed = options.allowedItems.map { Array(Set($0)).sorted() }
        var items = [Int32](repeating: -1, count: users.count * k)
        var scores = [Float](repeating: -.infinity, count: users.count * k)
        let blocks = (users.count + blockSize - 1) / blockSize
        let workers = max(1, min(parallelism.threads, blocks))
        if workers > 1 { BLASThreading.useSingleThreadedBLAS() }
        let seen = options.excludeRated ? self.seen : nil
        let blockSize = self.blockSize
        let scorer = self.scorer
        users.withUnsafeBufferPointer { userBuffer in
            items.withUnsafeMutableBufferPointer { itemOut in
                scores.withUnsafeMutableBufferPointer { scoreOut in
                    let io = itemOut.baseAddress!, so = scoreOut.baseAddress!
                    let ub = userBuffer.baseAddress!
                    parallelFor(workers) { w in
                        let arena = ScratchArena(capacity: min(blockSize, users.count) * (n + 64))
                        var selector = TopKSelector(k: k)
                        for b in stride(from: w, to: blocks, by: workers) {
                            let first = b * blockSize, count = min(blockSize, users.count - first)
                            let block = arena.take(count * n)
                            scorer.rankingScores(users: ub + first, count: count, into: block, arena: arena)
                            for r in 0..<count {
                                let row = block + r * n
                                let u = Int(ub[first + r])
                                if let seen, u < seen.userCount {
                                    for j in seen.offsets[u]..<seen.offsets[u + 1] { row[Int(seen.items[j])] = -.infinity }
                                }
                                for i in options.excludedItems { row[Int(i)] = -.infinity }
                                let winners: [(item: Int32, score: Float)]
                                if let allowed {
                                    winners = allowed.withUnsafeBufferPointer { selector.select(row, n: n, candidates: $0) }
                                } else {
                                    winners = selector.select(row, n: n)
                                }
                                let out = (first + r) * k
                                for (j, win) in winners.enumerated() { io[out + j] = win.item; so[out + j] = win.score }
                            }
                            arena.reset()
                        }
                    }
                }
            }
        }
        return TopKResult(k: k, users: users, items: items, rankingScores: scores, scorer: scorer)
    }
}

/// Top-K results for many users as flat `users × k` arrays.
public struct TopKResult: Sendable {
    /// Items per user (K, capped at the catalogue size).
    public let k: Int
    /// The users, in request order.
    public let users: [Int32]
    /// Item indices, row r = users[r], best first; −1 pads rows with fewer than K items.
    public let items: [Int32]
    /// The model's ranking scores aligned with ``items`` (monotone in the predicted rating).
    public let rankingScores: [Float]
    let scorer: any CatalogueScorer

    /// The items recommended to the user in row `row` (without padding).
    public func items(forRow row: Int) -> ArraySlice<Int32> {
        let slice = items[(row * k)..<((row + 1) * k)]
        if let end = slice.firstIndex(of: -1) { return slice[..<end] }
        return slice
    }

    /// Predicted rating of entry `j` of row `row`.
    public func predictedRating(row: Int, rank j: Int) -> Float {
        scorer.predictedRating(rankingScore: rankingScores[row * k + j])
    }

    func recommendations(forRow row: Int, itemIDs: IDMap?, scorer: any CatalogueScorer) -> [Recommendation] {
        items(forRow: row).enumerated().map { j, item in
            Recommendation(
                item: item, rawItemID: itemIDs.map { $0.rawID(at: item) },
                predictedRating: scorer.predictedRating(rankingScore: rankingScores[row * k + j]))
        }
    }
}
