/// Requests that cannot be answered: the request names something the model does not know, asks
/// for what the model cannot give, or is malformed. A server answers each case with its own
/// status (BookServer: unknown → 404, cannot → 501, malformed → 400).
public enum RecommenderError: Error, Equatable, CustomStringConvertible {
    /// The user ID is not in the training data.
    case unknownUser(RawID)
    /// The item ID is not in the training data.
    case unknownItem(RawID)
    /// A dense user or item index (`what`) is outside the model's `0..<count`.
    case indexOutOfRange(what: String, index: Int, count: Int)
    /// A list length of zero or less was asked for.
    case invalidK(Int)
    /// Items similar to an empty list of items were asked for.
    case emptyQuery
    /// A new reader's list is unusable (empty, or ratings too large to solve for).
    case invalidReader(String)
    /// A new reader's rating of `item` lies outside the training ratings' range.
    case ratingOutsideScale(item: RawID, rating: Float, scale: ClosedRange<Float>)
    /// The model has no fold-in for new readers (a model written outside EmbedRec).
    case noFoldIn(String)
    /// The model has no item embedding table to compare items by.
    case noItemEmbedding(String)
    /// The model's item embeddings do not say which items are alike (a ``ConcatMLP``'s only feed
    /// its network).
    case noItemSimilarity(String)
    /// A rating was asked of a ranking model, whose scores only order items.
    case notARatingModel(String)
    /// The recommender has no item catalogue (titles, authors) to answer from.
    case noCatalog

    /// A one-line message that says what went wrong.
    public var description: String {
        switch self {
        case .unknownUser(let id): return "unknown user \(id): not in the training data"
        case .unknownItem(let id): return "unknown item \(id): not in the training data"
        case let .indexOutOfRange(what, index, count): return "\(what) index \(index) is outside 0..<\(count)"
        case .invalidK(let k): return "k must be at least 1, got \(k)"
        case .emptyQuery: return "the query names no items to find similar items to"
        case .invalidReader(let why): return "cannot recommend for this reader: \(why)"
        case let .ratingOutsideScale(item, rating, scale):
            return "the rating \(rating) of item \(item) is outside the training ratings' scale \(scale.lowerBound)...\(scale.upperBound)"
        case .noFoldIn(let model): return "\(model) has no fold-in for new readers"
        case .noItemEmbedding(let model): return "\(model) has no item embedding table to compare items by"
        case .noItemSimilarity(let model):
            return "\(model): the cosine of its item embeddings says nothing about which items are liked together; use a dot-product model"
        case .notARatingModel(let model): return "\(model) ranks items: its scores are not ratings (use ranking metrics, or a rating model such as BiasedMF)"
        case .noCatalog: return "the recommender has no item catalogue (train or save it with one)"
        }
    }
}
