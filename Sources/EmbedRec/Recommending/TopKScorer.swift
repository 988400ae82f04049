import EmbedRecKernels

/// One recommended item.
public struct Recommendation: Sendable, Hashable {
    /// Dense item index.
    public let item: ItemIndex
    /// Raw item ID (from the training data's ID map; the dense index when a ``TopKScorer`` was
    /// made without training data).
    public let rawItemID: RawID
    /// The model's score: larger is better. A rating model's score is its predicted rating.
    public let score: Float
    /// The predicted rating, in rating units: only from a rating model (``Model/predictsRatings``);
    /// nil for a ranking model, whose scores are not ratings.
    public let predictedRating: Float?

    /// A recommendation of dense item `item`, its raw ID from `itemIDs` (the index without one).
    init(item: Int32, itemIDs: ItemIDMap?, score: Float, predictsRatings: Bool) {
        self.item = ItemIndex(item)
        rawItemID = itemIDs?.rawID(atChecked: item) ?? .integer(Int64(item))
        self.score = score
        predictedRating = predictsRatings ? score : nil
    }

    private init(item: ItemIndex, rawItemID: RawID, score: Float, predictedRating: Float?) {
        self.item = item; self.rawItemID = rawItemID; self.score = score; self.predictedRating = predictedRating
    }

    /// The same item with a predicted rating other than its score (the popularity fallback's).
    func withPredictedRating(_ rating: Float) -> Recommendation {
        Recommendation(item: item, rawItemID: rawItemID, score: score, predictedRating: rating)
    }
}

/// Options for a top-K request.
public struct RecommendationOptions: Sendable, Hashable {
    /// How many items to return (> 0). Larger than the catalogue returns all that remain.
    public var k: Int
    /// Leave out items the user rated in the training data (the default).
    public var excludeRated: Bool = true
    /// Further items to leave out for every user.
    public var excludedItems: [ItemIndex] = []
    /// When set, only these items are considered.
    public var allowedItems: [ItemIndex]? = nil

    /// Options for the `k` best items; the other settings default to "every unrated item".
    public init(k: Int, excludeRated: Bool = true, excludedItems: [ItemIndex] = [], allowedItems: [ItemIndex]? = nil) {
        self.k = k; self.excludeRated = excludeRated
        self.excludedItems = excludedItems; self.allowedItems = allowedItems
    }
}

/// Top-K recommendation over the whole catalogue for one user, many users or all users.
///
/// Scores come from the model's catalogue scorer: a block of users against one tile of items
/// at a time (for the dot-product family a matrix product whose scores below each user's K-th
/// best are dropped before they are stored), then each row's K best so far. Workers take
/// blocks in parallel; each holds one `blockSize × tileSize` score tile, the block's user rows
/// and lists (plus the model scorer's per-tile scratch, e.g. ConcatMLP's hidden layer), never
/// `users × items`. Ties break by the lower item index. A scorer is immutable and safe to use
/// from many threads at once.
///
/// ```swift
/// let scorer = try TopKScorer(model: model, training: split.train)
/// let top10 = try scorer.recommend(user: 0, options: .init(k: 10))
/// ```
public struct TopKScorer: Sendable {
    let scorer: any CatalogueScorer
    let seen: UserItemIndex?
    let itemIDs: ItemIDMap?
    /// Whether the model's scores are predicted ratings.
    let predictsRatings: Bool

    /// How a catalogue is scored for a block of users.
    public enum ScoringPath: String, Sendable {
        /// The model's own kernels (the built-in models).
        case builtIn
        /// One matrix product of the user rows by the item rows (a ``FactorizedModel``).
        case factors
        /// ``Model/score(users:items:into:)`` over every pair (any other model).
        case pairwise
    }

    /// The path this scorer takes.
    public var scoringPath: ScoringPath {
        switch scorer {
        case is PredictionScorer: return .pairwise
        case let dot as DotProductScorer where dot.fromFactors: return .factors
        default: return .builtIn
        }
    }
    /// Users per scoring block.
    public let blockSize: Int
    /// Items per scoring tile: a block × tile of scores is produced and selected from while it
    /// is still in cache.
    public let tileSize: Int
    /// Threads used for many-user requests.
    public let parallelism: Parallelism
    /// Users the model knows.
    public let userCount: Int
    /// Items in the catalogue.
    public var itemCount: Int { scorer.itemCount }

    /// Creates a scorer for `model`.
    ///
    /// - Parameters:
    ///   - model: the trained model.
    ///   - training: the training data; its ratings are what ``RecommendationOptions/excludeRated``
    ///     leaves out, and its item ID map gives ``Recommendation/rawItemID``.
    ///   - blockSize: users scored together (one matrix product per block and item tile).
    ///   - tileSize: items per tile (memory: blockSize × tileSize floats per worker); at most
    ///     what the model's scorer works well with (EASE: 256, so that B's rows for a tile stay
    ///     in cache).
    ///   - parallelism: workers, each taking whole blocks of users.
    /// - Throws: ``DatasetError/mismatchedSpace(_:)`` when `training` is of another item space
    ///   than the model (a different item count) or has users the model does not.
    public init(
        model: any Model, training: RatingsDataset? = nil, blockSize: Int = 512, tileSize: Int = 1024,
        parallelism: Parallelism = .automatic
    ) throws {
        if let training { try Self.requireSameSpace(model, training) }
        self.init(scorer: try catalogueScorer(for: model), userCount: model.userCount, predictsRatings: model.predictsRatings, seen: training?.itemsByUser(),
                  itemIDs: training?.itemIDs, blockSize: blockSize, tileSize: tileSize, parallelism: parallelism)
    }

    /// The same scorer with other workers.
    func with(parallelism: Parallelism) -> TopKScorer {
        guard parallelism != self.parallelism else { return self }
        return TopKScorer(scorer: scorer, userCount: userCount, predictsRatings: predictsRatings, seen: seen, itemIDs: itemIDs,
                          blockSize: blockSize, tileSize: tileSize, parallelism: parallelism)
    }

    /// A scorer from parts already checked against the model (a ``Recommender``'s).
    init(scorer: any CatalogueScorer, userCount: Int, predictsRatings: Bool, seen: UserItemIndex?, itemIDs: ItemIDMap?, blockSize: Int = 512,
         tileSize: Int = 1024, parallelism: Parallelism = .automatic) {
        self.tileSize = max(8, min(tileSize, scorer.maximumTileSize ?? tileSize))
        self.scorer = scorer
        self.seen = seen
        self.itemIDs = itemIDs
        self.blockSize = max(1, blockSize)
        self.parallelism = parallelism
        self.userCount = userCount
        self.predictsRatings = predictsRatings
    }

    /// The 64-bit words of one row's group flags for a tile of `items` items (a bit per 16;
    /// ``CatalogueScorer/filteredRankingScores(userRows:count:items:thresholds:into:hits:arena:)``).
    static func hitWords(items: Int) -> Int { ((items + 15) / 16 + 63) / 64 }

    /// Throws unless `data` indexes the model's items exactly and no user beyond the model's.
    static func requireSameSpace(_ model: any Model, _ data: RatingsDataset) throws {
        guard data.itemCount == model.itemCount else {
            throw DatasetError.mismatchedSpace(
                "the training data has \(data.itemCount) items, \(model.summary) has \(model.itemCount)")
        }
        guard data.userCount <= model.userCount else {
            throw DatasetError.mismatchedSpace(
                "the training data has \(data.userCount) users, \(model.summary) only \(model.userCount)")
        }
    }

    /// The top K items for one user.
    /// - Throws: ``RecommenderError/invalidK(_:)`` for K ≤ 0,
    ///   ``RecommenderError/indexOutOfRange(what:index:count:)`` for an unknown user or item.
    public func recommend(user: UserIndex, options: RecommendationOptions) throws -> [Recommendation] {
        try recommend(users: [user], options: options)[0]
    }

    /// The top K items for each of `users`, in the same order.
    public func recommend(users: [UserIndex], options: RecommendationOptions) throws -> [[Recommendation]] {
        let result = try recommendFlat(users: users, options: options)
        return (0..<users.count).map { result.recommendations(forRow: $0, itemIDs: itemIDs) }
    }

    /// The top K items for every user, as flat arrays (`users × K`, padded with −1 where fewer
    /// than K items remain). This is the fast path for evaluation and batch jobs.
    public func recommendAll(options: RecommendationOptions) throws -> TopKResult {
        try recommendFlat(users: (0..<Int32(userCount)).map(UserIndex.init), options: options)
    }

    /// The top K for `users` as flat arrays. Each worker holds at most `blockSize` users by
    /// `tileSize` items of scores, however many users are asked for: never users × items.
    public func recommendFlat(users requested: [UserIndex], options: RecommendationOptions) throws -> TopKResult {
        guard options.k > 0 else { throw RecommenderError.invalidK(options.k) }
        for u in requested where u.position < 0 || u.offset >= userCount {
            throw RecommenderError.indexOutOfRange(what: "user", index: u.offset, count: userCount)
        }
        let n = itemCount
        for i in options.excludedItems + (options.allowedItems ?? []) where i.position < 0 || i.offset >= n {
            throw RecommenderError.indexOutOfRange(what: "item", index: i.offset, count: n)
        }
        let users = requested.map(\.position)
        let k = min(options.k, n)
        let allowed = options.allowedItems.map { Array(Set($0.map(\.position))).sorted() }
        let excluded = Array(Set(options.excludedItems.map(\.position))).sorted()
        var items = [Int32](repeating: -1, count: users.count * k)
        var scores = [Float](repeating: -.infinity, count: users.count * k)
        let blocks = (users.count + blockSize - 1) / blockSize
        let workers = max(1, min(parallelism.threads, blocks))
        // Decided by the configuration, not the request's size: a block is then computed the same
        // way whether it is one of many or alone (a shard of one block), bit for bit.
        if parallelism.threads > 1 { BLASThreading.useSingleThreadedBLAS() }
        let seen = options.excludeRated ? self.seen : nil
        let blockSize = self.blockSize, tileSize = min(self.tileSize, n)
        let scorer = self.scorer
        let width = scorer.userRowWidth
        // The scorer's own filter needs tiles that start at its 16-item groups, and every item
        // offered (an allow list reads scores at any item).
        let filtering = scorer.filtersScores && allowed == nil && self.tileSize % 16 == 0
        let hitWords = Self.hitWords(items: tileSize)
        users.withUnsafeBufferPointer { userBuffer in
            items.withUnsafeMutableBufferPointer { itemOut in
                scores.withUnsafeMutableBufferPointer { scoreOut in
                    let io = itemOut.baseAddress!, so = scoreOut.baseAddress!
                    let ub = userBuffer.baseAddress!
                    parallelFor(workers) { w in
                        let arena = ScratchArena(capacity: min(blockSize, users.count) * width + 1024)
                        // Scores land in a buffer that is all zeros between tiles (each row is
                        // cleared once selected, while it is still in L1), so scorers may
                        // accumulate instead of clearing it first.
                        let tileCapacity = min(blockSize, users.count) * tileSize
                        let tile = UnsafeMutablePointer<Float>.allocate(capacity: tileCapacity)
                        tile.initialize(repeating: 0, count: tileCapacity)
                        defer { tile.deallocate() }
                        let lists = TopKLists(k: k, rows: min(blockSize, users.count))
                        var cursors = [Int](repeating: 0, count: lists.rows)
                        let hits = UnsafeMutablePointer<UInt64>.allocate(capacity: filtering ? lists.rows * hitWords : 0)
                        defer { hits.deallocate() }
                        for b in stride(from: w, to: blocks, by: workers) {
                            let first = b * blockSize, count = min(blockSize, users.count - first)
                            lists.reset(rows: count)
                            let rows = arena.take(count * width)
                            for r in 0..<count {
                                scorer.copyUserRow(ub[first + r], into: rows + r * width)
                                if let seen {
                                    let u = Int(ub[first + r])
                                    cursors[r] = u < seen.userCount ? seen.offsets[u] : 0
                                }
                            }
                            var excludedCursor = 0, allowedCursor = 0
                            for tileStart in stride(from: 0, to: n, by: tileSize) {
                                let tileEnd = min(n, tileStart + tileSize), m = tileEnd - tileStart
                                let words = Self.hitWords(items: m)
                                if filtering {
                                    lists.withThresholds { thresholds in
                                        scorer.filteredRankingScores(userRows: rows, count: count, items: tileStart..<tileEnd,
                                                                     thresholds: thresholds, into: tile, hits: hits, arena: arena)
                                    }
                                } else {
                                    scorer.rankingScores(userRows: rows, count: count, items: tileStart..<tileEnd,
                                                         intoZeroed: tile, arena: arena)
                                }
                                // Items excluded for everyone, within this tile.
                                let excludedStart = excludedCursor
                                while excludedCursor < excluded.count && Int(excluded[excludedCursor]) < tileEnd { excludedCursor += 1 }
                                let allowedStart = allowedCursor
                                if let allowed {
                                    while allowedCursor < allowed.count && Int(allowed[allowedCursor]) < tileEnd { allowedCursor += 1 }
                                }
                                for r in 0..<count {
                                    let row = tile + r * m
                                    // Marking a group the filter dropped is harmless: it is not read.
                                    if let seen {
                                        let u = Int(ub[first + r])
                                        if u < seen.userCount {
                                            var c = cursors[r]
                                            let end = seen.offsets[u + 1]
                                            while c < end && Int(seen.items[c]) < tileEnd {
                                                row[Int(seen.items[c]) - tileStart] = -.infinity
                                                c += 1
                                            }
                                            cursors[r] = c
                                        }
                                    }
                                    for j in excludedStart..<excludedCursor { row[Int(excluded[j]) - tileStart] = -.infinity }
                                    if filtering {
                                        // Only the groups the kernel kept: the others hold no score above the
                                        // row's threshold at the tile's start, which only rises.
                                        for word in 0..<words {
                                            var bits = hits[r * words + word]
                                            while bits != 0 {
                                                let group = word * 64 + bits.trailingZeroBitCount
                                                bits &= bits &- 1
                                                let start = group * 16
                                                lists.offerGroup(row: r, values: row + start, n: min(16, m - start),
                                                                 firstItem: tileStart + start)
                                            }
                                        }
                                    } else if let allowed {
                                        lists.offer(row: r, values: row, candidates: allowed[allowedStart..<allowedCursor],
                                                    firstItem: tileStart)
                                        row.update(repeating: 0, count: m)
                                    } else {
                                        lists.offer(row: r, values: row, n: m, firstItem: tileStart)
                                        row.update(repeating: 0, count: m)
                                    }
                                }
                            }
                            for r in 0..<count {
                                let out = (first + r) * k
                                for (j, win) in lists.winners(row: r).enumerated() {
                                    io[out + j] = win.item; so[out + j] = win.score
                                }
                            }
                            arena.reset()
                        }
                    }
                }
            }
        }
        return TopKResult(k: k, users: requested, items: items, rankingScores: scores, scorer: scorer, predictsRatings: predictsRatings)
    }
}

/// Top-K results for many users as flat `users × k` arrays.
public struct TopKResult: Sendable {
    /// Items per user (K, capped at the catalogue size).
    public let k: Int
    /// The users, in request order.
    public let users: [UserIndex]
    /// Item indices, row r = users[r], best first; −1 pads rows with fewer than K items.
    public let items: [Int32]
    /// The model's ranking scores aligned with ``items`` (non-decreasing in the model's score).
    public let rankingScores: [Float]
    let scorer: any CatalogueScorer
    /// Whether the model's scores are predicted ratings.
    let predictsRatings: Bool

    /// The items recommended to the user in row `row` (without padding).
    public func items(forRow row: Int) -> ArraySlice<Int32> {
        let slice = items[(row * k)..<((row + 1) * k)]
        if let end = slice.firstIndex(of: -1) { return slice[..<end] }
        return slice
    }

    /// The model's score of entry `j` of row `row` (its predicted rating for a rating model).
    public func score(row: Int, rank j: Int) -> Float {
        scorer.score(fromRankingScore: rankingScores[row * k + j], item: items[row * k + j])
    }

    func recommendations(forRow row: Int, itemIDs: ItemIDMap?) -> [Recommendation] {
        items(forRow: row).enumerated().map { j, item in
            Recommendation(item: item, itemIDs: itemIDs, score: score(row: row, rank: j), predictsRatings: predictsRatings)
        }
    }
}
