/// A model whose score of (u, i) is a non-decreasing function of the dot product of a user row
/// and an item row: `output(userFactors[u] · itemFactors[i])`.
///
/// Conforming is how a model written in another module gets what the built-in embedding models
/// have: catalogue scoring as one matrix product per block of users (``TopKScorer``, ``Recommender``),
/// fold-in of a new user by ridge regression on the items they rated, with the item rows frozen
/// (``FoldInRecommender``, ``Recommender/recommend(newReaderRatings:k:)``), and cosine
/// ``SimilarItems`` over ``itemFactors``. The tables are read when a scorer is made, so they may
/// be computed (a bias or an offset folded in as an extra column: `[p_u, 1] · [q_i, b_i]`).
///
/// ```swift
/// extension MyModel: FactorizedModel {
///     var userFactors: Tensor { userTable }
///     var itemFactors: Tensor { itemTable }
/// }
/// ```
public protocol FactorizedModel: Model {
    /// One row per user (`userCount × w`).
    var userFactors: Tensor { get }
    /// One row per item (`itemCount × w`), the same width as the user rows.
    var itemFactors: Tensor { get }
    /// Maps a dot product to the model's score: non-decreasing, so items rank by the dot
    /// product. ``OutputActivation/linear`` unless given.
    var factorOutput: OutputActivation { get }
}

extension FactorizedModel {
    public var factorOutput: OutputActivation { .linear }

    /// The catalogue scorer of the two tables (copied: the model may train on).
    func makeFactorScorer() throws -> DotProductScorer {
        let users = userFactors, items = itemFactors
        guard users.shape.count == 2, items.shape.count == 2, users.rows == userCount, items.rows == itemCount,
              users.rowLength == items.rowLength, users.rowLength > 0 else {
            throw ConfigurationError.shapeMismatch(
                "\(summary): userFactors \(users.shape) and itemFactors \(items.shape) must be \(userCount) × w and \(itemCount) × w")
        }
        var scorer = DotProductScorer(model: self, d: users.rowLength, p: users, q: items, bias: nil, activation: factorOutput)
        scorer.fromFactors = true
        return scorer
    }
}
