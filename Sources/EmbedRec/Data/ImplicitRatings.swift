/// Explicit files with implicit rows: a rating value that records an interaction without a
/// rating (Book-Crossing's 0 means "read, not rated").
///
/// The policy EmbedRec follows: a top-N model counts every row as an interaction (the zeros are
/// most of what people did); a rating model learns only from the rows that carry a rating, since
/// a 0 there is not a low rating. ``likelyImplicitRating`` recognises the convention; a caller
/// (the `train` command's `--implicit-rating`) can always say otherwise.
extension RatingsDataset {
    /// 0 when the data looks like ratings with implicit zeros: whole-number ratings from 0 to at
    /// least 5, with 0 on at least a fifth of the rows (on Book-Crossing 62%; a real 0-to-10 scale
    /// rarely has its lowest value that often). nil otherwise. O(n).
    public var likelyImplicitRating: Float? {
        guard let range = ratingRange, range.lowerBound == 0, range.upperBound >= 5 else { return nil }
        var zeros = 0
        for r in ratings {
            guard r == r.rounded() else { return nil }
            if r == 0 { zeros += 1 }
        }
        return zeros * 5 >= count ? 0 : nil
    }

    /// The rows whose rating is not `implicitRating`: what a rating model learns from. Same ID
    /// maps. O(n).
    public func explicitRatings(excluding implicitRating: Float) -> RatingsDataset {
        subset(rows: (0..<count).filter { ratings[$0] != implicitRating })
    }
}
