import Foundation
import RealModule
import EmbedRecKernels

/// A deterministic generator of goodbooks-shaped ratings from a planted biased low-rank model.
///
/// Ratings are `clamp(round(μ + b_u + b_i + p_u·q_i + ε), min, max)` with Gaussian biases,
/// factors and noise, so a model that learns beats the global mean by a clear margin (the
/// noise sets the floor). Item popularity follows a Zipf-like law and user activity a
/// log-normal one, clamped, like the real goodbooks-10k data. The same configuration gives the
/// same dataset on every platform and for every thread count.
///
/// ```swift
/// let data = try SyntheticRatings.generate(.goodbooks())      // 53,424 × 10,000, 981,756 ratings
/// let small = try SyntheticRatings.generate(.init(users: 500, items: 300, ratings: 20_000))
/// ```
public enum SyntheticRatings {
    /// What to generate.
    public struct Configuration: Sendable, Hashable {
        /// Number of users (> 0).
        public var users: Int
        /// Number of items (> 0).
        public var items: Int
        /// Number of ratings to generate (at most items/2 per user).
        public var ratings: Int
        /// Rank of the planted interaction model.
        public var rank: Int = 4
        /// Global mean μ before rounding.
        public var globalMean: Double = 3.85
        /// Standard deviation of the user biases.
        public var userBiasStd: Double = 0.35
        /// Standard deviation of the item biases.
        public var itemBiasStd: Double = 0.30
        /// Standard deviation of the planted dot product `p_u·q_i`.
        public var interactionStd: Double = 0.8
        /// Standard deviation of the rating noise ε.
        public var noiseStd: Double = 0.4
        /// Zipf exponent of item popularity.
        public var popularityExponent: Double = 0.9
        /// The lowest rating (integer stars).
        public var minRating: Int = 1
        /// The highest rating (integer stars).
        public var maxRating: Int = 5
        /// Seed: the same configuration gives the same data on every platform.
        public var seed: UInt64 = 42
        /// β, how much taste drives what a reader picks: a reader rates a book with probability
        /// ∝ popularity × exp(β · planted affinity p_u·q_i). 0 (the default) picks by popularity
        /// alone, independent of taste — the rating benchmarks' data; ranking needs β > 0.
        public var exposure: Double = 0
        /// Groups of items that share planted factors (e.g. books of one author or series, from
        /// ``itemGroups(catalog:items:)``): item i's factor is `√s · g_group + √(1 − s) · e_i`
        /// with s = ``groupFactorShare``. Nil: every item has its own factor.
        public var itemGroups: [Int]? = nil
        /// s, the share of an item's planted factor that comes from its group (0...1).
        public var groupFactorShare: Double = 0.8
        /// The chance that a reader who picks a book of a group (a series, an author) picks
        /// another book of the same group next, as readers go on with a series (0...1; used
        /// with ``itemGroups`` only).
        public var groupContinuation: Double = 0
        /// Item k is the k-th most popular (goodbooks numbers its books by ratings count), instead
        /// of a seeded random popularity order.
        public var popularityFollowsIDs: Bool = false

        /// A configuration with the default rank, biases, noise and popularity law.
        ///
        /// - Parameters: users, items and ratings to generate; ratings must not exceed
        ///   `users × items` (checked by ``SyntheticRatings/generate(_:parallelism:)``).
        public init(users: Int, items: Int, ratings: Int, seed: UInt64 = 42) {
            self.users = users; self.items = items; self.ratings = ratings; self.seed = seed
        }

        /// The shape of goodbooks-10k: 53,424 users, 10,000 books, 981,756 ratings × `scale`
        /// (6 ≈ the later 5.98M-rating release, 20 for stress tests). A scale that is not a
        /// positive finite number gives zero ratings, which ``SyntheticRatings/generate(_:parallelism:)``
        /// rejects with an error.
        public static func goodbooks(scale: Double = 1, seed: UInt64 = 42) -> Configuration {
            let ratings = scale.isFinite && scale > 0 ? Int(min(981_756 * scale, 1e15).rounded()) : 0
            return Configuration(users: 53_424, items: 10_000, ratings: ratings, seed: seed)
        }

        /// Goodbooks-shaped ratings where what a reader reads follows taste (exposure β = 4), for
        /// top-N models and the demo. With the books' catalogue (goodbooks books.csv), books of
        /// one series or author share planted factors, a reader goes on to another book of the
        /// same group with chance 0.5, and popularity follows the book IDs, as in goodbooks.
        public static func goodbooksReading(scale: Double = 1, catalog: ItemCatalog? = nil, seed: UInt64 = 42) -> Configuration {
            var c = goodbooks(scale: scale, seed: seed)
            c.exposure = 4
            if let catalog {
                c.itemGroups = SyntheticRatings.itemGroups(catalog: catalog, items: c.items)
                c.groupContinuation = 0.5
                c.popularityFollowsIDs = true
            }
            return c
        }
    }

    /// Generates the dataset. Raw IDs are 1-based (`user_id` 1…users, `book_id` 1…items) and
    /// rows come grouped by user.
    ///
    /// - Throws: ``DatasetError/invalidArgument(_:)`` for non-positive sizes, a rank below 1,
    ///   a rating scale with min ≥ max, more than 90% of the user–item pairs, or more ratings
    ///   than fit when each user rates at most half the items.
    /// - Complexity: O(ratings · rank), parallel over blocks of users.
    public static func generate(
        _ config: Configuration, parallelism: Parallelism = .automatic
    ) throws -> RatingsDataset {
        let users = config.users, items = config.items
        guard users > 0, items > 0, config.ratings > 0, config.rank > 0 else {
            throw DatasetError.invalidArgument("users, items, ratings and rank must be positive")
        }
        guard config.exposure.isFinite, config.exposure >= 0, (0...1).contains(config.groupFactorShare),
              (0...1).contains(config.groupContinuation) else {
            throw DatasetError.invalidArgument("exposure must be finite and ≥ 0, groupFactorShare and groupContinuation in 0...1")
        }
        if let groups = config.itemGroups, groups.count != items || groups.contains(where: { $0 < 0 }) {
            throw DatasetError.invalidArgument("itemGroups needs one group index ≥ 0 per item (\(items)), got \(groups.count)")
        }
        guard config.minRating < config.maxRating else {
            throw DatasetError.invalidArgument("minRating must be below maxRating")
        }
        guard Double(config.ratings) <= Double(users) * Double(items) * 0.9 else {
            throw DatasetError.invalidArgument("\(config.ratings) ratings do not fit in \(users) × \(items) pairs at ≤ 90% density")
        }
        // Dense indices are Int32: 2³¹ users or items cannot be indexed. And the planted factors
        // and the columns must fit in memory; both fail here, before anything is allocated.
        let indexLimit = Int(Int32.max)
        guard users <= indexLimit, items <= indexLimit, config.ratings <= indexLimit else {
            throw DatasetError.invalidArgument(
                "\(users) users, \(items) items and \(config.ratings) ratings: each must be at most \(indexLimit) (32-bit indices)")
        }
        let bytes = (Double(users) + Double(items)) * Double(config.rank + 2) * 4 + Double(config.ratings) * 16
        let memory = Double(ProcessInfo.processInfo.physicalMemory)
        guard bytes <= memory / 2 else {
            throw DatasetError.invalidArgument(String(
                format: "generating this data needs %.1f GiB, more than half this machine's %.1f GiB of memory",
                bytes / 1_073_741_824, memory / 1_073_741_824))
        }
        var rng = SeededGenerator(seed: config.seed)
        let rank = config.rank
        let factorStd = (config.interactionStd / Double(rank).squareRoot()).squareRoot()
        let p = (0..<users * rank).map { _ in Float(rng.nextNormal() * factorStd) }
        var q = (0..<items * rank).map { _ in Float(rng.nextNormal() * factorStd) }
        if let groups = config.itemGroups {
            // Group factors come from their own generator, so every other draw stays as it was.
            var groupRNG = SeededGenerator(seed: config.seed ^ 0x6772_6F75_7073)
            let groupCount = (groups.max() ?? 0) + 1
            let g = (0..<groupCount * rank).map { _ in Float(groupRNG.nextNormal() * factorStd) }
            let a = Float(config.groupFactorShare.squareRoot()), b = Float((1 - config.groupFactorShare).squareRoot())
            for i in 0..<items { for f in 0..<rank { q[i * rank + f] = a * g[groups[i] * rank + f] + b * q[i * rank + f] } }
        }
        let bu = (0..<users).map { _ in Float(rng.nextNormal() * config.userBiasStd) }
        // Popular items rate a little higher, as in real catalogues.
        var popularityRank = Array(0..<items)
        rng.shuffle(&popularityRank)
        if config.popularityFollowsIDs { popularityRank = Array(0..<items) }
        // Each item's fellow group members, for continuation (empty for singletons).
        var groupMembers: [[Int32]] = []
        var groupOf: [Int] = []
        if let groups = config.itemGroups, config.groupContinuation > 0 {
            var byGroup: [Int: [Int32]] = [:]
            for (i, g) in groups.enumerated() { byGroup[g, default: []].append(Int32(i)) }
            groupOf = groups
            groupMembers = (0..<((groups.max() ?? 0) + 1)).map { byGroup[$0].map { $0.count > 1 ? $0 : [] } ?? [] }
        }
        let continuation = config.groupContinuation
        let weights = popularityRank.map { 1 / Double.pow(Double($0) + 10, config.popularityExponent) }
        let bi = (0..<items).map { i in
            Float(rng.nextNormal() * config.itemBiasStd + 0.15 * (0.5 - Double(popularityRank[i]) / Double(items)))
        }
        let alias = AliasTable(weights: weights)
        let counts = activityCounts(config, &rng)

        var offsets = [Int](repeating: 0, count: users + 1)
        for u in 0..<users { offsets[u + 1] = offsets[u] + counts[u] }
        let total = offsets[users]
        // Each user rates between 2 and half the items, so very sparse or dense requests cannot
        // always be met.
        guard total == config.ratings else {
            throw DatasetError.invalidArgument(total > config.ratings
                ? "\(config.ratings) ratings are too few for \(users) users rating at least 2 items each; at least \(total)"
                : "\(config.ratings) ratings do not fit in \(users) × \(items) pairs with the per-user cap; at most \(total)")
        }
        var outUsers = [Int64](repeating: 0, count: total)
        var outItems = [Int64](repeating: 0, count: total)
        var outRatings = [Float](repeating: 0, count: total)
        let blockSize = 1024
        let blocks = (users + blockSize - 1) / blockSize
        let base = rng
        let lo = Float(config.minRating), hi = Float(config.maxRating), mu = Float(config.globalMean)
        let noise = config.noiseStd
        let beta = Float(config.exposure)
        // Rejection sampling from popularity: accept item i with exp(β (p_u·q_i − bound_u)), where
        // bound_u = ‖p_u‖ · max‖q_i‖ ≥ every affinity of u (Cauchy–Schwarz).
        var largestItemNorm: Float = 0
        for i in 0..<items {
            var n: Float = 0
            for f in 0..<rank { n += q[i * rank + f] * q[i * rank + f] }
            largestItemNorm = max(largestItemNorm, n.squareRoot())
        }
        outUsers.withUnsafeMutableBufferPointer { ou in
            outItems.withUnsafeMutableBufferPointer { oi in
                outRatings.withUnsafeMutableBufferPointer { orr in
                    let ouB = ou.baseAddress!, oiB = oi.baseAddress!, orB = orr.baseAddress!
                    let workers = min(parallelism.threads, blocks)
                    parallelFor(workers) { w in
                        var seen = [Int32](repeating: -1, count: items)
                        for block in stride(from: w, to: blocks, by: workers) {
                            var r = base.derived(UInt64(block))
                            for u in (block * blockSize)..<min(users, (block + 1) * blockSize) {
                                var bound: Float = 0
                                if beta > 0 {
                                    for f in 0..<rank { bound += p[u * rank + f] * p[u * rank + f] }
                                    bound = bound.squareRoot() * largestItemNorm
                                }
                                var next = -1
                                for k in offsets[u]..<offsets[u + 1] {
                                    var item = alias.sample(&r)
                                    if next >= 0 {
                                        item = next
                                    } else if beta > 0 {
                                        // At most 10,000 tries, then the last draw stands.
                                        for _ in 0..<10_000 {
                                            if seen[item] != Int32(u) {
                                                var a: Float = 0
                                                for f in 0..<rank { a += p[u * rank + f] * q[item * rank + f] }
                                                if Float(r.nextUnitDouble()) < Float.exp(beta * (a - bound)) { break }
                                            }
                                            item = alias.sample(&r)
                                        }
                                    }
                                    while seen[item] == Int32(u) { item = r.nextInt(below: items) }
                                    seen[item] = Int32(u)
                                    next = -1
                                    if continuation > 0, !groupMembers[groupOf[item]].isEmpty, r.nextUnitDouble() < continuation {
                                        let members = groupMembers[groupOf[item]]
                                        let pick = Int(members[r.nextInt(below: members.count)])
                                        if pick != item && seen[pick] != Int32(u) { next = pick }
                                    }
                                    var dot: Float = 0
                                    for f in 0..<rank { dot += p[u * rank + f] * q[item * rank + f] }
                                    let score = mu + bu[u] + bi[item] + dot + Float(r.nextNormal() * noise)
                                    ouB[k] = Int64(u + 1); oiB[k] = Int64(item + 1)
                                    orB[k] = min(hi, max(lo, score.rounded()))
                                }
                            }
                        }
                    }
                }
            }
        }
        return RawRatings(users: outUsers, items: outItems, ratings: outRatings, timestamps: nil).mapped(parallelism: .automatic)
    }

    /// Groups for ``Configuration/itemGroups`` from a catalogue: item k (raw ID k + 1, as the
    /// generator numbers them) joins the group of its series — the title's `(Series, #n)` —
    /// or, without one, of its first author; items the catalogue lacks get groups of their own.
    public static func itemGroups(catalog: ItemCatalog, items: Int) -> [Int] {
        var names: [String: Int] = [:]
        return (0..<items).map { k in
            guard let item = catalog[rawID: .integer(Int64(k + 1))] else { return names.count + items + k }
            let key: String
            if let open = item.title.lastIndex(of: "("), let hash = item.title[open...].firstIndex(of: "#") {
                key = "series:" + item.title[item.title.index(after: open)..<hash]
                    .trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: ","))
            } else {
                key = "author:" + (item.authors?.split(separator: ",").first.map { $0.trimmingCharacters(in: .whitespaces) } ?? "?\(k)")
            }
            if let g = names[key] { return g }
            names[key] = names.count
            return names.count - 1
        }
    }

    /// Ratings per user: log-normal, clamped to [2, items/2], scaled to sum to `ratings`.
    static func activityCounts(_ config: Configuration, _ rng: inout SeededGenerator) -> [Int] {
        let cap = max(1, min(config.items / 2, max(200, 4 * config.ratings / config.users)))
        let floor = min(2, cap)
        let raw = (0..<config.users).map { _ in Double.exp(0.8 * rng.nextNormal()) }
        let sum = raw.reduce(0, +)
        var counts = raw.map { min(cap, max(floor, Int(($0 / sum * Double(config.ratings)).rounded()))) }
        // Fix the total exactly, adjusting users round-robin within [floor, cap].
        var difference = config.ratings - counts.reduce(0, +)
        var u = 0
        var stalled = 0
        while difference != 0 && stalled <= config.users {
            if difference > 0 && counts[u] < cap { counts[u] += 1; difference -= 1; stalled = 0 }
            else if difference < 0 && counts[u] > floor { counts[u] -= 1; difference += 1; stalled = 0 }
            else { stalled += 1 }
            u = (u + 1) % config.users
        }
        return counts
    }
}

/// Walker's alias method: O(1) sampling from a fixed discrete distribution.
struct AliasTable: Sendable {
    let probability: [Double]
    let alias: [Int]

    init(weights: [Double]) {
        let n = weights.count
        let total = weights.reduce(0, +)
        var scaled = weights.map { $0 * Double(n) / total }
        var probability = [Double](repeating: 1, count: n)
        var alias = Array(0..<n)
        var small = scaled.indices.filter { scaled[$0] < 1 }
        var large = scaled.indices.filter { scaled[$0] >= 1 }
        while let s = small.popLast(), let l = large.last {
            probability[s] = scaled[s]; alias[s] = l
            scaled[l] -= 1 - scaled[s]
            if scaled[l] < 1 { large.removeLast(); small.append(l) }
        }
        self.probability = probability; self.alias = alias
    }

    @inline(__always)
    func sample(_ rng: inout SeededGenerator) -> Int {
        let k = rng.nextInt(below: probability.count)
        return rng.nextUnitDouble() < probability[k] ? k : alias[k]
    }
}
