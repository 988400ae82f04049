import EmbedRecKernels

/// The built-in models' pointer-level interface (not public API): the scorers and fold-in take
/// it when a model has it, and the public ``Model`` requirements otherwise.
protocol KernelModel: Model {
    /// Scores `count` (user, item) pairs into `output`. Indices must be valid.
    func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena)

    /// Creates a scorer that ranks every item for blocks of users.
    func makeCatalogueScorer() -> any CatalogueScorer

    /// The same, allowed to read the model's tables in place instead of copying them when
    /// `sharingTables` is true: only for a model that will not be trained again.
    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer
}

/// The built-in trainable models' pointer-level training step: the trainer takes it when a
/// model has it, and ``TrainableModel/trainStep(_:_:)`` otherwise.
protocol KernelTrainableModel: KernelModel, TrainableModel {
    /// ``TrainableModel/trainStep(_:_:)`` on a batch of raw pointers, writing gradient slots directly.
    func trainStep(_ batch: TrainingBatch, _ context: TrainingContext) -> Double
    /// Whether ``trainStep(_:_:)`` applies ``TrainingContext/onlineSGD`` updates itself.
    var trainsOnline: Bool { get }
}

extension KernelTrainableModel {
    var trainsOnline: Bool { false }
}

extension KernelModel {
    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer { makeCatalogueScorer() }
}

extension KernelModel {
    /// The public scoring requirement, through the pointer path.
    func scoreThroughKernel(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        let count = min(users.count, items.count, output.count)
        guard count > 0 else { return }
        let arena = ScratchArena()
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in
                    score(users: u.baseAddress!, items: i.baseAddress!, count: count, into: o.baseAddress!, arena: arena)
                }
            }
        }
    }

}

extension KernelTrainableModel {
    /// The public training requirement, through the pointer path.
    func trainStepThroughKernel(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        batch.users.withUnsafeBufferPointer { u in
            batch.items.withUnsafeBufferPointer { i in
                batch.targets.withUnsafeBufferPointer { r in
                    trainStep(TrainingBatch(users: u.baseAddress!, items: i.baseAddress!, targets: r.baseAddress!,
                                            count: batch.count), context)
                }
            }
        }
    }
}

/// Scores blocks of users against the whole catalogue, for top-K recommendation and fold-in.
///
/// A scorer works on *user rows*: a vector per user in a space of the scorer's choosing (for
/// the dot-product family `[p_u, b_u + μ, 1]`, for ConcatMLP the user embedding). Known users'
/// rows come from the model; a new reader's row comes from ``foldIn(items:ratings:regularization:)``.
/// Ranking scores may be any non-decreasing function of the predicted rating (BiasedMF returns
/// the pre-sigmoid logit); only the K winners are mapped back to ratings with
/// ``score(fromRankingScore:item:)``. With a ReLU output, items whose predicted rating is
/// clamped to 0 are ordered by their pre-activation rather than by index.
protocol CatalogueScorer: Sendable {
    /// Items scored per user.
    var itemCount: Int { get }
    /// Length of one user row.
    var userRowWidth: Int { get }
    /// Copies the row of a known user into `output` (`userRowWidth` floats).
    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>)
    /// Fills `output` (row-major `count × items.count`) with ranking scores of the items in
    /// `items` for `count` user rows (row-major `count × userRowWidth`). Scorers work on item
    /// tiles so a block of scores stays in cache while it is selected from.
    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena)
    /// Like ``rankingScores(userRows:count:items:into:arena:)``, for an `output` the caller
    /// guarantees holds zeros: a scorer may then accumulate into it instead of clearing it
    /// first (sgemm with β = 1 skips OpenBLAS's separate pass that zeroes C, about 12% of
    /// catalogue scoring). The default forwards to the overwriting version.
    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>,
        intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena)
    /// The widest item tile this scorer works well with (nil: any); ``TopKScorer`` takes the
    /// smaller of this and its own tile size.
    var maximumTileSize: Int? { get }
    /// Whether ``filteredRankingScores(userRows:count:items:thresholds:into:hits:arena:)`` is
    /// implemented (false: top-K scores whole tiles and scans them).
    var filtersScores: Bool { get }
    /// Scores a tile like ``rankingScores(userRows:count:items:into:arena:)`` but keeps only
    /// the 16-item groups that can enter a user's top K: group g (items
    /// `items.lowerBound + 16g ..< +16`) of row r is stored, and bit g of the row's hit words
    /// (`hits[r * words + g / 64]`, `words = ⌈⌈items.count / 16⌉ / 64⌉`) set, only when one of
    /// its scores is above `thresholds[r]`; other groups of `output` are left as they were.
    /// `items.lowerBound` is a multiple of 16.
    func filteredRankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>, thresholds: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, hits: UnsafeMutablePointer<UInt64>, arena: ScratchArena)
    /// The predicted rating of `item` given its ranking score.
    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float
    /// False when ``foldIn(items:ratings:regularization:)`` always throws.
    var supportsFoldIn: Bool { get }
    /// Solves for the user row of a reader the model has not seen, from the items they rated
    /// (dense indices, valid and non-empty) and the ratings, with the item side frozen.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float]
}

extension CatalogueScorer {
    var supportsFoldIn: Bool { true }
    var maximumTileSize: Int? { nil }
    var filtersScores: Bool { false }

    func filteredRankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>, thresholds: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, hits: UnsafeMutablePointer<UInt64>, arena: ScratchArena
    ) {
        preconditionFailure("\(Self.self) does not filter its scores")
    }

    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, items: Range<Int>,
        intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        rankingScores(userRows: userRows, count: count, items: items, into: output, arena: arena)
    }

    /// Ranking scores of the whole catalogue for `count` user rows (`count × itemCount`).
    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        rankingScores(userRows: userRows, count: count, items: 0..<itemCount, into: output, arena: arena)
    }

    /// Ranking scores for known users (their rows gathered, then scored).
    func rankingScores(
        users: UnsafePointer<Int32>, count: Int, into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        let w = userRowWidth
        let rows = arena.take(count * w)
        for k in 0..<count { copyUserRow(users[k], into: rows + k * w) }
        rankingScores(userRows: rows, count: count, into: output, arena: arena)
    }
}

