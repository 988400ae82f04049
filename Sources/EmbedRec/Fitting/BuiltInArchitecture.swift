/// The library's embedding models as ``GradientTraining`` builds them: one of the three kinds
/// with its configuration.
public enum BuiltInArchitecture: ModelArchitecture, Hashable {
    /// ``MatrixFactorization``.
    case matrixFactorization(MatrixFactorization.Configuration)
    /// ``BiasedMF``; with `sigmoidToRatingRange`, the output becomes a sigmoid scaled to the
    /// training data's rating range (the MovieLens tutorial's V2), or, when every rating is the
    /// same, a linear output around their mean.
    case biasedMF(BiasedMF.Configuration, sigmoidToRatingRange: Bool)
    /// ``ConcatMLP``; `sigmoidToRatingRange` as for BiasedMF (the tutorial's Net).
    case concatMLP(ConcatMLP.Configuration, sigmoidToRatingRange: Bool)

    /// Builds the model for `data`'s ID maps and rating range.
    public func makeModel(for data: RatingsDataset) throws -> any TrainableModel {
        let range = data.ratingRange.flatMap { $0.lowerBound < $0.upperBound ? $0 : nil }
        switch self {
        case .matrixFactorization(let c):
            return try MatrixFactorization(for: data, configuration: c)
        case .biasedMF(var c, let sigmoid):
            if sigmoid {
                if let range { c.output = .sigmoidScaled(min: range.lowerBound, max: range.upperBound) }
                else { c.output = .linear; c.globalOffset = data.meanRating ?? 0 }
            }
            return try BiasedMF(for: data, configuration: c)
        case .concatMLP(var c, let sigmoid):
            if sigmoid { c.output = range.map { .sigmoidScaled(min: $0.lowerBound, max: $0.upperBound) } ?? .linear }
            return try ConcatMLP(for: data, configuration: c)
        }
    }

    /// The same architecture initialised from `seed`.
    public func withSeed(_ seed: UInt64) -> BuiltInArchitecture {
        switch self {
        case .matrixFactorization(var c): c.seed = seed; return .matrixFactorization(c)
        case .biasedMF(var c, let s): c.seed = seed; return .biasedMF(c, sigmoidToRatingRange: s)
        case .concatMLP(var c, let s): c.seed = seed; return .concatMLP(c, sigmoidToRatingRange: s)
        }
    }

    /// The same architecture with embedding dimension `d` (both sides for ConcatMLP).
    public func withDimension(_ d: Int) -> BuiltInArchitecture? {
        switch self {
        case .matrixFactorization(var c): c.dimension = d; return .matrixFactorization(c)
        case .biasedMF(var c, let s): c.dimension = d; return .biasedMF(c, sigmoidToRatingRange: s)
        case .concatMLP(var c, let s): c.userDimension = d; c.itemDimension = d; return .concatMLP(c, sigmoidToRatingRange: s)
        }
    }
}
