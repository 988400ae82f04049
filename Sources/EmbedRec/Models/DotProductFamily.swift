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
        let loss = context.lossGradient(predictions: predictions, targets: batch.ratings, count: n, into: lossGradient)
        let gradients = context.gradients
        let gp = gradients[0], gq = gradients[1]
        let gbu = bias == nil ? nil : gradients[2], gbi = bias == nil ? nil : gradients[3]
        let goffset = gradients.parameters.count > 4 ? gradients[4] : nil
        for k in 0..<n {
            let u = batch.users[k], i = batch.items[k]
            let g = lossGradient[k] * activation.derivative(logits[k], predictions[k])
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

    static func predict(
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
    /// users × width and items × width, row-major (kept alive by the arrays).
    let userRows: [Float]
    let itemRows: [Float]
    let activation: OutputActivation
    let itemCount: Int
    let dimension: Int

    init(model: any Model, d: Int, p: Tensor, q: Tensor, bias: BiasPointers?, activation: OutputActivation) {
        self.activation = activation
        itemCount = q.rows
        dimension = d
        if let bias {
            let w = d + 2
            let offset = bias.offset?.pointee ?? 0
            var users = [Float](repeating: 0, count: p.rows * w)
            for u in 0..<p.rows {
                for f in 0..<d { users[u * w + f] = p.storage[u * d + f] }
                users[u * w + d] = bias.user[u] + offset
                users[u * w + d + 1] = 1
            }
            var items = [Float](repeating: 0, count: q.rows * w)
            for i in 0..<q.rows {
                for f in 0..<d { items[i * w + f] = q.storage[i * d + f] }
                items[i * w + d] = 1
                items[i * w + d + 1] = bias.item[i]
            }
            width = w; userRows = users; itemRows = items
        } else {
            width = d; userRows = p.toArray(); itemRows = q.toArray()
        }
    }

    var userRowWidth: Int { width }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        userRows.withUnsafeBufferPointer { rows in
            output.update(from: rows.baseAddress! + Int(user) * width, count: width)
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
            BLAS.gemm(transposeB: true, m: count, n: range.count, k: width, a: rows, lda: width,
                      b: items.baseAddress! + range.lowerBound * width, ldb: width,
                      beta: beta, c: output, ldc: range.count)
        }
    }

    /// Ridge regression for the new user's row with the item rows frozen: minimises
    /// Σ (t_j − x·[q_j, 1] − b_j)² + λ‖x‖² over x = [p, b_u + μ] (or x = p without biases), where
    /// t_j is the rating, mapped through the inverse sigmoid for a sigmoid-scaled output.
    /// Solved as a (d+1)×(d+1) symmetric positive-definite system with LAPACKE `sposv`.
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
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

    func predictedRating(rankingScore: Float, item: Int32) -> Float { activation.apply(rankingScore) }
}
