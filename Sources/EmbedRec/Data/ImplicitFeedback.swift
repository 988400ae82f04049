/// Implicit feedback: which items each user interacted with (rated, read, shelved) and how
/// strongly, for the top-N models (``EASE``, ``ImplicitALS``) and the ranking losses.
///
/// Every kept rating is a positive; a rating below the threshold given to
/// ``init(ratings:threshold:weighting:)`` is dropped. Each positive's
/// weight comes from ``InteractionWeighting``: 1, the rating itself, a weight per rating level,
/// or the number of times the pair occurs (a play or read count). The user and item ID maps
/// are the rating data's, so a model fitted here is scored, recommended from and saved with the
/// same maps.
public struct ImplicitFeedback: Sendable {
    /// Raw user IDs ⇄ user rows.
    public let userIDs: UserIDMap
    /// Raw item IDs ⇄ item rows.
    public let itemIDs: ItemIDMap
    /// Each user's positives, items ascending, with their weights in ``UserItemIndex/ratings``.
    public let interactions: UserItemIndex
    /// Positives per item (how popular each item is here).
    public let itemCounts: [Int]

    /// The number of users.
    public var userCount: Int { userIDs.count }
    /// The number of items.
    public var itemCount: Int { itemIDs.count }
    /// The number of positives.
    public var count: Int { interactions.items.count }

    /// Positives from ratings.
    ///
    /// - Parameters:
    ///   - data: the ratings; every kept one is a positive.
    ///   - threshold: keep only ratings ≥ this (nil keeps all).
    ///   - weighting: the weight of each positive.
    /// - Throws: ``DatasetError/invalidArgument(_:)`` for a non-finite threshold,
    ///   ``ConfigurationError/invalidSetting(_:)`` for level weights that are negative or not finite.
    /// - Complexity: O(n log n) for the per-user sort.
    public init(ratings data: RatingsDataset, threshold: Float? = nil, weighting: InteractionWeighting = .binary) throws {
        try self.init(rated: data.itemsByUser(), userIDs: data.userIDs, itemIDs: data.itemIDs,
                      threshold: threshold, weighting: weighting)
    }

    /// Positives from rated lists (a ``Recommender``'s, or a dataset's ``RatingsDataset/itemsByUser()``).
    init(rated: UserItemIndex, userIDs: UserIDMap, itemIDs: ItemIDMap, threshold: Float?, weighting: InteractionWeighting) throws {
        interactions = try Self.positives(of: rated, userCount: userIDs.count, threshold: threshold, weighting: weighting)
        itemCounts = RatingsDataset.occurrences(of: interactions.items, among: itemIDs.count)
        self.userIDs = userIDs; self.itemIDs = itemIDs
    }

    /// The positives of rated lists: ratings below `threshold` dropped, weights from `weighting`.
    static func positives(of rated: UserItemIndex, userCount: Int, threshold: Float?,
                          weighting: InteractionWeighting) throws -> UserItemIndex {
        if let threshold, !threshold.isFinite { throw DatasetError.invalidArgument("threshold must be finite, got \(threshold)") }
        try weighting.validate()
        // The lists are sorted by item within each user. A pair that occurs more than once
        // becomes one positive: weights add for `.count`, otherwise the largest weight wins.
        var offsets = [Int](repeating: 0, count: userCount + 1)
        var items: [Int32] = [], weights: [Float] = []
        items.reserveCapacity(rated.items.count); weights.reserveCapacity(rated.items.count)
        for u in 0..<rated.userCount {
            var previous: Int32 = -1
            for k in rated.offsets[u]..<rated.offsets[u + 1] {
                let rating = rated.ratings[k]
                if let threshold, rating < threshold { continue }
                let item = rated.items[k], weight = weighting.weight(forRating: rating)
                // `.rating` on a scale below zero would give negative confidences.
                guard weight.isFinite, weight >= 0 else {
                    throw DatasetError.invalidArgument("interaction weights must be finite and ≥ 0; rating \(rating) gives \(weight)")
                }
                if item == previous {
                    if case .count = weighting { weights[weights.count - 1] += weight }
                    else { weights[weights.count - 1] = max(weights[weights.count - 1], weight) }
                    continue
                }
                items.append(item); weights.append(weight)
                previous = item
            }
            offsets[u + 1] = items.count
        }
        for u in rated.userCount..<max(rated.userCount, userCount) { offsets[u + 1] = items.count }
        return UserItemIndex(uncheckedOffsets: offsets, items: items, ratings: weights)
    }

    /// Draws `count` negatives for `user`: items the user has no positive for, uniformly or in
    /// proportion to their positive counts (``NegativeSampling``), through the library's seeded
    /// generator. Returns fewer only when the user has a positive for every item.
    public func sampleNegatives(
        for user: UserIndex, count: Int, sampling: NegativeSampling = .uniform, generator: inout SeededGenerator
    ) -> [ItemIndex] {
        let positives = interactions.items(of: user)
        guard positives.count < itemCount, count > 0 else { return [] }
        var out: [ItemIndex] = []
        out.reserveCapacity(count)
        let sampler = NegativeSampler(itemCounts: itemCounts, sampling: sampling)
        var attempts = 0
        while out.count < count && attempts < 64 * count {
            attempts += 1
            let item = sampler.draw(&generator)
            if !Self.contains(positives, item) { out.append(ItemIndex(item)) }
        }
        // A user with positives for nearly every item: draw from the complement directly.
        if out.count < count {
            let complement = (0..<Int32(itemCount)).filter { !Self.contains(positives, $0) }
            while out.count < count { out.append(ItemIndex(complement[generator.nextInt(below: complement.count)])) }
        }
        return out
    }

    /// Binary search in a user's sorted positives.
    static func contains(_ sorted: ArraySlice<Int32>, _ item: Int32) -> Bool {
        var lo = sorted.startIndex, hi = sorted.endIndex
        while lo < hi {
            let mid = (lo + hi) / 2
            if sorted[mid] < item { lo = mid + 1 } else { hi = mid }
        }
        return lo < sorted.endIndex && sorted[lo] == item
    }
}

/// How strongly a rating counts as a positive.
public enum InteractionWeighting: Sendable, Hashable, Codable {
    /// Every positive weighs 1.
    case binary
    /// The rating itself.
    case rating
    /// A weight per rating level: `weights[k]` for ratings in `[k + 1, k + 2)` on a 1–5 scale
    /// (ratings below 1 take the first weight, above 5 the last). The tuned EASE preset weighs
    /// low ratings less than high ones: a 2★ book still says what the reader looks at.
    case levels([Float])
    /// The number of times the (user, item) pair occurs (each occurrence weighs 1).
    case count
    /// `log(1 + value)`, for a value that is a count (plays, clicks: ``RatingsFileFormat/Values/counts``):
    /// a thousand plays weigh about three times ten, not a hundred times.
    case logarithm

    func weight(forRating r: Float) -> Float {
        switch self {
        case .binary, .count: return 1
        case .rating: return r
        case .logarithm: return Float.log(onePlus: max(0, r))
        case .levels(let w):
            let k = Int(max(0, min(Float(w.count - 1), (r - 1).rounded(.down))))
            return w[k]
        }
    }

    /// A few words for a summary: `binary`, `log(1 + value)`, …
    public var summary: String {
        switch self {
        case .binary: return "binary"
        case .rating: return "by rating"
        case .levels(let w): return "levels \(w.map { "\($0)" }.joined(separator: "/"))"
        case .count: return "by count"
        case .logarithm: return "log(1 + value)"
        }
    }

    func validate() throws {
        if case .levels(let w) = self {
            guard !w.isEmpty, w.allSatisfy({ $0.isFinite && $0 >= 0 }) else {
                throw ConfigurationError.invalidSetting("level weights must be finite and ≥ 0, got \(w)")
            }
        }
    }
}

/// Where negatives for the ranking losses come from.
public enum NegativeSampling: Sendable, Hashable, Codable {
    /// Every item equally likely.
    case uniform
    /// Items in proportion to their positive counts plus one (popular items are harder
    /// negatives; the one keeps items nobody chose drawable).
    case popularity
}

/// Draws item indices uniformly or by popularity (alias-free: a binary search in the
/// cumulative counts).
struct NegativeSampler: Sendable {
    let cumulative: [Int]
    let itemCount: Int
    let uniform: Bool

    init(itemCounts: [Int], sampling: NegativeSampling) {
        itemCount = itemCounts.count
        uniform = sampling == .uniform
        var running = 0
        cumulative = uniform ? [] : itemCounts.map { running += $0 + 1; return running }
    }

    func draw(_ rng: inout SeededGenerator) -> Int32 {
        if uniform { return Int32(rng.nextInt(below: itemCount)) }
        let target = rng.nextInt(below: cumulative.last!)
        var lo = 0, hi = cumulative.count - 1
        while lo < hi {
            let mid = (lo + hi) / 2
            if cumulative[mid] > target { hi = mid } else { lo = mid + 1 }
        }
        return Int32(lo)
    }
}
