// Catalogue scoring for MatrixFactorization, BiasedMF and any FactorizedModel.

import COpenBLAS
import EmbedRecKernels

/// Catalogue scoring for the dot-product family: a block of user rows times the item table.
/// Biases ride along inside the product: user rows are extended with `[b_u + μ, 1]` and item
/// rows with `[1, b_i]`, so `[p_u, b_u + μ, 1]·[q_i, 1, b_i]` is the full logit at the cost of
/// two extra columns instead of another pass over the score block. The output function is
/// monotone, so ranking uses the logit and only winners are mapped.
///
/// The item rows are kept in panels of 16 items (`catalogue_scoring.h`), the layout the
/// scoring kernel reads without repacking them per block as sgemm does; the kernel also drops
/// the 16-item groups that cannot enter a user's top K before they are stored
/// (``filteredRankingScores(userRows:count:items:thresholds:into:hits:arena:)``).
struct DotProductScorer: CatalogueScorer, @unchecked Sendable {
    let width: Int
    /// Where a user's scoring row comes from.
    enum UserRows {
        /// users × width, row-major: a snapshot of the model's tables.
        case copied([Float])
        /// Assembled on request from the model's own tables (`p`, the user biases and the
        /// offset), which the owner guarantees never change: the model is retained here.
        case shared(owner: any Model, p: UnsafeMutablePointer<Float>, bias: UnsafeMutablePointer<Float>?, offset: Float)
    }
    let userRows: UserRows
    /// The item rows `[q_i, 1, b_i]` in panels of 16 items (see `embedrec_pack_panels`).
    let itemPanels: [Float]
    let activation: OutputActivation
    let itemCount: Int
    let dimension: Int
    let newReaders: MatrixFactorization.NewReaderSolve
    /// QᵀQ (d × d) for the implicit-feedback fold-in; empty otherwise.
    let itemGram: [Float]
    /// True for a ``FactorizedModel``'s tables (not a built-in model's).
    var fromFactors = false

    /// - Parameter sharingUserTable: read user rows from the model's tables instead of copying
    ///   them; only for a model nothing will train again (a ``Recommender``'s private one).
    init(model: any Model, d: Int, p: Tensor, q: Tensor, bias: BiasPointers?, activation: OutputActivation,
         sharingUserTable: Bool = false, newReaders: MatrixFactorization.NewReaderSolve = .ratings) {
        self.activation = activation
        itemCount = q.rows
        dimension = d
        self.newReaders = newReaders
        if case .implicitFeedback = newReaders {
            var gram = [Float](repeating: 0, count: d * d)
            gram.withUnsafeMutableBufferPointer { g in
                BLAS.gemm(transposeA: true, m: d, n: d, k: q.rows, a: q.storage, lda: d, b: q.storage, ldb: d,
                          beta: 0, c: g.baseAddress!, ldc: d)
            }
            itemGram = gram
        } else {
            itemGram = []
        }
        // Rows [p, b_u + offset, 1] and [q, 1, b_i]: one dot product gives the biased score.
        let w = bias == nil ? d : d + 2
        width = w
        let itemRows = Self.rows(of: q, d: d, width: w) { row, i in
            if let bias { row[d] = 1; row[d + 1] = bias.item[i] }
        }
        let panelCount = (q.rows + Self.panelItems - 1) / Self.panelItems
        itemPanels = [Float](unsafeUninitializedCapacity: panelCount * Self.panelItems * w) { out, count in
            itemRows.withUnsafeBufferPointer { rows in
                embedrec_pack_panels(out.baseAddress!, rows.baseAddress!, q.rows, w, w)
            }
            count = panelCount * Self.panelItems * w
        }
        if sharingUserTable {
            userRows = .shared(owner: model, p: p.storage, bias: bias?.user, offset: bias?.offset?.pointee ?? 0)
        } else {
            let offset = bias?.offset?.pointee ?? 0
            userRows = .copied(Self.rows(of: p, d: d, width: w) { row, u in
                if let bias { row[d] = bias.user[u] + offset; row[d + 1] = 1 }
            })
        }
    }

    /// A table's rows widened to `width` floats, the extra columns written by `extend`.
    private static func rows(
        of table: Tensor, d: Int, width: Int, extend: (UnsafeMutablePointer<Float>, Int) -> Void
    ) -> [Float] {
        [Float](unsafeUninitializedCapacity: table.rows * width) { out, count in
            let o = out.baseAddress!
            for r in 0..<table.rows {
                (o + r * width).initialize(from: table.storage + r * d, count: d)
                extend(o + r * width, r)
            }
            count = table.rows * width
        }
    }

    var userRowWidth: Int { width }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        switch userRows {
        case .copied(let rows):
            rows.withUnsafeBufferPointer { rows in
                output.update(from: rows.baseAddress! + Int(user) * width, count: width)
            }
        case let .shared(_, p, bias, offset):
            let u = Int(user)
            output.update(from: p + u * dimension, count: dimension)
            if let bias { output[dimension] = bias[u] + offset; output[dimension + 1] = 1 }
        }
    }

    /// Items per panel of ``itemPanels``.
    static let panelItems = Int(EMBEDREC_PANEL_ITEMS)

    /// Copies item `item`'s row `[q_i, 1, b_i]` out of its panel.
    func copyItemRow(_ item: Int, into output: UnsafeMutablePointer<Float>) {
        itemPanels.withUnsafeBufferPointer { panels in
            let lane = item % Self.panelItems
            let panel = panels.baseAddress! + (item - lane) * width
            for f in 0..<width { output[f] = panel[f * Self.panelItems + lane] }
        }
    }

    func rankingScores(
        userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        let misalignment = range.lowerBound % Self.panelItems
        guard misalignment != 0 else {
            score(rows, count, range, output, ldo: range.count, thresholds: nil, hits: nil)
            return
        }
        // The kernel starts at a panel: score from the panel's first item, keep the range.
        let wide = (range.lowerBound - misalignment)..<range.upperBound
        let scratch = arena.take(count * wide.count)
        score(rows, count, wide, scratch, ldo: wide.count, thresholds: nil, hits: nil)
        for r in 0..<count {
            output.advanced(by: r * range.count).update(from: scratch + r * wide.count + misalignment, count: range.count)
        }
    }

    var filtersScores: Bool { true }

    func filteredRankingScores(
        userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>, thresholds: UnsafePointer<Float>,
        into output: UnsafeMutablePointer<Float>, hits: UnsafeMutablePointer<UInt64>, arena: ScratchArena
    ) {
        precondition(range.lowerBound % Self.panelItems == 0, "a filtered tile starts at a panel")
        score(rows, count, range, output, ldo: range.count, thresholds: thresholds, hits: hits)
    }

    /// The kernel over the panels from `range.lowerBound` (a multiple of 16).
    private func score(
        _ rows: UnsafePointer<Float>, _ count: Int, _ range: Range<Int>, _ output: UnsafeMutablePointer<Float>,
        ldo: Int, thresholds: UnsafePointer<Float>?, hits: UnsafeMutablePointer<UInt64>?
    ) {
        itemPanels.withUnsafeBufferPointer { panels in
            let first = panels.baseAddress! + range.lowerBound * width
            // The 512-bit variant measured no faster on Zen 4/5 (Docs/Benchmarks.md), so AVX2
            // serves until a machine shows a gain; both give the same bits.
            if CPUFeatures.hasAVX2AndFMA {
                embedrec_score_panels_avx2(output, ldo, rows, count, width, first, range.count, thresholds, hits)
            } else {
                embedrec_score_panels_portable(output, ldo, rows, count, width, first, range.count, thresholds, hits)
            }
        }
    }

    /// Ridge regression for the new user's row with the item rows frozen: minimises
    /// Σ (t_j − x·[q_j, 1] − b_j)² + λ‖x‖² over x = [p, b_u + μ] (or x = p without biases), where
    /// t_j is the rating, mapped through the inverse sigmoid for a sigmoid-scaled output.
    /// Solved as a (d+1)×(d+1) symmetric positive-definite system with LAPACKE `sposv`.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        if case let .implicitFeedback(alpha, lambda, threshold, weighting, scaling) = newReaders {
            return try implicitFoldIn(items: items, ratings: ratings, alpha: alpha, regularization: lambda,
                                      threshold: threshold, weighting: weighting, scaling: scaling ?? .constant)
        }
        let hasBias = width != dimension
        let unknowns = hasBias ? dimension + 1 : dimension
        var a = [Float](repeating: 0, count: unknowns * unknowns)
        var b = [Float](repeating: 0, count: unknowns)
        var features = [Float](repeating: 0, count: unknowns)
        var row = [Float](repeating: 0, count: width)
        for (j, item) in items.enumerated() {
            row.withUnsafeMutableBufferPointer { copyItemRow(Int(item), into: $0.baseAddress!) }
            for f in 0..<dimension { features[f] = row[f] }
            var target = activation.inverse(ratings[j])
            if hasBias { features[dimension] = 1; target -= row[dimension + 1] }
            for r in 0..<unknowns {
                b[r] += target * features[r]
                for c in 0..<unknowns { a[r * unknowns + c] += features[r] * features[c] }
            }
        }
        for r in 0..<unknowns { a[r * unknowns + r] += max(regularization, 1e-6) }
        try a.withUnsafeMutableBufferPointer { ap in
            try b.withUnsafeMutableBufferPointer { bp in
                try LAPACK.solveSymmetricPositiveDefinite(ap.baseAddress!, n: unknowns, bp.baseAddress!)
            }
        }
        return hasBias ? b + [1] : b
    }

    /// The exact weighted-ALS row for a new reader: `(QᵀQ + λI + Σ (c_i − 1) q_i q_iᵀ) x = Σ c_i q_i`
    /// with `c_i = 1 + α·w(r_i)` (Cholesky, `sposv`), λ times the reader's positives under
    /// ALS-WR. The model's own λ is used: the fold-in regularization is for the rating models'
    /// ridge solve.
    func implicitFoldIn(items: [Int32], ratings: [Float], alpha: Float, regularization: Float,
                        threshold: Float?, weighting: InteractionWeighting,
                        scaling: ImplicitALS.RegularizationScaling) throws -> [Float] {
        let d = dimension
        // The reader's positives, as the fit's lists hold them: ratings below the threshold are none.
        let positives = zip(items, ratings).filter { threshold == nil || $0.1 >= threshold! }
        // ALS-WR: λ times the reader's positives (at least one), as the fit gave every user.
        let lambda = scaling == .interactionCount ? regularization * Float(max(1, positives.count)) : regularization
        var a = itemGram
        for f in 0..<d { a[f * d + f] += max(lambda, 1e-6) }
        var b = [Float](repeating: 0, count: d)
        var q = [Float](repeating: 0, count: width)
        for (item, rating) in positives {
            q.withUnsafeMutableBufferPointer { copyItemRow(Int(item), into: $0.baseAddress!) }
            let c = 1 + alpha * weighting.weight(forRating: rating)
            for r in 0..<d {
                b[r] += c * q[r]
                for s in 0..<d { a[r * d + s] += (c - 1) * q[r] * q[s] }
            }
        }
        try a.withUnsafeMutableBufferPointer { ap in
            try b.withUnsafeMutableBufferPointer { bp in
                try LAPACK.solveSymmetricPositiveDefinite(ap.baseAddress!, n: d, bp.baseAddress!)
            }
        }
        return b
    }

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { activation.apply(rankingScore) }
}
