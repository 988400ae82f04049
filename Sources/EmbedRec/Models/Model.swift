import EmbedRecKernels

/// A recommendation model: it scores (user, item) pairs given as dense indices.
///
/// What a score means is the model's to say: a rating model (``predictsRatings``) outputs
/// predicted ratings on the training data's scale, which RMSE and MAE judge; a ranking model
/// (EASE, ALS, BPR, sampled softmax) outputs scores that only order items. Top-K
/// (``TopKScorer``), similar items, evaluation and serving (``Recommender``) work through this
/// protocol, so a model written in another module plugs in by conforming. A model trained by
/// gradients also conforms to ``TrainableModel``; one made in closed form need not.
///
/// The fast catalogue path (one sgemm per block of users) and fold-in come with
/// ``FactorizedModel``; the built-in models have their own. Any other model is scored for
/// top-K through ``score(users:items:into:)`` over the catalogue.
///
/// Models are classes: they own large tables that workers update in place. Conformers must be
/// safe to *read* from several threads at once (scoring); training is exclusive.
public protocol Model: AnyObject, Sendable {
    /// Users the model has rows for (dense indices `0..<userCount`).
    var userCount: Int { get }
    /// Items the model has rows for (dense indices `0..<itemCount`).
    var itemCount: Int { get }
    /// True when the model's scores are predicted ratings (trained on ratings against a rating
    /// loss); false for a ranking model, whose scores only order items.
    var predictsRatings: Bool { get }
    /// The range scores are confined to, when the model has a bounded output.
    var outputRange: ClosedRange<Float>? { get }
    /// A short description of the model, e.g. `"BiasedMF(d=50, sigmoid 1...5)"`.
    var summary: String { get }

    /// Writes the score of `(users[k], items[k])` into `output[k]` for every `k`: the predicted
    /// rating for a rating model. The spans have the same length and every index is inside the
    /// model (callers check).
    func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>)
}

/// A model trained by gradients: the ``Trainer`` updates its ``parameters`` in place.
///
/// - ``parameters`` lists every trainable tensor by name, with its ``Tensor/Role`` telling the
///   trainer whether it is an embedding table (sparse updates) or a dense weight;
/// - ``trainStep(_:_:)`` computes a batch's scores, asks the context for the loss's gradient and
///   back-propagates it into ``TrainingContext/addGradient(_:parameter:row:)``.
public protocol TrainableModel: Model {
    /// Every trainable tensor, in a fixed order (gradients are index-aligned with it).
    var parameters: [Tensor] { get }

    /// The most table rows one example touches per sparse parameter (1 for embeddings).
    /// Used to size gradient slots.
    var rowsPerExample: Int { get }

    /// One training step: computes the batch's scores (forward), hands them to
    /// ``TrainingContext/lossGradient(predictions:targets:)`` for ∂loss/∂score, and adds
    /// ∂loss/∂θ with ``TrainingContext/addGradient(_:parameter:row:)`` (backward). Returns the
    /// loss's value for the batch. Models contain no loss of their own: the trainer's ``Loss``
    /// decides what is minimised.
    func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double
}

extension TrainableModel {
    public var rowsPerExample: Int { 1 }

    /// The parameter named `name`, if any.
    public func parameter(named name: String) -> Tensor? {
        parameters.first { $0.name == name }
    }

    /// Total trainable values.
    public var parameterCount: Int { parameters.reduce(0) { $0 + $1.count } }
}

extension Model {
    /// The scores of (user, item) pairs given as dense indices: predicted ratings for a rating
    /// model.
    ///
    /// - Throws: ``RecommenderError/indexOutOfRange(what:index:count:)`` for an index outside the
    ///   model, ``ConfigurationError/shapeMismatch(_:)`` when the arrays differ in length.
    /// - Complexity: O(pairs × cost of one prediction), batched.
    public func scores(users: [Int32], items: [Int32]) throws -> [Float] {
        guard users.count == items.count else {
            throw ConfigurationError.shapeMismatch("\(users.count) users but \(items.count) items")
        }
        try validate(users: users, items: items)
        var out = [Float](repeating: 0, count: users.count)
        guard let kernel = self as? any KernelModel else {
            var span = out.mutableSpan
            score(users: users.span, items: items.span, into: &span)
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
                        kernel.score(users: u.baseAddress! + start, items: i.baseAddress! + start, count: n,
                                       into: o.baseAddress! + start, arena: arena)
                        arena.reset()
                        start += n
                    }
                }
            }
        }
        return out
    }

    /// The score of every row of `data` (which must use this model's ID space).
    public func scores(_ data: RatingsDataset) throws -> [Float] {
        try scores(users: data.users, items: data.items)
    }

    /// Throws unless every index is inside the model.
    func validate(users: [Int32], items: [Int32]) throws {
        for u in users where u < 0 || Int(u) >= userCount {
            throw RecommenderError.indexOutOfRange(what: "user", index: Int(u), count: userCount)
        }
        for i in items where i < 0 || Int(i) >= itemCount {
            throw RecommenderError.indexOutOfRange(what: "item", index: Int(i), count: itemCount)
        }
    }


    /// The table whose rows stand for the items (an item embedding, or a ``FactorizedModel``'s
    /// item rows): what similar items, item maps and exports read.
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)`` for a model without one (EASE).
    public func itemEmbeddingTable() throws -> Tensor {
        if let table = (self as? any TrainableModel)?.parameters.first(where: { $0.rowIndex == .items && $0.role == .embedding }) {
            return table
        }
        if let factorized = self as? any FactorizedModel { return factorized.itemFactors }
        throw RecommenderError.noItemEmbedding(summary)
    }
}
