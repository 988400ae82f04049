/// Rating-prediction error of a model on a set of ratings.
///
/// - MSE = (1/n) Σ (ŷ − y)²; RMSE = √MSE; MAE = (1/n) Σ |ŷ − y|, accumulated in Double.
public struct RatingMetrics: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Mean squared error.
    public let mse: Double
    /// Root mean squared error, in rating units.
    public let rmse: Double
    /// Mean absolute error, in rating units.
    public let mae: Double
    /// Ratings evaluated.
    public let count: Int

    /// Computes the metrics of `predictions` against `targets`.
    /// - Throws: ``ConfigurationError/shapeMismatch(_:)`` when the lengths differ,
    ///   ``DatasetError/empty(_:)`` for no ratings.
    public init(predictions: [Float], targets: [Float]) throws {
        guard predictions.count == targets.count else {
            throw ConfigurationError.shapeMismatch("\(predictions.count) predictions for \(targets.count) ratings")
        }
        guard !targets.isEmpty else { throw DatasetError.empty("evaluation set") }
        var se = 0.0, ae = 0.0
        for k in 0..<targets.count {
            let e = Double(predictions[k]) - Double(targets[k])
            se += e * e; ae += abs(e)
        }
        count = targets.count
        mse = se / Double(count); rmse = mse.squareRoot(); mae = ae / Double(count)
    }

    /// Evaluates `model` on `data` (which must share the model's ID space).
    ///
    /// - Parameters:
    ///   - model: the model to evaluate.
    ///   - data: the held-out ratings, indexed like the model's training data.
    ///   - range: when given, predictions are first clipped to it, as scikit-surprise
    ///     clips to its rating scale; nil evaluates the model's own predictions.
    /// - Throws: ``RecommenderError/notARatingModel(_:)`` for a ranking model (its scores are
    ///   not ratings: judge it with ``RankingMetrics``); ``ConfigurationError/invalidSetting(_:)``
    ///   for a range with non-finite bounds.
    public init(model: any Model, data: RatingsDataset, clippedTo range: ClosedRange<Float>? = nil) throws {
        guard model.predictsRatings else { throw RecommenderError.notARatingModel(model.summary) }
        var predictions = try model.scores(data)
        if let range {
            guard range.lowerBound.isFinite, range.upperBound.isFinite else {
                throw ConfigurationError.invalidSetting("clipping range must be finite, got \(range)")
            }
            for k in predictions.indices { predictions[k] = min(max(predictions[k], range.lowerBound), range.upperBound) }
        }
        try self.init(predictions: predictions, targets: data.ratings)
    }

    /// A one-line summary for logs and printing.
    public var description: String {
        "RMSE \(rmse.formatted4) MSE \(mse.formatted4) MAE \(mae.formatted4) (n=\(count))"
    }
}

extension Double {
    var formatted4: String {
        let scaled = (self * 10_000).rounded() / 10_000
        return String(scaled)
    }
}
