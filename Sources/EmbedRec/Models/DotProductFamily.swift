// Kernels and catalogue scoring shared by MatrixFactorization and BiasedMF.

import EmbedRecKernels

/// The bias terms of ``BiasedMF`` as raw pointers for the kernels.
struct BiasPointers {
    let user: UnsafeMutablePointer<Float>
    let item: UnsafeMutablePointer<Float>
    let offset: UnsafeMutablePointer<Float>?
}

/// Shared kernels of the dot-product family. The per-example work is a d-length dot product
/// and two scaled row updates: memory-bound row traffic, not a matrix product, so it stays a
/// plain loop (sgemm is used where rows meet the whole catalogue: scoring).
enum DotProductKernels {

    @inline(__always)
    static func dot(_ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, _ d: Int) -> Float {
        VectorKernels.dot(a, b, d)
    }

    /// Forward pass for the batch (logits and predictions), the trainer's loss for
    /// ∂loss/∂prediction, then the backward pass into the gradient slots.
    static func trainStep(
        _ batch: TrainingBatch, _ context: TrainingContext, d: Int,
        p: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>,
        bias: BiasPointers?, activation: OutputActivation
    ) -> Double {
        let n = batch.count
        let arena = context.arena
        let logits = arena.take(n), predictions = arena.take(n), lossGradient = arena.take(n)
        let ahead = 16
        for k in 0..<n {
            let u = Int(batch.users[k]), i = Int(batch.items[k])
            if k + ahead < n {
                // Rows are scattered: start fetching a later example's rows now.
                VectorKernels.prefetchRow(p + Int(batch.users[k + ahead]) * d, d)
                VectorKernels.prefetchRow(q + Int(batch.items[k + ahead]) * d, d)
            }
            var z = dot(p + u * d, q + i * d, d)
            if let bias {
                z += bias.user[u] + bias.item[i]
                if let o = bias.offset { z += o.pointee }
            }
            logits[k] = z
            predictions[k] = activation.apply(z)
        }
        let loss = context.lossGradient(predictions: predictions, targets: batch.targets, count: n, into: lossGradient)
        let gradients = context.gradients
        let gp = gradients[0], gq = gradients[1]
        let gbu = bias == nil ? nil : gradients[2], gbi = bias == nil ? nil : gradients[3]
        let goffset = gradients.parameters.count > 4 ? gradients[4] : nil
        for k in 0..<n {
            let u = batch.users[k], i = batch.items[k]
            let g = lossGradient[k] * activation.derivative(logits[k], predictions[k])
            // A ranking loss that pairs a positive with its hardest negative leaves the other
            // negatives at exactly zero: they neither add nor count as touched rows.
            if g == 0 { continue }
            VectorKernels.axpy(g, q + Int(i) * d, gp.row(u), d)
            VectorKernels.axpy(g, p + Int(u) * d, gq.row(i), d)
            if let gbu, let gbi {
                gbu.row(u).pointee += g
                gbi.row(i).pointee += g
                if let goffset { goffset.dense.pointee += g }
            }
        }
        return loss
    }

    /// ``Optimizer/onlineSGD(learningRate:)``: each example is scored with the rows as the
    /// examples before it left them, and its gradient (L2 included) is applied to its two rows
    /// and biases at once. Returns the batch's summed loss.
    static func trainOnline(
        _ batch: TrainingBatch, _ context: TrainingContext, _ step: OnlineSGDStep, d: Int,
        p: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>,
        bias: BiasPointers?, trainsOffset: Bool, activation: OutputActivation
    ) -> Double {
        let n = batch.count
        let lr = step.learningRate, l2 = step.embeddingL2, twoBiasL2 = 2 * step.biasL2
        // One example's prediction and loss gradient, for the trainer's loss.
        let scratch = context.arena.take(2)
        let ahead = 8
        var loss = 0.0
        for k in 0..<n {
            if k + ahead < n {
                VectorKernels.prefetchRow(p + Int(batch.users[k + ahead]) * d, d)
                VectorKernels.prefetchRow(q + Int(batch.items[k + ahead]) * d, d)
            }
            let u = Int(batch.users[k]), i = Int(batch.items[k])
            let pu = p + u * d, qi = q + i * d
            var z = dot(pu, qi, d)
            if let bias {
                z += bias.user[u] + bias.item[i]
                if let o = bias.offset { z += o.pointee }
            }
            scratch[0] = activation.apply(z)
            loss += context.lossGradient(predictions: scratch, targets: batch.targets + k, count: 1, into: scratch + 1)
            let g = scratch[1] * activation.derivative(z, scratch[0])
            VectorKernels.sgdPair(pu, qi, d, g: g, lr: lr, l2: l2)
            if let bias {
                bias.user[u] -= lr * (g + twoBiasL2 * bias.user[u])
                bias.item[i] -= lr * (g + twoBiasL2 * bias.item[i])
                if trainsOffset, let o = bias.offset { o.pointee -= lr * g }
            }
        }
        return loss
    }

    static func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, d: Int,
        p: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>,
        bias: BiasPointers?, activation: OutputActivation
    ) {
        for k in 0..<count {
            let u = Int(users[k]), i = Int(items[k])
            var z = dot(p + u * d, q + i * d, d)
            if let bias {
                z += bias.user[u] + bias.item[i]
                if let o = bias.offset { z += o.pointee }
            }
            output[k] = activation.apply(z)
        }
    }
}

/// Catalogue scoring for the dot-product family: a block of user rows times the item table
/// (one sgemm). Biases ride along inside the product: user rows are extended with
/// `[b_u + μ, 1]` and item rows with `[1, b_i]`, so `[p_u, b_u + μ, 1]·[q_i, 1, b_i]` is the
/// full logit at the cost of two extra columns instead of another pass over the score block.
/// The output function is monotone, so ranking uses the logit and only winners are mapped.
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
    /// items × width, row-major (kept alive by the array).
    let itemRows: [Float]
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
        itemRows = Self.rows(of: q, d: d, width: w) { row, i in
            if let bias { row[d] = 1; row[d + 1] = bias.item[i] }
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

    func rankingScores(
        userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        gemm(rows, count, range, output, beta: 0)
    }

    func rankingScores(
        userRows rows: UnsafePointer<Float>, count: Int, items range: Range<Int>,
        intoZeroed output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        gemm(rows, count, range, output, beta: 1)
    }

    private func gemm(
        _ rows: UnsafePointer<Float>, _ count: Int, _ range: Range<Int>, _ output: UnsafeMutablePointer<Float>,
        beta: Float
    ) {
        itemRows.withUnsafeBufferPointer { items in
            let tile = items.baseAddress! + range.lowerBound * width
            if count == 1 {
                // One user (a served request): sgemv reads the item rows once, where sgemm
                // would first copy the whole tile into its packed layout for a single row.
                BLAS.gemv(m: range.count, n: width, a: tile, lda: width, x: rows, beta: beta, y: output)
            } else {
                BLAS.gemm(transposeB: true, m: count, n: range.count, k: width, a: rows, lda: width,
                          b: tile, ldb: width, beta: beta, c: output, ldc: range.count)
            }
        }
    }

    /// Ridge regression for the new user's row with the item rows frozen: minimises
    /// Σ (t_j − x·[q_j, 1] − b_j)² + λ‖x‖² over x = [p, b_u + μ] (or x = p without biases), where
    /// t_j is the rating, mapped through the inverse sigmoid for a sigmoid-scaled output.
    /// Solved as a (d+1)×(d+1) symmetric positive-definite system with LAPACKE `sposv`.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        if case let .implicitFeedback(alpha, lambda, threshold, weighting) = newReaders {
            return try implicitFoldIn(items: items, ratings: ratings, alpha: alpha, regularization: lambda,
                                      threshold: threshold, weighting: weighting)
        }
        let hasBias = width != dimension
        let unknowns = hasBias ? dimension + 1 : dimension
        var a = [Float](repeating: 0, count: unknowns * unknowns)
        var b = [Float](repeating: 0, count: unknowns)
        var features = [Float](repeating: 0, count: unknowns)
        itemRows.withUnsafeBufferPointer { rows in
            for (j, item) in items.enumerated() {
                let row = rows.baseAddress! + Int(item) * width
                for f in 0..<dimension { features[f] = row[f] }
                var target = activation.inverse(ratings[j])
                if hasBias { features[dimension] = 1; target -= row[dimension + 1] }
                for r in 0..<unknowns {
                    b[r] += target * features[r]
                    for c in 0..<unknowns { a[r * unknowns + c] += features[r] * features[c] }
                }
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
    /// with `c_i = 1 + α·w(r_i)` (Cholesky, `sposv`). The model's own λ is used: the fold-in
    /// regularization is for the rating models' ridge solve.
    func implicitFoldIn(items: [Int32], ratings: [Float], alpha: Float, regularization: Float,
                        threshold: Float?, weighting: InteractionWeighting) throws -> [Float] {
        let d = dimension
        var a = itemGram
        for f in 0..<d { a[f * d + f] += max(regularization, 1e-6) }
        var b = [Float](repeating: 0, count: d)
        itemRows.withUnsafeBufferPointer { rows in
            for (item, rating) in zip(items, ratings) {
                if let threshold, rating < threshold { continue }
                let q = rows.baseAddress! + Int(item) * width
                let c = 1 + alpha * weighting.weight(forRating: rating)
                for r in 0..<d {
                    b[r] += c * q[r]
                    for s in 0..<d { a[r * d + s] += (c - 1) * q[r] * q[s] }
                }
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
