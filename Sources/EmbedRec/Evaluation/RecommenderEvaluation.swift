/// A saved recommender's rating and ranking metrics on test ratings, next to the baselines
/// fitted on the same training ratings: what `embedrec evaluate` prints and a report tabulates.
public struct RecommenderEvaluation: Sendable {
    /// One model's figures.
    public struct Row: Sendable {
        /// The model's summary, or `baseline <kind>`.
        public let name: String
        /// True for the baselines fitted beside the model.
        public let isBaseline: Bool
        /// RMSE and MAE on the test ratings: only for a model that predicts ratings (nil for a
        /// ranking model, whose scores are not ratings).
        public let rating: RatingMetrics?
        /// Ranking metrics at each of ``RecommenderEvaluation/ks``, in that order.
        public let ranking: [RankingMetrics]
    }

    /// The recommender's model first, then the baselines.
    public let rows: [Row]
    /// The K of each ranking column.
    public let ks: [Int]
    /// Test ratings at or above this were relevant.
    public let relevanceThreshold: Float
    /// Test ratings evaluated, and the ones left out for an unknown user or item.
    public let testRatings: Int
    /// Test ratings left out because the recommender does not know their user or item.
    public let unknownRows: Int

    /// Evaluates on `test` (raw IDs, as loaded from a file): top-K over the whole catalogue
    /// with each user's training items excluded, test ratings ≥ `relevanceThreshold` relevant.
    ///
    /// - Throws: ``DatasetError/invalidArgument(_:)`` when no test rating has a user and an item
    ///   the recommender knows, or for a K ≤ 0; model errors from scoring.
    public init(recommender: Recommender, test: RatingsDataset, ks: [Int] = [10], relevanceThreshold: Float = 4,
                baselines: [BaselineModel.Kind] = BaselineModel.Kind.allCases, parallelism: Parallelism = .automatic) throws {
        let (testData, unknown) = recommender.mapped(test)
        guard !testData.isEmpty else {
            throw DatasetError.invalidArgument("no test rating has a user and an item the recommender knows")
        }
        guard !ks.isEmpty, ks.allSatisfy({ $0 > 0 }) else { throw DatasetError.invalidArgument("every K must be > 0, got \(ks)") }
        let train = recommender.trainingRatings
        let models: [(String, Bool, any Model)] = [(recommender.model.summary, false, recommender.model)]
            + (try baselines.map { ("baseline \($0.rawValue)", true, try BaselineModel($0, fittedOn: train)) })
        rows = try models.map { name, isBaseline, model in
            Row(name: name, isBaseline: isBaseline, rating: model.predictsRatings ? try RatingMetrics(model: model, data: testData) : nil,
                ranking: try RankingMetrics.atEachK(ks, model: model, train: train, test: testData,
                                                    relevanceThreshold: relevanceThreshold, parallelism: parallelism))
        }
        self.ks = ks
        self.relevanceThreshold = relevanceThreshold
        testRatings = testData.count
        unknownRows = unknown
    }
}
