/// One of `count` contiguous parts of a recommender's users, for scoring every user's top-K on
/// many machines. Users go to shards in whole blocks of `alignment` users (the all-users
/// scorer's block, 512 by default): shard `i/n` holds blocks `i·B/n ..< (i+1)·B/n` of the `B`
/// blocks.
///
/// The shards of one `n` are disjoint and together hold every user exactly once, in order.
/// Because a shard starts on a block boundary, every user is scored in the same block of the
/// same computation as in an unsharded run, so concatenating the outputs of shards
/// `0/n … (n−1)/n` gives the unsharded output bit for bit. Shards differ in size by at most
/// one block; with more shards than blocks some are empty.
///
/// ```swift
/// let shard = try UserShard(parsing: "3/8")          // the fourth of eight shards
/// let top = try recommender.recommendAll(k: 10, shard: shard)
/// let rows = recommender.userRange(of: shard)
/// ```
public struct UserShard: Sendable, Hashable, CustomStringConvertible {
    /// Which shard, from 0.
    public let index: Int
    /// How many shards.
    public let count: Int

    /// Every user in one shard.
    public static let all = UserShard(checkedIndex: 0, count: 1)

    /// Shard `index` of `count` (0-based).
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` unless `count ≥ 1` and `0 ≤ index < count`.
    public init(index: Int, count: Int) throws {
        guard count >= 1 else {
            throw ConfigurationError.invalidSetting("shard \(index)/\(count): the shard count must be at least 1")
        }
        guard (0..<count).contains(index) else {
            throw ConfigurationError.invalidSetting(
                "shard \(index)/\(count): the index must be in 0...\(count - 1) (shards count from 0)")
        }
        self.init(checkedIndex: index, count: count)
    }

    /// Reads `i/n`, as `embedrec recommend --all --shard` takes it.
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for text that is not two integers
    ///   around a slash, or an index or count out of range.
    public init(parsing text: String) throws {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, let index = Int(parts[0]), let count = Int(parts[1]) else {
            throw ConfigurationError.invalidSetting("shard \"\(text)\" is not INDEX/COUNT (for example 0/4)")
        }
        try self.init(index: index, count: count)
    }

    private init(checkedIndex index: Int, count: Int) {
        self.index = index; self.count = count
    }

    /// The user rows of this shard among `userCount` users, in whole blocks of `alignment`
    /// users (1: users one by one, as even as possible). Empty when the shard gets no block.
    public func userRange(among userCount: Int, alignment: Int = 1) -> Range<Int> {
        let users = max(0, userCount), block = max(1, alignment)
        let blocks = (users + block - 1) / block
        return min(users, Self.firstBlock(index, of: count, blocks: blocks) * block)
            ..< min(users, Self.firstBlock(index + 1, of: count, blocks: blocks) * block)
    }

    /// ⌊index · blocks / count⌋ for `index ≤ count`, without overflow: index and count may be
    /// anything up to `Int.max`, so the product is taken at double width. The quotient is at
    /// most `blocks`.
    static func firstBlock(_ index: Int, of count: Int, blocks: Int) -> Int {
        let product = index.magnitude.multipliedFullWidth(by: blocks.magnitude)
        return Int(count.magnitude.dividingFullWidth(product).quotient)
    }

    /// The shard as written on the command line, `index/count`.
    public var description: String { "\(index)/\(count)" }
}

extension TopKScorer {
    /// The top K items for each user of `shard`, in user order (see ``UserShard``).
    public func recommendAll(shard: UserShard, options: RecommendationOptions) throws -> TopKResult {
        try recommendFlat(users: userRange(of: shard).map { UserIndex(Int32($0)) }, options: options)
    }

    /// The user rows `shard` holds: whole blocks of ``blockSize`` users, so that each user is
    /// scored exactly as in ``recommendAll(options:)``.
    public func userRange(of shard: UserShard) -> Range<Int> {
        shard.userRange(among: userCount, alignment: blockSize)
    }
}

extension Recommender {
    /// The `k` best items for every user of `shard` (every user by default), leaving out what
    /// each rated, through the batched all-users scorer. Row `r` of the result is user
    /// `result.users[r]`; ``userIDs`` and ``itemIDs`` give the raw IDs.
    ///
    /// The result does not depend on `parallelism` (each block of users is scored alone), so a
    /// batch engine can give each task the cores it was granted.
    ///
    /// - Throws: ``RecommenderError/invalidK(_:)`` for K ≤ 0.
    public func recommendAll(k: Int, shard: UserShard = .all, parallelism: Parallelism = .automatic) throws -> TopKResult {
        try topK.with(parallelism: parallelism).recommendAll(shard: shard, options: .init(k: k))
    }

    /// The user rows (dense indices) `shard` holds in ``recommendAll(k:shard:parallelism:)``.
    public func userRange(of shard: UserShard) -> Range<Int> { topK.userRange(of: shard) }
}
