/// Everything serving needs, in one value that speaks raw IDs: a trained model, the user and
/// item ID maps of its training data, each known user's rated items (excluded from their
/// recommendations), the rating scale, how it was trained and, optionally, the item catalogue.
///
/// The parts are checked against each other once, here, so a model can never be paired with the
/// ID maps or rated lists of another dataset. ``save(to:)`` writes it as one safetensors file and
/// ``init(contentsOf:modelKinds:)`` opens it again with bit-identical predictions and top-K lists.
/// Immutable and `Sendable`: one recommender serves any number of concurrent requests.
///
/// ```swift
/// let recommender = try Recommender(model: model, training: split.train, catalog: books)
/// try recommender.save(to: "books.safetensors")
/// let served = try Recommender(contentsOf: "books.safetensors")
/// let top = try served.recommend(user: 314, k: 5)
/// let similar = try served.similarItems(to: 1, k: 10)
/// let newReader = try served.recommend(newReaderRatings: [1: 5, 2: 4, 3: 5], k: 10)
/// ```
public struct Recommender: Sendable {
    /// The trained model: the recommender's own copy. Treat it as read-only — the recommender's
    /// scorers read its tables in place.
    public let model: any Model
    /// Raw user IDs ⇄ the model's user rows.
    public let userIDs: UserIDMap
    /// Raw item IDs ⇄ the model's item rows.
    public let itemIDs: ItemIDMap
    /// Each known user's rated items with their ratings (dense indices).
    public let ratedItems: UserItemIndex
    /// The smallest and largest training rating (nil without ratings).
    public let ratingScale: ClosedRange<Float>?
    /// How the model was trained, when known.
    public let trainingConfiguration: TrainingConfiguration?
    /// The training run's per-epoch record, when known.
    public let history: TrainingHistory?
    /// Titles, authors and images for display, when given.
    public let catalog: ItemCatalog?
    /// The words for the catalogue's users and items, for what a person reads (saved with the
    /// recommender).
    public let nouns: CatalogNouns

    let foldInDefaultRating: Float
    let topK: TopKScorer
    let foldIn: FoldInRecommender?
    /// The most-rated items, for users the model cannot place.
    let popularity: ItemPopularity
    /// The similar-items index, or why the model has none (no item table, or a ConcatMLP).
    let similar: Result<SimilarItems, any Error>

    /// Bundles a trained model with the data it was trained on.
    ///
    /// - Throws: ``DatasetError/mismatchedSpace(_:)`` when `training` is not of the model's user
    ///   and item spaces (the same counts).
    ///
    /// `nouns` are the words for the catalogue's users and items (readers and books, …): the
    /// catalogue's own unless given, else users and items.
    public init(
        model: any Model, training: RatingsDataset, configuration: TrainingConfiguration? = nil,
        history: TrainingHistory? = nil, catalog: ItemCatalog? = nil, nouns: CatalogNouns? = nil
    ) throws {
        guard training.userCount == model.userCount, training.itemCount == model.itemCount else {
            throw DatasetError.mismatchedSpace(
                "the training data has \(training.userCount) users and \(training.itemCount) items, \(model.summary) has \(model.userCount) and \(model.itemCount)")
        }
        let rated = training.itemsByUser()
        // A private copy, so that training the caller's model later cannot change what this
        // recommender serves (its scorer reads the copy's tables in place).
        let owned: any Model
        if let backed = model as? any HistoryBackedModel {
            let history = try backed.history(from: rated)
            guard backed.hasHistory(history) else {
                throw DatasetError.mismatchedSpace("\(model.summary) was fitted on other ratings than `training`")
            }
            owned = try backed.withHistory(history, copyingWeights: true)
        } else {
            owned = try (model as? any SavableModel).map { try $0.copy() } ?? model
        }
        try self.init(
            model: owned, userIDs: training.userIDs, itemIDs: training.itemIDs, ratedItems: rated,
            ratingScale: training.ratingRange, configuration: configuration, history: history, catalog: catalog,
            nouns: nouns ?? catalog?.nouns ?? .generic, foldInDefaultRating: FoldInRecommender.defaultRating(of: training.ratings))
    }

    /// Assembles the parts (checked by the callers: the public initializer or the file reader).
    init(
        model: any Model, userIDs: UserIDMap, itemIDs: ItemIDMap, ratedItems: UserItemIndex,
        ratingScale: ClosedRange<Float>?, configuration: TrainingConfiguration?, history: TrainingHistory?,
        catalog: ItemCatalog?, nouns: CatalogNouns, foldInDefaultRating: Float, popularity: ItemPopularity? = nil
    ) throws {
        self.model = model
        self.nouns = nouns
        self.userIDs = userIDs; self.itemIDs = itemIDs; self.ratedItems = ratedItems
        self.ratingScale = ratingScale; trainingConfiguration = configuration; self.history = history
        // One set of words: the catalogue says what the recommender says.
        self.catalog = catalog.map { var c = $0; c.nouns = nouns; return c }
        self.foldInDefaultRating = foldInDefaultRating
        // One catalogue scorer (a copy of the tables in scoring layout) serves top-K and fold-in.
        let scorer = try catalogueScorer(for: model, sharingTables: true)
        topK = TopKScorer(scorer: scorer, userCount: model.userCount, predictsRatings: model.predictsRatings,
                          seen: ratedItems, itemIDs: itemIDs)
        let popularity = popularity ?? ItemPopularity(items: ratedItems.items, ratings: ratedItems.ratings, itemCount: itemIDs.count)
        self.popularity = popularity
        if scorer.supportsFoldIn {
            foldIn = FoldInRecommender(scorer: scorer, itemIDs: itemIDs, predictsRatings: model.predictsRatings, popularity: popularity,
                                       defaultRating: foldInDefaultRating, ratingScale: ratingScale, regularization: 0.5)
        } else {
            foldIn = nil
        }
        similar = Result { try SimilarItems(model: model, itemIDs: itemIDs) }
    }

    /// What to do for a user ID the model was not trained on.
    public enum UnknownUserPolicy: Sendable, Hashable {
        /// Throw ``RecommenderError/unknownUser(_:)``.
        case fail
        /// Return the most-rated items, flagged with ``RecommendationList/isPopularityFallback``.
        case popularity
    }

    /// Recommendations for one request.
    public struct RecommendationList: Sendable, Hashable {
        /// Best first.
        public let recommendations: [Recommendation]
        /// True when the list is the most-rated items (an unknown user under
        /// ``UnknownUserPolicy/popularity``, or a new reader with no known item), whose
        /// predicted ratings are then the items' mean training ratings.
        public let isPopularityFallback: Bool
        /// Raw item IDs of a new reader's list that the catalogue does not know (ignored).
        public let unknownItemIDs: [RawID]
    }

    /// The `k` best items for a known user, leaving out what they rated.
    ///
    /// - Throws: ``RecommenderError/unknownUser(_:)`` for an ID outside the training data (unless
    ///   `unknownUser` is ``UnknownUserPolicy/popularity``), ``RecommenderError/invalidK(_:)`` for
    ///   K ≤ 0.
    public func recommend(user rawID: RawID, k: Int, unknownUser: UnknownUserPolicy = .fail) throws -> RecommendationList {
        guard k > 0 else { throw RecommenderError.invalidK(k) }
        guard let user = userIDs.index(of: rawID) else {
            guard unknownUser == .popularity else { throw RecommenderError.unknownUser(rawID) }
            return RecommendationList(recommendations: popularity.top(k, itemIDs: itemIDs, predictsRatings: model.predictsRatings),
                                      isPopularityFallback: true, unknownItemIDs: [])
        }
        let list = try topK.recommend(user: user, options: .init(k: k))
        return RecommendationList(recommendations: list, isPopularityFallback: false, unknownItemIDs: [])
    }

    /// The `k` most-rated items (what a user the model cannot place is offered), scored by
    /// their rating counts; for a rating model, their mean rating is the predicted rating.
    public func mostRated(k: Int) -> RecommendationList {
        RecommendationList(recommendations: popularity.top(max(0, k), itemIDs: itemIDs, predictsRatings: model.predictsRatings),
                           isPopularityFallback: true, unknownItemIDs: [])
    }

    /// Recommendations for a reader the model was not trained on, from their ratings by raw item
    /// ID (fold-in: no retraining). Unknown item IDs are ignored and reported; a reader with no
    /// known item gets the popularity fallback.
    ///
    /// - Throws: ``RecommenderError/noFoldIn(_:)`` for a model without fold-in, and as
    ///   ``FoldInRecommender/recommend(readItems:ratings:k:)``.
    public func recommend(newReaderRatings ratings: [RawID: Float], k: Int) throws -> RecommendationList {
        let ids = ratings.keys.sorted()
        return try foldInList(ids, ids.map { ratings[$0]! }, k)
    }

    /// Recommendations for a new reader from the raw item IDs they read, without ratings (each
    /// counts as the training data's 75th-percentile rating).
    public func recommend(newReaderItems items: [RawID], k: Int) throws -> RecommendationList {
        try foldInList(items, nil, k)
    }

    /// The same for a reading list where some books have a rating and some not (nil: the
    /// training data's 75th-percentile rating). `ratings` is aligned with `items`.
    /// - Throws: ``RecommenderError/invalidReader(_:)`` when the lengths differ, and as above.
    public func recommend(newReaderItems items: [RawID], ratings: [Float?], k: Int) throws -> RecommendationList {
        guard items.count == ratings.count else {
            throw RecommenderError.invalidReader("\(items.count) items but \(ratings.count) ratings")
        }
        return try foldInList(items, ratings.map { $0 ?? foldInDefaultRating }, k)
    }

    private func foldInList(_ items: [RawID], _ ratings: [Float]?, _ k: Int) throws -> RecommendationList {
        guard let foldIn else { throw RecommenderError.noFoldIn(model.summary) }
        let result = try foldIn.recommend(readItems: items, ratings: ratings, k: k)
        return RecommendationList(recommendations: result.recommendations,
                                  isPopularityFallback: result.isPopularityFallback, unknownItemIDs: result.unknownItemIDs)
    }

    /// The `k` items nearest to an item by cosine similarity of the item embeddings.
    /// - Throws: ``RecommenderError/unknownItem(_:)``; ``RecommenderError/noItemEmbedding(_:)``
    ///   (EASE) or ``RecommenderError/noItemSimilarity(_:)`` (ConcatMLP) for a model without a
    ///   meaningful item embedding (see ``SimilarItems``); ``RecommenderError/invalidK(_:)``.
    public func similarItems(to rawID: RawID, k: Int) throws -> [SimilarItems.Neighbour] {
        guard let item = itemIDs.index(of: rawID) else { throw RecommenderError.unknownItem(rawID) }
        return try similar.get().similar(to: [item], k: k)
    }

    /// The items most often rated by the same users as this one (cosine of their users, from the
    /// training ratings the recommender keeps; ``ItemCooccurrence``): sensible neighbours for
    /// any model, and the ones to show for a rating model, whose embedding cosine places items
    /// by predicted stars rather than by who liked them (Docs/Benchmarks.md, "Similar items").
    /// - Throws: ``RecommenderError/unknownItem(_:)``.
    /// - Complexity: O(training ratings) to index them, then O(the ratings of this item's users).
    public func coRatedItems(to rawID: RawID, k: Int) throws -> [SimilarItems.Neighbour] {
        guard let item = itemIDs.index(of: rawID) else { throw RecommenderError.unknownItem(rawID) }
        guard k >= 1 else { throw RecommenderError.invalidK(k) }
        return ItemCooccurrence(rated: ratedItems, itemCount: itemIDs.count).neighbours(of: item, k: k).map {
            SimilarItems.Neighbour(item: $0.item, rawItemID: itemIDs.rawIDs[$0.item.offset], similarity: $0.cosine)
        }
    }

    /// What the model recommends to a reader who has read only this item: "readers of X also
    /// read". For EASE it is the item's row of item-to-item weights; it works for every model
    /// that folds in new readers, including those whose embeddings carry no cosine meaning.
    /// - Throws: ``RecommenderError/unknownItem(_:)``, ``RecommenderError/noFoldIn(_:)``.
    public func readersAlsoRead(_ rawID: RawID, k: Int) throws -> RecommendationList {
        guard itemIDs.index(of: rawID) != nil else { throw RecommenderError.unknownItem(rawID) }
        return try foldInList([rawID], nil, k)
    }

    /// The model's score of an item for a known user: its predicted rating for a rating model.
    /// - Throws: ``RecommenderError/unknownUser(_:)`` or ``RecommenderError/unknownItem(_:)``.
    public func score(user: RawID, item: RawID) throws -> Float {
        guard let u = userIDs.index(of: user) else { throw RecommenderError.unknownUser(user) }
        guard let i = itemIDs.index(of: item) else { throw RecommenderError.unknownItem(item) }
        return try model.scores(users: [u.position], items: [i.position])[0]
    }

    /// The model's predicted rating of an item by a known user.
    /// - Throws: ``RecommenderError/notARatingModel(_:)`` for a ranking model, whose scores are
    ///   not ratings; ``RecommenderError/unknownUser(_:)`` or ``RecommenderError/unknownItem(_:)``.
    public func predictedRating(user: RawID, item: RawID) throws -> Float {
        guard model.predictsRatings else { throw RecommenderError.notARatingModel(model.summary) }
        return try score(user: user, item: item)
    }

    /// The training ratings again, as a dataset in the recommender's ID maps (from the rated
    /// lists): for baselines and for evaluating against new data.
    public var trainingRatings: RatingsDataset {
        var users = [Int32](repeating: 0, count: ratedItems.items.count)
        for u in 0..<ratedItems.userCount {
            for k in ratedItems.offsets[u]..<ratedItems.offsets[u + 1] { users[k] = Int32(u) }
        }
        return RatingsDataset(unchecked: users, ratedItems.items, ratedItems.ratings, nil, userIDs, itemIDs)
    }

    /// `data` (raw IDs from a file) in the recommender's ID maps; rows whose user or item the
    /// recommender does not know are left out and counted.
    public func mapped(_ data: RatingsDataset) -> (data: RatingsDataset, unknownRows: Int) {
        var users: [Int32] = [], items: [Int32] = [], ratings: [Float] = []
        // Each distinct ID is looked up once; rows then translate through the tables.
        let userTable = (0..<Int32(data.userCount)).map { userIDs.position(of: data.userIDs.rawID(atChecked: $0)) ?? -1 }
        let itemTable = (0..<Int32(data.itemCount)).map { itemIDs.position(of: data.itemIDs.rawID(atChecked: $0)) ?? -1 }
        for row in 0..<data.count {
            let u = userTable[Int(data.users[row])], i = itemTable[Int(data.items[row])]
            guard u >= 0, i >= 0 else { continue }
            users.append(u); items.append(i); ratings.append(data.ratings[row])
        }
        let kept = RatingsDataset(unchecked: users, items, ratings, nil, userIDs, itemIDs)
        return (kept, data.count - kept.count)
    }

    /// The catalogue entry of a raw item ID, when a catalogue is attached and has it.
    public func metadata(for rawID: RawID) -> ItemMetadata? { catalog?[rawID: rawID] }
}
