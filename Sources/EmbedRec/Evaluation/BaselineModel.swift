import EmbedRecKernels

/// Non-learned reference models, behind the same ``Model`` API as the trained ones so every
/// metric and the scorer treat them alike.
///
/// - ``Kind/globalMean``: predicts the training mean for everything (ranking: all ties).
/// - ``Kind/biases``: `μ + b_u + b_i` fitted by alternating regularised means (as
///   scikit-surprise's `BaselineOnly` with ALS: λ_item 10, λ_user 15, 10 rounds).
/// - ``Kind/popularity``: ranks items by training rating count (its score; not a rating).
///
/// Baselines are fitted in closed form at creation; they have nothing to train.
public final class BaselineModel: KernelModel, @unchecked Sendable {
    /// Which baseline.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        /// `globalMean`: the training mean for every pair; `biases`: the mean plus regularised
        /// user and item biases; `popularity`: each item's rating count (a top-N baseline).
        case globalMean, biases, popularity
    }

    /// Which baseline this is.
    public let kind: Kind
    public let userCount: Int
    public let itemCount: Int
    let mean: Float
    let userBias: [Float]
    let itemBias: [Float]
    /// Ranking score per item for `.popularity` (rating counts).
    let itemCounts: [Float]
    /// Popularity's scores are rating counts; the other two predict ratings.
    public var predictsRatings: Bool { kind != .popularity }
    public var outputRange: ClosedRange<Float>? { nil }
    public var summary: String { "Baseline(\(kind.rawValue))" }

    /// Fits the baseline on `train`.
    /// - Throws: ``DatasetError/empty(_:)`` for an empty training set.
    public init(_ kind: Kind, fittedOn train: RatingsDataset, itemRegularization: Float = 10,
                userRegularization: Float = 15, rounds: Int = 10) throws {
        guard let mu = train.meanRating else { throw DatasetError.empty("training set") }
        self.kind = kind
        userCount = train.userCount; itemCount = train.itemCount; mean = mu
        var bu = [Float](repeating: 0, count: userCount), bi = [Float](repeating: 0, count: itemCount)
        let counts = train.ratingsPerItem()
        itemCounts = counts.map(Float.init)
        switch kind {
        case .globalMean:
            break
        case .popularity:
            // Item means (undamped: the prediction only matters for rating metrics).
            var sums = [Double](repeating: 0, count: itemCount)
            for r in 0..<train.count { sums[Int(train.items[r])] += Double(train.ratings[r] - mu) }
            for i in 0..<itemCount where counts[i] > 0 { bi[i] = Float(sums[i] / Double(counts[i])) }
        case .biases:
            let userCounts = train.ratingsPerUser()
            for _ in 0..<max(1, rounds) {
                var sums = [Double](repeating: 0, count: itemCount)
                for r in 0..<train.count {
                    sums[Int(train.items[r])] += Double(train.ratings[r] - mu - bu[Int(train.users[r])])
                }
                for i in 0..<itemCount { bi[i] = Float(sums[i] / (Double(itemRegularization) + Double(counts[i]))) }
                var userSums = [Double](repeating: 0, count: userCount)
                for r in 0..<train.count {
                    userSums[Int(train.users[r])] += Double(train.ratings[r] - mu - bi[Int(train.items[r])])
                }
                for u in 0..<userCount { bu[u] = Float(userSums[u] / (Double(userRegularization) + Double(userCounts[u]))) }
            }
        }
        userBias = bu; itemBias = bi
    }

    func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        for k in 0..<count {
            // Popularity ranks: its score is the item's rating count.
            output[k] = kind == .popularity ? itemCounts[Int(items[k])] : mean + userBias[Int(users[k])] + itemBias[Int(items[k])]
        }
    }

    public func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        scoreThroughKernel(users: users, items: items, into: &output)
    }

    func makeCatalogueScorer() -> any CatalogueScorer { BaselineScorer(model: self) }
}

/// Scores for baselines: the user term is constant per user, so ranking uses the item term
/// (popularity counts for `.popularity`, item bias for `.biases`, zero for `.globalMean`).
struct BaselineScorer: CatalogueScorer {
    let model: BaselineModel
    var itemCount: Int { model.itemCount }
    var userRowWidth: Int { 1 }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        output.pointee = model.mean + model.userBias[Int(user)]
    }

    func rankingScores(
        userRows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        let n = range.count, first = range.lowerBound
        for k in 0..<count {
            let row = output + k * n
            switch model.kind {
            case .popularity: for i in 0..<n { row[i] = model.itemCounts[first + i] }
            case .biases: for i in 0..<n { row[i] = userRows[k] + model.itemBias[first + i] }
            case .globalMean: for i in 0..<n { row[i] = userRows[k] }
            }
        }
    }

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float {
        rankingScore
    }

    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        // A new user's bias: damped mean residual of their ratings.
        var sum: Float = 0
        for (j, item) in items.enumerated() { sum += ratings[j] - model.mean - model.itemBias[Int(item)] }
        return [model.mean + sum / (Float(items.count) + max(regularization, 0))]
    }
}

extension BaselineModel.Kind: ModelFitter {
    /// Fits this baseline (``BaselineModel/init(_:fittedOn:itemRegularization:userRegularization:rounds:)``).
    public func fit(_ data: RatingsDataset, options: FitOptions) throws -> FittedModel {
        FittedModel(model: try BaselineModel(self, fittedOn: data))
    }

    /// Popularity ranks by rating count; the other two predict ratings.
    public var predictsRatings: Bool { self != .popularity }
}
