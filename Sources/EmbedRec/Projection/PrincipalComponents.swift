import EmbedRecKernels

/// Principal component analysis of an embedding table (rows are items or users), for plots
/// and maps of what a model learned.
///
/// The rows are centred, their covariance `(X − μ)ᵀ(X − μ) / (n − 1)` is formed with one sgemm,
/// and its eigen-decomposition comes from LAPACKE `ssyevd`. Components are sorted by explained
/// variance and their signs normalised as scikit-learn's `PCA` does (the entry of largest
/// magnitude of each component is positive), so results match it up to rounding.
///
/// ```swift
/// let pca = try PrincipalComponents(fitting: table, rows: items, dimension: 50, components: 2)
/// let map = pca.transform(table, rows: items)      // items × 2
/// print(pca.explainedVarianceRatio)
/// ```
public struct PrincipalComponents: Sendable {
    /// The number of components kept.
    public let count: Int
    /// The input's dimension.
    public let dimension: Int
    /// The column means subtracted before projecting.
    public let mean: [Float]
    /// The components, row-major `count × dimension`, each of unit length.
    public let components: [Float]
    /// The variance along each component (the covariance's eigenvalues), largest first.
    public let explainedVariance: [Float]
    /// Each component's share of the total variance.
    public let explainedVarianceRatio: [Float]

    /// Fits `components` principal components to a row-major `rows × dimension` table.
    ///
    /// - Throws: ``ConfigurationError/shapeMismatch(_:)`` when the values do not form the rows,
    ///   ``ConfigurationError/invalidSetting(_:)`` for fewer than 2 rows, a component count outside
    ///   `1...dimension` or non-finite values; ``LinearAlgebraError`` if the eigen-solver fails.
    /// - Complexity: O(rows · dimension² + dimension³).
    public init(fitting table: [Float], rows: Int, dimension: Int, components: Int) throws {
        guard rows >= 0, dimension > 0, table.count == rows * dimension else {
            throw ConfigurationError.shapeMismatch("\(table.count) values do not form \(rows) rows of \(dimension)")
        }
        guard rows >= 2 else { throw ConfigurationError.invalidSetting("PCA needs at least 2 rows, got \(rows)") }
        guard (1...dimension).contains(components) else {
            throw ConfigurationError.invalidSetting("components must be in 1...\(dimension), got \(components)")
        }
        guard table.allSatisfy(\.isFinite) else { throw ConfigurationError.invalidSetting("the table holds NaN or infinite values") }
        let d = dimension
        // Means in Double: a table of 10⁶ rows must not lose them to Float32 sums.
        var sums = [Double](repeating: 0, count: d)
        for r in 0..<rows { for f in 0..<d { sums[f] += Double(table[r * d + f]) } }
        let mean = sums.map { Float($0 / Double(rows)) }
        var centred = table
        for r in 0..<rows { for f in 0..<d { centred[r * d + f] -= mean[f] } }
        var covariance = [Float](repeating: 0, count: d * d)
        centred.withUnsafeBufferPointer { x in
            covariance.withUnsafeMutableBufferPointer { c in
                BLAS.gemm(transposeA: true, m: d, n: d, k: rows, alpha: 1 / Float(rows - 1),
                          a: x.baseAddress!, lda: d, b: x.baseAddress!, ldb: d, beta: 0, c: c.baseAddress!, ldc: d)
            }
        }
        let (values, vectors) = try LAPACK.symmetricEigen(covariance, n: d)
        // ssyevd: ascending eigenvalues, eigenvectors in the columns.
        let total = values.reduce(0) { $0 + Double(max(0, $1)) }
        var kept: [Float] = [], variance: [Float] = []
        for c in (0..<d).reversed().prefix(components) {
            var v = (0..<d).map { vectors[$0 * d + c] }
            let largest = v.indices.max { abs(v[$0]) < abs(v[$1]) }!
            if v[largest] < 0 { v = v.map { -$0 } }
            kept += v
            variance.append(max(0, values[c]))
        }
        count = components; self.dimension = d; self.mean = mean
        self.components = kept; explainedVariance = variance
        explainedVarianceRatio = variance.map { total > 0 ? Float(Double($0) / total) : 0 }
    }

    /// Fits to a model's item embedding table.
    /// - Throws: ``RecommenderError/noItemEmbedding(_:)`` for a model without one, and as above.
    public init(itemEmbeddingsOf model: any Model, components: Int = 2) throws {
        let t = try model.itemEmbeddingTable()
        try self.init(fitting: t.toArray(), rows: t.rows, dimension: t.rowLength, components: components)
    }

    /// The rows of `table` (row-major `rows × dimension`) in component coordinates, row-major
    /// `rows × count`.
    /// - Precondition: `table.count == rows * dimension`.
    public func transform(_ table: [Float], rows: Int) -> [Float] {
        precondition(table.count == rows * dimension, "\(table.count) values do not form \(rows) rows of \(dimension)")
        var centred = table
        for r in 0..<rows { for f in 0..<dimension { centred[r * dimension + f] -= mean[f] } }
        var out = [Float](repeating: 0, count: rows * count)
        centred.withUnsafeBufferPointer { x in
            components.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    BLAS.gemm(transposeB: true, m: rows, n: count, k: dimension, a: x.baseAddress!, lda: dimension,
                              b: v.baseAddress!, ldb: dimension, beta: 0, c: o.baseAddress!, ldc: count)
                }
            }
        }
        return out
    }
}
