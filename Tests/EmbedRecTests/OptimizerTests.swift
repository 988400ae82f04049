import Testing
import EmbedRecKernels
import RealModule
@testable import EmbedRec
import COpenBLAS

/// `Optimizer.adam` must follow Keras' dense Adam on embedding tables (rows untouched by a
/// batch keep drifting with their momentum), computed lazily; `lazyAdam` must not drift.
@Suite("Optimizer")
struct OptimizerTests {
    /// Applies the same sequence of sparse gradients through `OptimizerState` and through a
    /// straightforward dense Adam over whole tables, and returns both final parameter sets.
    static func run(_ optimizer: Optimizer, steps: Int, stepOffset: Int, l2: Float = 0) throws -> (ours: [[Float]], dense: [[Float]]) {
        let model = try MatrixFactorization(users: 5, items: 4, configuration: .init(dimension: 3, initializer: .uniform(0.5), seed: 3))
        let state = OptimizerState(optimizer: optimizer, parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 8)
        let context = TrainingContext(gradients: gradients, arena: ScratchArena(), rng: SeededGenerator(seed: 1),
                                      loss: ScaledSquaredError(scale: 1))
        var reference = model.parameters.map { $0.toArray() }
        var m = reference.map { [Float](repeating: 0, count: $0.count) }
        var v = m
        var rng = SeededGenerator(seed: 9)
        let (lr, b1, b2, eps): (Float, Float, Float, Float) = (0.01, 0.9, 0.999, 1e-7)
        for s in 1...(steps + 1) {
            if s == steps + 1 {
                // Flush: touch every row with a zero gradient, so pending drift is applied.
                for gradient in gradients.parameters { for r in 0..<gradient.tensor.rows { _ = gradient.row(Int32(r)) } }
            } else {
            // Mostly user 0–1 and item 0; users 2–4 and items 1–3 are touched now and then.
            let users: [Int32] = [Int32(rng.nextInt(below: 2)), s % 7 == 0 ? Int32(2 + rng.nextInt(below: 3)) : 0]
            let items: [Int32] = [0, s % 5 == 0 ? Int32(1 + rng.nextInt(below: 3)) : 0]
            let targets: [Float] = [4, 2]
            users.withUnsafeBufferPointer { u in
                items.withUnsafeBufferPointer { i in
                    targets.withUnsafeBufferPointer { r in
                        _ = model.trainStep(TrainingBatch(users: u.baseAddress!, items: i.baseAddress!,
                                                          targets: r.baseAddress!, count: 2), context)
                    }
                }
            }
            }
            // The same gradient as dense tables.
            for (p, gradient) in gradients.parameters.enumerated() {
                var dense = [Float](repeating: 0, count: reference[p].count)
                let n = gradient.rowLength
                for k in 0..<gradient.touchedCount {
                    let row = Int(gradient.touchedRows[k])
                    // L2 (2λw) joins the gradient of the rows a batch touches.
                    for f in 0..<n { dense[row * n + f] = gradient.values[k * n + f] + 2 * l2 * reference[p][row * n + f] }
                }
                let t = Float(s + stepOffset)
                let alpha = lr * (1 - Float.pow(b2, t)).squareRoot() / (1 - Float.pow(b1, t))
                for j in 0..<dense.count {
                    m[p][j] = b1 * m[p][j] + (1 - b1) * dense[j]
                    v[p][j] = b2 * v[p][j] + (1 - b2) * dense[j] * dense[j]
                    reference[p][j] -= alpha * m[p][j] / (v[p][j].squareRoot() + eps)
                }
            }
            state.apply(gradients, step: s + stepOffset, embeddingL2: l2, weightL2: 0)
            gradients.reset()
        }
        return (model.parameters.map { $0.toArray() }, reference)
    }

    @Test("adam matches dense Adam on every row, including rarely touched ones")
    func deferredDenseAdam() throws {
        // Late in training (large step) the bias correction is constant, where the closed form
        // is exact up to ε. Every row, including those untouched for many steps, must match.
        let (ours, dense) = try Self.run(.adam(learningRate: 0.01), steps: 60, stepOffset: 20_000)
        var moved = false
        for (p, values) in ours.enumerated() {
            for j in 0..<values.count {
                #expect(abs(values[j] - dense[p][j]) <= 1e-4 * max(1, abs(dense[p][j])),
                        "parameter \(p) value \(j): \(values[j]) vs dense \(dense[p][j])")
            }
        }
        let initial = try MatrixFactorization(users: 5, items: 4, configuration: .init(dimension: 3, initializer: .uniform(0.5), seed: 3))
        // The rarely touched rows (users 2–4, items 1–3) did move.
        for j in 6..<15 where abs(ours[0][j] - initial.userEmbedding[j]) > 1e-3 { moved = true }
        #expect(moved)
    }

    @Test("adam with L2 on touched rows matches dense Adam")
    func deferredDenseAdamWithL2() throws {
        // The catch-up applies L2 to the weight before the skipped steps' drift; the difference
        // must stay far below the tolerance of the drift approximation itself.
        let (ours, dense) = try Self.run(.adam(learningRate: 0.01), steps: 60, stepOffset: 20_000, l2: 0.05)
        let (plain, _) = try Self.run(.adam(learningRate: 0.01), steps: 60, stepOffset: 20_000)
        for (p, values) in ours.enumerated() {
            for j in 0..<values.count {
                #expect(abs(values[j] - dense[p][j]) <= 1e-4 * max(1, abs(dense[p][j])),
                        "parameter \(p) value \(j): \(values[j]) vs dense \(dense[p][j])")
            }
        }
        #expect(ours != plain, "the L2 term should change the weights")
    }

    @Test("lazyAdam differs from dense Adam on rarely touched rows")
    func lazyAdamDoesNotDrift() throws {
        // Each run is compared with dense Adam fed its own gradient sequence.
        let (lazy, dense) = try Self.run(.lazyAdam(learningRate: 0.01), steps: 60, stepOffset: 20_000)
        let (deferred, deferredDense) = try Self.run(.adam(learningRate: 0.01), steps: 60, stepOffset: 20_000)
        // Item 1–3 rows are touched every fifth step at most: dense Adam keeps moving them in
        // between, lazy Adam does not, so the lazy rows must lag behind.
        var lazyGap: Float = 0, deferredGap: Float = 0
        for j in 3..<12 {
            lazyGap = max(lazyGap, abs(lazy[1][j] - dense[1][j]))
            deferredGap = max(deferredGap, abs(deferred[1][j] - deferredDense[1][j]))
        }
        #expect(lazyGap > 10 * max(deferredGap, 1e-6), "lazy gap \(lazyGap), deferred gap \(deferredGap)")
    }
}

/// The 256-bit C kernels must perform exactly the portable Swift kernels' arithmetic, so that
/// weights do not depend on the CPU the model was trained on.
@Suite("Adam kernels")
struct AdamKernelTests {
    static func rows(_ n: Int, seed: UInt64) -> (w: [Float], g: [Float], m: [Float], s: [Float]) {
        var rng = SeededGenerator(seed: seed)
        func draw(_ scale: Float) -> [Float] { (0..<n).map { _ in (rng.nextUnitFloat() * 2 - 1) * scale } }
        return (draw(0.5), draw(0.1), draw(0.01), draw(0.001).map { abs($0) })
    }

    @Test("AVX2 and portable Adam updates are bit-identical", .enabled(if: VectorKernels.hasAVX2, "needs AVX2"),
          arguments: [1, 3, 7, 8, 13, 50, 64])
    func adamBitIdentical(n: Int) {
        var a = Self.rows(n, seed: UInt64(n)), b = a
        embedrec_adam_avx2(&a.w, a.g, &a.m, &a.s, n, 1e-3, 0.9, 0.999, 1e-7, 0.01)
        VectorKernels.adamPortable(&b.w, b.g, &b.m, &b.s, n, alpha: 1e-3, b1: 0.9, b2: 0.999, eps: 1e-7, l2: 0.01)
        #expect(a.w == b.w && a.m == b.m && a.s == b.s)
        #expect(a.w != Self.rows(n, seed: UInt64(n)).w, "the update should change the weights")
    }

    @Test("AVX2 and portable catch-up updates are bit-identical", .enabled(if: VectorKernels.hasAVX2, "needs AVX2"),
          arguments: [1, 3, 7, 8, 13, 50, 64])
    func catchUpBitIdentical(n: Int) {
        var a = Self.rows(n, seed: UInt64(100 + n)), b = a
        let (b1, b2, d1, d2): (Float, Float, Float, Float) = (0.9, 0.999, 0.35, 0.99)
        embedrec_adam_catch_up_avx2(&a.w, a.g, &a.m, &a.s, n, 1e-3, b1 * d1, b2 * d2, 1 - b1, 1 - b2, 1e-7, 0.01, 4e-3)
        VectorKernels.adamWithCatchUpPortable(&b.w, b.g, &b.m, &b.s, n, alpha: 1e-3, b1: b1, b2: b2, eps: 1e-7, l2: 0.01,
                                              drift: 4e-3, decay1: d1, decay2: d2)
        #expect(a.w == b.w && a.m == b.m && a.s == b.s, "w \(a.w.prefix(3)) vs \(b.w.prefix(3)); m \(a.m.prefix(3)) vs \(b.m.prefix(3)); s \(a.s.prefix(3)) vs \(b.s.prefix(3))")
    }
}
