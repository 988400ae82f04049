import EmbedRecKernels

/// The most-rated items: what a user the model cannot place (unknown, or with no known item) is
/// recommended. Needs no model: counts and mean ratings of the training data.
struct ItemPopularity: Sendable {
    /// Items, most-rated first (ties: the lower index).
    let ranking: [Int32]
    /// Training ratings per item: the fallback's score.
    let counts: [Int]
    /// Mean training rating per item (the global mean for an unrated one): the fallback's
    /// predicted rating, for a rating model.
    let means: [Float]

    /// One pass over `items` (positions checked to be inside `0..<itemCount`) and `ratings`.
    init(items: [Int32], ratings: [Float], itemCount: Int) {
        var counts = [Int](repeating: 0, count: itemCount)
        var sums = [Double](repeating: 0, count: itemCount)
        // A million ratings per opened recommender: no bounds checks (the items were checked).
        counts.withUnsafeMutableBufferPointer { c in
            sums.withUnsafeMutableBufferPointer { s in
                items.withUnsafeBufferPointer { it in
                    ratings.withUnsafeBufferPointer { r in
                        for k in 0..<it.count {
                            let i = Int(it[k])
                            c[i] += 1; s[i] += Double(r[k])
                        }
                    }
                }
            }
        }
        self.counts = counts
        let ratingCount = counts.reduce(0, +)
        let globalMean = ratingCount == 0 ? 0 : Float(sums.reduce(0, +) / Double(ratingCount))
        means = (0..<itemCount).map { counts[$0] > 0 ? Float(sums[$0] / Double(counts[$0])) : globalMean }
        // Most-rated first, ties by the lower index: one sort of packed (−count, index) keys.
        var keys = (0..<itemCount).map { UInt64(UInt32.max - UInt32(min(counts[$0], Int(UInt32.max)))) << 32 | UInt64($0) }
        keys.sort()
        ranking = keys.map { Int32(truncatingIfNeeded: $0 & 0xFFFF_FFFF) }
    }

    /// The `k` most-rated items: scored by their rating counts, with their mean rating as the
    /// predicted rating when the model predicts ratings.
    func top(_ k: Int, itemIDs: ItemIDMap, predictsRatings: Bool) -> [Recommendation] {
        ranking.prefix(k).map {
            let recommendation = Recommendation(item: $0, itemIDs: itemIDs, score: Float(counts[Int($0)]), predictsRatings: false)
            return predictsRatings ? recommendation.withPredictedRating(means[Int($0)]) : recommendation
        }
    }
}
