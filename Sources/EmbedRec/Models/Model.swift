import EmbedRecKernels

/// A rating-prediction model trained on (user, item, rating) triples.
///
/// The trainer (``Trainer``), top-K (``TopKScorer``), similar items, evaluation and the
/// conformance checks of `EmbedRecTestSupport` work through this protocol, so a model written
/// in another module plugs in by conforming:
/// - ``parameters`` lists every trainable tensor by name, with its ``Tensor/Role`` telling the
///   trainer whether it is an embedding table (sparse updates) or a dense weight;
/// - ``predict(users:items:into:)`` predicts ratings for a batch of (user, item) pairs;
/// - ``trainStep(_:_:)`` computes a batch's predictions, asks the context for the loss's
///   gradient and back-propagates it into ``TrainingContext/addGradient(_:parameter:row:)``.
///
/// The built-in models also have a faster pointer-level path that the trainer and the scorers
/// take when it is there; a model without it is scored for top-K through
/// ``predict(users:items:into:)`` over the catalogue, and has no fold-in.
///
/// Models are classes: they own large tables that workers update in place. Conformers must be
/// safe to *read* from several threads at once (prediction, scoring); training is exclusive.
public protocol Model: AnyObject, Sendable {
    /// Users the model has rows for (dense indices `0..<userCount`).
    var userCount: Int { get }
    /// Items the model has rows for (dense indices `0..<itemCount`).
    var itemCount: Int { get }
    /// Every trainable tensor, in a fixed order (gradients are index-aligned with it).
    var parameters: [Tensor] { get }
    /// The range predictions are confined to, when the model has a bounded output.
    var outputRange: ClosedRange<Float>? { get }
    /// A short description of the architecture, e.g. `"BiasedMF(d=50, sigmoid 1...5)"`.
    var summary: String { get }

    /// The most table rows one example touches per sparse parameter (1 for embeddings).
    /// Used to size gradient slots.
    var rowsPerExample: Int { get }

    /// Writes the predicted rating of `(users[k], items[k])` into `output[k]` for every `k`.
    /// The spans have the same length and every index is inside the model (callers check).
    func predict(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>)

    /// One training step: computes the batch's predictions (forward), hands them to
    /// ``TrainingContext/lossGradient(predictions:targets:)`` for ∂loss/∂prediction, and adds
    /// ∂loss/∂θ with ``TrainingContext/addGradient(_:parameter:row:)`` (backward). Returns the
    /// loss's value for the batch. Models contain no loss of their own: the trainer's ``Loss``
    /// decides what is minimised.
    func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double
}

/// The built-in models' pointer-level interface (not public API): the trainer, the scorers and
/// fold-in take it when a model has it, and the public ``Model`` requirements otherwise.
protocol KernelModel: Model {
    /// ``Model/trainStep(_:_:)`` on a batch of raw pointers, writing gradient slots directly.
    func trainStep(_ batch: TrainingBatch, _ context: TrainingContext) -> Double

    /// Predicts ratings for `count` (user, item) pairs into `output`. Indices must be valid.
    func predict(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena)

    /// Creates a scorer that ranks every item for blocks of users.
    func makeCatalogueScorer() -> any CatalogueScorer

    /// The same, allowed to read the model's tables in place instead of copying them when
    /// `sharingTables` is true: only for a model that will not be trained again.
    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer
}

extension KernelModel {
    func makeCatalogueScorer(sharingTables: Bool) -> any CatalogueScorer { makeCatalogueScorer() }
}

extension KernelModel {
    /// The public prediction requirement, through the pointer path.
    func predictThroughKernel(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        let count = min(users.count, items.count, output.count)
        guard count > 0 else { return }
        let arena = ScratchArena()
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { i in
                output.withUnsafeMutableBufferPointer { o in
                    predict(users: u.baseAddress!, items: i.baseAddress!, count: count, into: o.baseAddress!, arena: arena)
                }
            }
        }
    }

    /// The public training requirement, through the pointer path.
    func trainStepThroughKernel(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        batch.users.withUnsafeBufferPointer { u in
            batch.items.withUnsafeBufferPointer { i in
                batch.targets.withUnsafeBufferPointer { r in
                    trainStep(TrainingBatch(users: u.baseAddress!, items: i.baseAddress!, ratings: r.baseAddress!,
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
/// ``predictedRating(rankingScore:item:)``. With a ReLU output, items whose predicted rating is
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
    /// The predicted rating of `item` given its ranking score.
    func predictedRating(rankingScore: Float, item: Int32) -> Float
    /// Solves for the user row of a reader the model has not seen, from the items they rated
    /// (dense indices, valid and non-empty) and the ratings, with the item side frozen.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float]
}

extension CatalogueScorer {
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

extension Model {
    public var rowsPerExample: Int { 1 }

    /// Predicts ratings for (user, item) pairs given as dense indices.
    ///
    /// - Throws: ``ModelError/indexOutOfRange(what:index:count:)`` for an index outside the
    ///   model, ``ModelError/shapeMismatch(_:)`` when the arrays differ in length.
    /// - Complexity: O(pairs × cost of one prediction), batched.
    public func predict(users: [Int32], items: [Int32]) throws -> [Float] {
        guard users.count == items.count else {
            throw ModelError.shapeMismatch("\(users.count) users but \(items.count) items")
        }
        try validate(users: users, items: items)
        var out = [Float](repeating: 0, count: users.count)
        guard let kernel = self as? any KernelModel else {
            var span = out.mutableSpan
            predict(users: users.span, items: items.span, into: &span)
            return out
        }
        let arena = ScratchArena()
        let chunk = 4096
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { i in
                out.withUnsafeMutableBufferPointer { o in
                    var start = 0
                    while start < users.count {
                        let n = min(chunk, users.count - start)
                        kernel.predict(users: u.baseAddress! + start, items: i.baseAddress! + start, count: n,
                                       into: o.baseAddress! + start, arena: arena)
                        arena.reset()
                        start += n
                    }
                }
            }
        }
        return out
    }

    /// Predicts a rating for every row of `data` (which must use this model's ID space).
    public func predict(_ data: RatingsDataset) throws -> [Float] {
        try predict(users: data.users, items: data.items)
    }

    /// Throws unless every index is inside the model.
    func validate(users: [Int32], items: [Int32]) throws {
        for u in users where u < 0 || Int(u) >= userCount {
            throw ModelError.indexOutOfRange(what: "user", index: Int(u), count: userCount)
        }
        for i in items where i < 0 || Int(i) >= itemCount {
            throw ModelError.indexOutOfRange(what: "item", index: Int(i), count: itemCount)
        }
    }

    /// The parameter named `name`, if any.
    public func parameter(named name: String) -> Tensor? {
        parameters.first { $0.name == name }
    }

    /// Total trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}
