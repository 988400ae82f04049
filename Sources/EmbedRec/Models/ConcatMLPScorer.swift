import RealModule
import EmbedRecKernels

/// Catalogue scoring for ``ConcatMLP``: the first layer splits into a user half and an item
/// half, `x·W₁ = p_u·W₁ᵤ + q_i·W₁ᵢ`. The item half (plus bias) is computed once for the whole
/// catalogue; per user only `p_u·W₁ᵤ` is added, and the remaining layers run as sgemm over the
/// catalogue.
struct ConcatMLPScorer: CatalogueScorer, @unchecked Sendable {
    let model: ConcatMLP
    /// items × widths[1]: q_i · W₁ᵢ + b₁.
    let itemHalf: [Float]
    /// The mean user embedding: the starting point of fold-in.
    let meanUserRow: [Float]
    var itemCount: Int { model.itemCount }

    init(model: ConcatMLP) {
        self.model = model
        var mean = [Float](repeating: 0, count: model.configuration.userDimension)
        for u in 0..<model.userCount {
            for f in 0..<mean.count { mean[f] += model.userEmbedding.storage[u * mean.count + f] }
        }
        meanUserRow = mean.map { $0 / Float(max(model.userCount, 1)) }
        let du = model.configuration.userDimension, di = model.configuration.itemDimension
        let h = model.widths[1], n = model.itemCount
        var half = [Float](repeating: 0, count: n * h)
        half.withUnsafeMutableBufferPointer { out in
            let o = out.baseAddress!
            for i in 0..<n { (o + i * h).update(from: model.biases[0].storage, count: h) }
            BLAS.gemm(m: n, n: h, k: di, a: model.itemEmbedding.storage, lda: di,
                      b: model.kernels[0].storage + du * h, ldb: h, beta: 1, c: o, ldc: h)
        }
        itemHalf = half
    }

    var userRowWidth: Int { model.configuration.userDimension }

    func copyUserRow(_ user: Int32, into output: UnsafeMutablePointer<Float>) {
        let du = userRowWidth
        output.update(from: model.userEmbedding.storage + Int(user) * du, count: du)
    }

    func rankingScores(
        userRows gathered: UnsafePointer<Float>, count: Int, items range: Range<Int>,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        let du = model.configuration.userDimension
        let widths = model.widths, layers = model.kernels.count
        let n = range.count, h1 = widths[1], first = range.lowerBound
        // User halves for the block: count × h1.
        let userHalf = arena.take(count * h1)
        BLAS.gemm(m: count, n: h1, k: du, a: gathered, lda: du, b: model.kernels[0].storage, ldb: h1,
                  c: userHalf, ldc: h1)
        let hidden = arena.take(n * h1)
        let widest = widths.dropFirst(2).max() ?? 1
        let bufferA = arena.take(n * widest), bufferB = arena.take(n * widest)
        itemHalf.withUnsafeBufferPointer { itemHalf in
            let ih = itemHalf.baseAddress! + first * h1
            for k in 0..<count {
                let uh = userHalf + k * h1
                let out = output + k * n
                if layers == 1 {
                    // No hidden layer: the "first layer" is the output layer.
                    for i in 0..<n { out[i] = ih[i] + uh[0] }
                    continue
                }
                for i in 0..<n {
                    let src = ih + i * h1, dst = hidden + i * h1
                    for j in 0..<h1 { dst[j] = max(0, src[j] + uh[j]) }
                }
                var current = hidden
                for l in 1..<layers {
                    let win = widths[l], wout = widths[l + 1]
                    let isLast = l == layers - 1
                    let dst = isLast ? out : (current == bufferA ? bufferB : bufferA)
                    let b = model.biases[l].storage
                    for i in 0..<n { (dst + i * wout).update(from: b, count: wout) }
                    BLAS.gemm(m: n, n: wout, k: win, a: current, lda: win, b: model.kernels[l].storage,
                              ldb: wout, beta: 1, c: dst, ldc: wout)
                    if !isLast { for j in 0..<(n * wout) { dst[j] = max(0, dst[j]) } }
                    current = dst
                }
            }
        }
    }

    func score(fromRankingScore rankingScore: Float, item: Int32) -> Float { model.configuration.output.apply(rankingScore) }

    /// A few Adam steps on the new user's embedding alone (items and weights frozen), from the
    /// mean user embedding, minimising Σ (y_j − r_j)² + λ‖p‖². Uses the precomputed item half of
    /// the first layer, so each step costs O(rated items × layer sizes).
    func foldIn(items: [Int32], ratings: [Float], regularization: Float) throws -> [Float] {
        let du = model.configuration.userDimension
        let widths = model.widths, layers = model.kernels.count
        let activation = model.configuration.output
        var x = meanUserRow
        var m = [Float](repeating: 0, count: du), v = m
        let steps = 80
        let lr: Float = 0.05
        let w1 = model.kernels[0].storage
        for step in 1...steps {
            var grad = [Float](repeating: 0, count: du)
            for f in 0..<du { grad[f] = 2 * regularization * x[f] }
            for (j, item) in items.enumerated() {
                // Forward, keeping each layer's pre-activations.
                var pre: [[Float]] = []
                var current = [Float](repeating: 0, count: widths[1])
                for h in 0..<widths[1] {
                    var s = itemHalf[Int(item) * widths[1] + h]
                    for f in 0..<du { s += x[f] * w1[f * widths[1] + h] }
                    current[h] = s
                }
                pre.append(current)
                for l in 1..<layers {
                    let input = current.map { max(0, $0) }
                    let win = widths[l], wout = widths[l + 1]
                    let w = model.kernels[l].storage, b = model.biases[l].storage
                    var out = [Float](repeating: 0, count: wout)
                    for o in 0..<wout {
                        var s = b[o]
                        for i in 0..<win { s += input[i] * w[i * wout + o] }
                        out[o] = s
                    }
                    pre.append(out)
                    current = out
                }
                let z = current[0], y = activation.apply(z)
                // Backward to the first layer's pre-activation.
                var delta = [2 * (y - ratings[j]) * activation.derivative(z, y)]
                for l in stride(from: layers - 1, through: 1, by: -1) {
                    let win = widths[l], wout = widths[l + 1]
                    let w = model.kernels[l].storage
                    var back = [Float](repeating: 0, count: win)
                    for i in 0..<win where pre[l - 1][i] > 0 {
                        var s: Float = 0
                        for o in 0..<wout { s += delta[o] * w[i * wout + o] }
                        back[i] = s
                    }
                    delta = back
                }
                if layers == 1 { delta = [delta[0]] }
                for f in 0..<du {
                    var s: Float = 0
                    for h in 0..<widths[1] { s += delta[h] * w1[f * widths[1] + h] }
                    grad[f] += s
                }
            }
            let alpha = lr * (1 - Float.pow(0.999, Float(step))).squareRoot() / (1 - Float.pow(0.9, Float(step)))
            for f in 0..<du {
                m[f] = 0.9 * m[f] + 0.1 * grad[f]
                v[f] = 0.999 * v[f] + 0.001 * grad[f] * grad[f]
                x[f] -= alpha * m[f] / (v[f].squareRoot() + 1e-7)
            }
        }
        return x
    }
}
