import EmbedRec
import Testing

/// The checks every ``Model`` must pass, through EmbedRec's public API only, so that a model
/// written outside the library can run them too (as implicit's `RecommenderBaseTestMixin` and
/// swift-collections' `checkCollection` do for their protocols).
///
/// ```swift
/// import EmbedRec
/// import EmbedRecTestSupport
/// import Testing
///
/// @Test func myModelConforms() throws {
///     try ModelConformance.check { data in try MyModel(for: data) }
/// }
/// ```
///
/// It builds the model on small generated ratings and records a test issue (at the caller's
/// source location) for each failure:
/// - structure: a model at least the data's size; for a ``TrainableModel``, unique parameter
///   names and tables sized to and indexed by users or items;
/// - scores: finite, repeatable, independent of the rest of the batch, inside
///   ``Model/outputRange``, and bad indices rejected with ``RecommenderError/indexOutOfRange(what:index:count:)`` and
///   unequal lengths with ``ConfigurationError/shapeMismatch(_:)``;
/// - gradients (a ``TrainableModel``): one full-batch SGD step of learning rate 1 on the summed
///   squared error moves every parameter by minus its gradient, which must match central finite
///   differences of the loss through ``Model/scores(users:items:)``;
/// - training (a ``TrainableModel``): the training loss falls, and deterministic training is
///   bit-for-bit repeatable;
/// - recommending: ``TopKScorer`` returns the highest-scored items the user did not rate, best
///   first, with the model's own scores (and predicted ratings only from a rating model);
/// - a ``FactorizedModel``: its dot products are its scores, and a new user folds in.
///
/// ``check(recipe:options:sourceLocation:)`` runs the same checks on what a ``Recipe`` fits.
public enum ModelConformance {
    /// What to check besides the structure and prediction checks, which always run.
    public struct Options: Sendable {
        /// Compare gradients with finite differences (turn off for models with dropout or
        /// other randomness in training, whose step is not a deterministic function).
        public var checksGradients = true
        /// Relative tolerance of the gradient check (Float32 finite differences).
        public var gradientTolerance: Double = 0.05
        /// Check that training lowers the loss.
        public var checksLearning = true

        /// The default checks.
        public init() {}
    }

    /// The generated ratings the checks run on: 40 users, 30 items, 450 ratings (seed 3).
    public static func data() throws -> RatingsDataset {
        try SyntheticRatings.generate(.init(users: 40, items: 30, ratings: 450, seed: 3))
    }

    /// Runs every check on models made by `makeModel` for the check's data (it is called
    /// several times and must give the same model for the same data each time).
    public static func check(
        options: Options = Options(), sourceLocation: SourceLocation = #_sourceLocation,
        makeModel: (RatingsDataset) throws -> any Model
    ) throws {
        let data = try data()
        try checkStructure(makeModel(data), data, sourceLocation)
        try checkScores(makeModel(data), data, sourceLocation)
        if let trainable = try makeModel(data) as? any TrainableModel {
            if options.checksGradients { try checkGradients(trainable, data, options.gradientTolerance, sourceLocation) }
            if options.checksLearning {
                try checkLearning(try makeModel(data) as! any TrainableModel, try makeModel(data) as! any TrainableModel, data, sourceLocation)
            }
        }
        try checkRecommendations(makeModel(data), data, sourceLocation)
        if let factorized = try makeModel(data) as? any FactorizedModel { try checkFactors(factorized, data, sourceLocation) }
    }

    /// Fits `recipe` on the checks' data and runs the checks that need no second model on what it
    /// makes (structure, scores, recommendations, factors), and checks that the model predicts
    /// ratings exactly when the recipe says it does.
    public static func check(
        recipe: Recipe, sourceLocation: SourceLocation = #_sourceLocation
    ) throws {
        let data = try data()
        let model = try recipe.fit(data).model
        #expect(model.predictsRatings == recipe.predictsRatings,
                "\(recipe.name): the recipe says predictsRatings \(recipe.predictsRatings), its model \(model.predictsRatings)",
                sourceLocation: sourceLocation)
        checkStructure(model, data, sourceLocation)
        try checkScores(model, data, sourceLocation)
        try checkRecommendations(model, data, sourceLocation)
        if let factorized = model as? any FactorizedModel { try checkFactors(factorized, data, sourceLocation) }
    }

    static func checkStructure(_ model: any Model, _ data: RatingsDataset, _ location: SourceLocation) {
        #expect(model.userCount >= data.userCount && model.itemCount >= data.itemCount,
                "\(model.summary): \(model.userCount) × \(model.itemCount) rows for data of \(data.userCount) × \(data.itemCount)",
                sourceLocation: location)
        #expect(!model.summary.isEmpty, sourceLocation: location)
        guard let model = model as? any TrainableModel else { return }
        let names = model.parameters.map(\.name)
        #expect(Set(names).count == names.count, "\(model.summary): parameter names repeat: \(names)", sourceLocation: location)
        for t in model.parameters {
            let isTable = t.role == .embedding || t.role == .biasTable
            #expect(isTable == (t.rowIndex != nil), "\(t.name): tables, and only tables, say whether rows are users or items",
                    sourceLocation: location)
            if t.rowIndex == .users { #expect(t.rows == model.userCount, "\(t.name) has \(t.rows) rows for \(model.userCount) users", sourceLocation: location) }
            if t.rowIndex == .items { #expect(t.rows == model.itemCount, "\(t.name) has \(t.rows) rows for \(model.itemCount) items", sourceLocation: location) }
            #expect(t.count == t.shape.reduce(1, *), sourceLocation: location)
        }
    }

    static func checkScores(_ model: any Model, _ data: RatingsDataset, _ location: SourceLocation) throws {
        let users = (0..<Int32(model.userCount)).flatMap { u in [Int32](repeating: u, count: model.itemCount) }
        let items = (0..<model.userCount).flatMap { _ in (0..<Int32(model.itemCount)).map { $0 } }
        let all = try model.scores(users: users, items: items)
        #expect(all.allSatisfy { $0.isFinite }, "\(model.summary): non-finite scores", sourceLocation: location)
        #expect(try model.scores(users: users, items: items) == all, "\(model.summary): scores change between calls",
                sourceLocation: location)
        if let range = model.outputRange {
            #expect(all.allSatisfy { range.contains($0) }, "\(model.summary): scores outside \(range)", sourceLocation: location)
        }
        for k in stride(from: 0, to: users.count, by: max(1, users.count / 17)) {
            let single = try model.scores(users: [users[k]], items: [items[k]])[0]
            #expect(abs(single - all[k]) <= 1e-5 * max(1, abs(all[k])),
                    "\(model.summary): the score of one pair depends on the rest of the batch", sourceLocation: location)
        }
        func expectRejected<E: Error & Equatable>(_ what: String, with expected: E, _ body: () throws -> Void) {
            do { try body(); Issue.record("\(model.summary): \(what) was accepted", sourceLocation: location) }
            catch let error as E where error == expected {}
            catch { Issue.record("\(model.summary): \(what) threw \(error), not \(expected)", sourceLocation: location) }
        }
        expectRejected("user index = userCount", with: RecommenderError.indexOutOfRange(what: "user", index: model.userCount, count: model.userCount)) {
            _ = try model.scores(users: [Int32(model.userCount)], items: [0])
        }
        expectRejected("item index −1", with: RecommenderError.indexOutOfRange(what: "item", index: -1, count: model.itemCount)) {
            _ = try model.scores(users: [0], items: [-1])
        }
        expectRejected("users and items of different lengths", with: ConfigurationError.shapeMismatch("2 users but 1 items")) {
            _ = try model.scores(users: [0, 0], items: [0])
        }
    }

    static func checkGradients(_ model: any TrainableModel, _ data: RatingsDataset, _ tolerance: Double, _ location: SourceLocation) throws {
        // A small batch, trained in order in one step: SGD at lr 1 moves θ by exactly −∂L/∂θ.
        let rows = Array(0..<min(24, data.count))
        let batch = data.subset(rows: rows)
        let before = model.parameters.map { $0.toArray() }
        var training = TrainingConfiguration(epochs: 1, batchSize: batch.count, optimizer: .sgd(learningRate: 1), deterministic: true)
        training.shuffle = false
        try Trainer(configuration: training, loss: SquaredError(reduction: .sum)).fit(model, on: batch)
        let gradients = zip(before, model.parameters).map { b, t in zip(b, t.toArray()).map { Double($0 - $1) } }
        for (t, values) in zip(model.parameters, before) { try t.assign(values) }
        func loss() throws -> Double {
            let p = try model.scores(users: batch.users, items: batch.items)
            return zip(p, batch.ratings).reduce(0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }
        }
        var rng = SeededGenerator(seed: 11)
        for (index, t) in model.parameters.enumerated() {
            // The rows the batch uses (tables) or any element (dense), a few of each.
            var candidates: [Int] = []
            if let axis = t.rowIndex {
                let used = Set(axis == .users ? batch.users : batch.items).sorted()
                for r in used.prefix(4) { candidates += (0..<t.rowLength).map { Int(r) * t.rowLength + $0 } }
            } else {
                candidates = Array(0..<t.count)
            }
            for _ in 0..<min(6, candidates.count) {
                let k = candidates[rng.nextInt(below: candidates.count)]
                // A small step: ReLU kinks within ±h of a pre-activation spoil the difference.
                let h: Float = 1e-3, original = t[k]
                t[k] = original + h; let up = try loss()
                t[k] = original - h; let down = try loss()
                t[k] = original
                let numeric = (up - down) / Double(2 * h)
                let analytic = gradients[index][k]
                #expect(abs(numeric - analytic) <= tolerance * max(1, abs(numeric), abs(analytic)),
                        "\(model.summary): ∂L/∂\(t.name)[\(k)] is \(analytic) from training, \(numeric) by finite differences",
                        sourceLocation: location)
            }
        }
    }

    /// `a` and `b`: two models made alike.
    static func checkLearning(_ a: any TrainableModel, _ b: any TrainableModel, _ data: RatingsDataset, _ location: SourceLocation) throws {
        let training = TrainingConfiguration(epochs: 8, batchSize: 16, optimizer: .adam(learningRate: 0.01), deterministic: true)
        let history = try Trainer(configuration: training).fit(a, on: data)
        try Trainer(configuration: training).fit(b, on: data)
        #expect(history.epochs.last!.meanLoss < history.epochs.first!.meanLoss,
                "\(a.summary): training loss \(history.epochs.first!.meanLoss) → \(history.epochs.last!.meanLoss)",
                sourceLocation: location)
        #expect(a.parameters.map { $0.toArray() } == b.parameters.map { $0.toArray() },
                "\(a.summary): deterministic training is not repeatable", sourceLocation: location)
    }

    static func checkRecommendations(_ model: any Model, _ data: RatingsDataset, _ location: SourceLocation) throws {
        let scorer = try TopKScorer(model: model, training: data)
        var seen = [Set<Int32>](repeating: [], count: model.userCount)
        for k in 0..<data.count { seen[Int(data.users[k])].insert(data.items[k]) }
        for user in stride(from: Int32(0), to: Int32(data.userCount), by: 7) {
            let top = try scorer.recommend(user: UserIndex(user), options: .init(k: 5))
            let candidates = (0..<Int32(model.itemCount)).filter { !seen[Int(user)].contains($0) }
            let predicted = try model.scores(users: [Int32](repeating: user, count: candidates.count), items: candidates)
            #expect(top.count == min(5, candidates.count), sourceLocation: location)
            #expect(top.allSatisfy { !seen[Int(user)].contains($0.item.position) }, "\(model.summary): a rated item was recommended",
                    sourceLocation: location)
            for (a, b) in zip(top, top.dropFirst()) {
                #expect(a.score >= b.score - 1e-5, "\(model.summary): recommendations out of order",
                        sourceLocation: location)
            }
            #expect(top.allSatisfy { ($0.predictedRating != nil) == model.predictsRatings && ($0.predictedRating ?? $0.score) == $0.score },
                    "\(model.summary): a predicted rating where the model predicts none, or one that is not its score", sourceLocation: location)
            let chosen = Set(top.map(\.item))
            let floor = top.last?.score ?? -.infinity
            for (item, p) in zip(candidates, predicted) {
                if let r = top.first(where: { $0.item.position == item }) {
                    #expect(abs(r.score - p) <= 1e-4 * max(1, abs(p)), "\(model.summary): the recommended score differs from scores(users:items:)",
                            sourceLocation: location)
                } else if !chosen.contains(ItemIndex(item)) {
                    #expect(p <= floor + 1e-4 * max(1, abs(p)), "\(model.summary): item \(item) (\(p)) beats the last recommendation (\(floor))",
                            sourceLocation: location)
                }
            }
        }
    }

    static func checkFactors(_ model: any FactorizedModel, _ data: RatingsDataset, _ location: SourceLocation) throws {
        let p = model.userFactors, q = model.itemFactors
        #expect(p.rows == model.userCount && q.rows == model.itemCount && p.rowLength == q.rowLength,
                "\(model.summary): factors \(p.shape) and \(q.shape) for \(model.userCount) users and \(model.itemCount) items",
                sourceLocation: location)
        // The catalogue path scores by the factors: they must give the model's own scores.
        let users = (0..<Int32(min(5, model.userCount))).flatMap { [Int32](repeating: $0, count: model.itemCount) }
        let items = users.indices.map { Int32($0 % model.itemCount) }
        let scores = try model.scores(users: users, items: items)
        for k in users.indices {
            let dot = zip(p.row(Int(users[k])), q.row(Int(items[k]))).reduce(Float(0)) { $0 + $1.0 * $1.1 }
            let expected = model.factorOutput.value(of: dot)
            #expect(abs(expected - scores[k]) <= 1e-4 * max(1, abs(scores[k])),
                    "\(model.summary): output(userFactors · itemFactors) is \(expected), the score \(scores[k])", sourceLocation: location)
        }
        // A new user who rated a few items folds in to a list of unread items.
        let foldIn = try FoldInRecommender(model: model, training: data)
        let read = Array(data.itemIDs.rawIDs.prefix(3))
        let result = try foldIn.recommend(readItems: read, ratings: nil, k: 5)
        #expect(!result.isPopularityFallback && result.recommendations.count == 5
                && result.recommendations.allSatisfy { !read.contains($0.rawItemID) },
                "\(model.summary): fold-in of a new user", sourceLocation: location)
    }
}
