import Foundation
import Testing
@testable import EmbedRec

/// Keras' dense Adam written out literally, in Double, over whole parameter arrays: every value
/// is updated every step (with a zero gradient where the batch did not touch it), and step t
/// uses the bias-corrected rate α_t = lr·√(1 − β2ᵗ)/(1 − β1ᵗ):
///
///     m = β1·m + (1 − β1)·g,  v = β2·v + (1 − β2)·g²,  w −= α_t·m/(√v + ε)
///
/// The hyperparameters are the Float values the optimizer is given (Float(0.999) differs
/// from 0.999 by 1.3e-5 in 1 − β2, which shows after a few steps).
struct LiteralDenseAdam {
    let lr: Double, b1: Double, b2: Double, eps: Double
    var w: [[Double]]
    var m: [[Double]]
    var v: [[Double]]

    init(_ parameters: [Tensor], lr: Float, b1: Float = 0.9, b2: Float = 0.999, eps: Float = 1e-7) {
        self.lr = Double(lr); self.b1 = Double(b1); self.b2 = Double(b2); self.eps = Double(eps)
        w = parameters.map { $0.toArray().map(Double.init) }
        m = w.map { [Double](repeating: 0, count: $0.count) }
        v = m
    }

    mutating func step(_ t: Int, gradients: [[Double]]) {
        let alpha = lr * (1 - pow(b2, Double(t))).squareRoot() / (1 - pow(b1, Double(t)))
        for p in w.indices {
            for j in w[p].indices {
                let g = gradients[p][j]
                m[p][j] = b1 * m[p][j] + (1 - b1) * g
                v[p][j] = b2 * v[p][j] + (1 - b2) * g * g
                w[p][j] -= alpha * m[p][j] / (v[p][j].squareRoot() + eps)
            }
        }
    }
}

/// Drives ``OptimizerState`` with hand-made gradients (no model forward pass), so a test
/// decides exactly which rows a step touches and with what.
enum AdamHarness {
    /// Writes one step's gradient into `gradients`: for each sparse parameter the rows in
    /// `touched[p]` (in that order), for each dense parameter every value. `value(p, j)` gives
    /// the gradient of value j of parameter p. Returns the full gradient arrays (zeros where
    /// untouched), as the literal dense reference sees them.
    static func feed(_ gradients: GradientSet, touched: [[Int]], value: (Int, Int) -> Float) -> [[Double]] {
        var full: [[Double]] = []
        for (p, g) in gradients.parameters.enumerated() {
            let t = g.tensor
            var dense = [Double](repeating: 0, count: t.count)
            if t.isSparse {
                let n = t.rowLength
                for r in touched[p] {
                    let slot = g.row(Int32(r))
                    for f in 0..<n {
                        slot[f] = value(p, r * n + f)
                        dense[r * n + f] = Double(slot[f])
                    }
                }
            } else {
                for j in 0..<t.count {
                    g.dense[j] = value(p, j)
                    dense[j] = Double(g.dense[j])
                }
            }
            full.append(dense)
        }
        return full
    }

    /// The largest |ours − reference| over every value of every parameter.
    static func largestGap(_ parameters: [Tensor], _ reference: LiteralDenseAdam) -> Double {
        var gap = 0.0
        for (p, t) in parameters.enumerated() {
            for j in 0..<t.count { gap = max(gap, abs(Double(t[j]) - reference.w[p][j])) }
        }
        return gap
    }

    static func matrixFactorization() throws -> MatrixFactorization {
        // d = 5: rows use both the 4-wide part and the scalar tail of the row kernels.
        try MatrixFactorization(users: 3, items: 2, configuration: .init(dimension: 5, initializer: .uniform(0.5), seed: 8))
    }

    static func mlp() throws -> ConcatMLP {
        // Embedding tables and dense kernels/biases.
        try ConcatMLP(users: 3, items: 2, configuration: .init(
            userDimension: 3, itemDimension: 2, hiddenUnits: [4], embeddingInitializer: .uniform(0.5), seed: 8))
    }
}

/// Adam's bias correction matters in the first steps, where 1 − β1ᵗ and 1 − β2ᵗ are far from
/// 1 (the deferred-Adam reference test in OptimizerTests runs at steps above 20,000, where they
/// are not). Both Adam variants must follow literal dense Adam from step 1.
@Suite("Adam: the first steps are bias-corrected")
struct AdamFirstStepsTests {
    static let optimizers: [Optimizer] = [.adam(learningRate: 0.01), .lazyAdam(learningRate: 0.01)]

    @Test("with a constant gradient, each of the first steps moves a weight by lr (Keras' Adam)",
          arguments: optimizers)
    func constantGradientMovesByLearningRate(_ optimizer: Optimizer) throws {
        // With g constant, the corrected moments are m̂ = g and v̂ = g², so every step moves
        // w by lr·g/(|g| + ε/√(1 − β2ᵗ)) = lr·sign(g) up to 2e-5 relative (|g| ≥ 0.1).
        // Without the correction step 1 would move by lr·(1 − β1)/√(1 − β2) = 3.16·lr.
        for model in [try AdamHarness.matrixFactorization() as any TrainableModel, try AdamHarness.mlp()] {
            let state = OptimizerState(optimizer: optimizer, parameters: model.parameters)
            let gradients = GradientSet(model: model, maxBatch: 8)
            let initial = model.parameters.map { $0.toArray() }
            let allRows = model.parameters.map { Array(0..<$0.rows) }
            // A fixed gradient per value, both signs, |g| in 0.1…0.9.
            let g = { (p: Int, j: Int) -> Float in Float((p + j) % 9 + 1) / 10 * ((p + j) % 2 == 0 ? 1 : -1) }
            let lr: Float = 0.01
            for t in 1...5 {
                _ = AdamHarness.feed(gradients, touched: allRows, value: g)
                state.apply(gradients, step: t, embeddingL2: 0, weightL2: 0)
                gradients.reset()
                for (p, tensor) in model.parameters.enumerated() {
                    for j in 0..<tensor.count {
                        let expected = initial[p][j] - Float(t) * lr * (g(p, j) > 0 ? 1 : -1)
                        #expect(abs(tensor[j] - expected) <= 3e-6,
                                "\(model.summary) \(tensor.name)[\(j)] after step \(t): \(tensor[j]), expected \(expected)")
                    }
                }
            }
        }
    }

    @Test("steps 1…6 with varying gradients match literal dense Adam after every step", arguments: optimizers)
    func firstStepsMatchLiteralDenseAdam(_ optimizer: Optimizer) throws {
        for model in [try AdamHarness.matrixFactorization() as any TrainableModel, try AdamHarness.mlp()] {
            let state = OptimizerState(optimizer: optimizer, parameters: model.parameters)
            let gradients = GradientSet(model: model, maxBatch: 8)
            var reference = LiteralDenseAdam(model.parameters, lr: 0.01)
            var rng = SeededGenerator(seed: 17)
            // Every row is touched every step (so dense, deferred and lazy Adam coincide), in
            // a different order each step.
            for t in 1...6 {
                let touched = model.parameters.map { p -> [Int] in
                    var rows = Array(0..<p.rows); rng.shuffle(&rows); return rows
                }
                let values = (0..<model.parameters.count).map { p in
                    (0..<model.parameters[p].count).map { _ in (rng.nextUnitFloat() * 2 - 1) * 0.5 }
                }
                let full = AdamHarness.feed(gradients, touched: touched) { p, j in values[p][j] }
                state.apply(gradients, step: t, embeddingL2: 0, weightL2: 0)
                gradients.reset()
                reference.step(t, gradients: full)
                let gap = AdamHarness.largestGap(model.parameters, reference)
                #expect(gap <= 1e-6, "\(model.summary): step \(t) is \(gap) away from literal dense Adam")
            }
        }
    }

    @Test("with L2 penalties, the first steps match literal dense Adam on g + 2λw", arguments: optimizers)
    func firstStepsWithL2MatchLiteralDenseAdam(_ optimizer: Optimizer) throws {
        let (embeddingL2, weightL2): (Float, Float) = (0.05, 0.02)
        for model in [try AdamHarness.matrixFactorization() as any TrainableModel, try AdamHarness.mlp()] {
            let state = OptimizerState(optimizer: optimizer, parameters: model.parameters)
            let gradients = GradientSet(model: model, maxBatch: 8)
            var reference = LiteralDenseAdam(model.parameters, lr: 0.01)
            var rng = SeededGenerator(seed: 29)
            let allRows = model.parameters.map { Array(0..<$0.rows) }
            for t in 1...6 {
                let values = (0..<model.parameters.count).map { p in
                    (0..<model.parameters[p].count).map { _ in (rng.nextUnitFloat() * 2 - 1) * 0.1 }
                }
                var full = AdamHarness.feed(gradients, touched: allRows) { p, j in values[p][j] }
                // The penalty λ‖w‖² of each parameter's role joins the gradient as 2λw.
                for (p, tensor) in model.parameters.enumerated() {
                    let l2: Float = tensor.role == .embedding ? embeddingL2 : tensor.role == .weight ? weightL2 : 0
                    for j in full[p].indices { full[p][j] += 2 * Double(l2) * reference.w[p][j] }
                }
                state.apply(gradients, step: t, embeddingL2: embeddingL2, weightL2: weightL2)
                gradients.reset()
                reference.step(t, gradients: full)
                let gap = AdamHarness.largestGap(model.parameters, reference)
                #expect(gap <= 1e-6, "\(model.summary): step \(t) is \(gap) away from literal dense Adam")
            }
        }
    }

    @Test("the first step's known answer: w − lr·√(1−β2)·g/(√(1−β2)·|g| + ε)")
    func firstStepKnownAnswer() throws {
        // One value by hand: w = 0.25, g = 0.002 (small, so ε shows), lr = 0.1, Keras' betas.
        // √(1−β2) = 0.0316227766; √(1−β2)·|g| = 6.32455532e-5; step = 0.1 · 6.32455532e-5 /
        // (6.32455532e-5 + 1e-7) = 0.0998421357; w₁ = 0.25 − 0.0998421357 = 0.1501578643.
        // (Without the bias correction the step would be 0.1 · 0.1·g/(√(1−β2)·|g| + ε) = 0.3157.)
        let model = try MatrixFactorization(users: 1, items: 1, configuration: .init(dimension: 1, initializer: .constant(0.25)))
        let state = OptimizerState(optimizer: .adam(learningRate: 0.1), parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 1)
        _ = AdamHarness.feed(gradients, touched: [[0], [0]]) { p, _ in p == 0 ? 0.002 : 0 }
        state.apply(gradients, step: 1, embeddingL2: 0, weightL2: 0)
        let root = (1 - 0.999).squareRoot() * 0.002
        let expected = 0.25 - 0.1 * root / (root + 1e-7)
        #expect(abs(expected - 0.1501578643) < 1e-9)
        #expect(abs(Double(model.userEmbedding[0]) - expected) <= 1e-7, "\(model.userEmbedding[0]) vs \(expected)")
        // The item row was touched with a zero gradient: it does not move.
        #expect(model.itemEmbedding[0] == 0.25)
    }
}
