/// The optimizer that turns one batch's gradients into parameter updates.
public enum Optimizer: Sendable, Hashable, Codable {
    /// Adam with Keras' defaults (`lr` 0.001, β1 0.9, β2 0.999, ε 1e-7), with the semantics of
    /// Keras' dense Adam at the cost of a sparse one.
    ///
    /// Dense Adam (what Keras applies to an `Embedding`) decays the moments of *every* row each
    /// step and keeps moving rows whose momentum is non-zero even when the batch did not touch
    /// them; done literally that costs O(table) per step. EmbedRec defers it: each table row
    /// remembers the step of its last update, and when a batch touches it again, the skipped
    /// zero-gradient steps are applied in closed form — moments decayed by β1ᵏ and β2ᵏ, and the
    /// momentum's drift `Σₛ α·β1ˢm/(√(β2ˢv) + ε) ≈ α·m/√v·Σₛ(β1/√β2)ˢ` — before the new
    /// gradient's step. A row touched at every step follows literal dense Adam exactly, bias
    /// correction included. For a row that skipped steps the catch-up holds ε and the bias
    /// correction at the current step: exact once the correction is ≈ 1 (after some thousands
    /// of steps with β2 = 0.999), an approximation before that. Rows never touched again keep
    /// their pending drift, which only matters for rows the data never uses.
    case adam(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7)
    /// Lazy (sparse) Adam, as TensorFlow Addons' `LazyAdam`: only the rows a batch touches have
    /// their moments decayed and their values updated; untouched rows do not drift. Slightly
    /// cheaper than ``adam(learningRate:beta1:beta2:epsilon:)``; rare rows learn more slowly.
    case lazyAdam(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7)
    /// Plain stochastic gradient descent: `w -= learningRate · g`, with `g` the batch's summed
    /// (or averaged, as the loss reduces) gradient.
    case sgd(learningRate: Float)
    /// Stochastic gradient descent one example at a time, as scikit-surprise's SVD and LIBMF
    /// train: each rating's gradient, L2 included, is applied to its user's and item's rows
    /// before the next rating is scored. Batches then only group the work (one batch of 64 is
    /// 64 updates), and the loss's reduction is over one example. No gradient slots are
    /// written, so each example moves its two rows once instead of three times.
    ///
    /// For ``MatrixFactorization`` and ``BiasedMF``; other models are refused when training
    /// starts. With a ranking loss (``BPRLoss``, ``SampledSoftmaxLoss``) a positive is scored
    /// with its sampled negatives, and the user's row and every item row the loss gives a
    /// gradient (with the hardest-negative pairing: the positive and one negative) step at once,
    /// from the same old rows: implicit's BPR update with one negative. With several workers the
    /// rows are updated without locks (Hogwild), as they are under the other optimizers.
    case onlineSGD(learningRate: Float)

    /// Adam with Keras' defaults.
    public static let adamDefault = Optimizer.adam()

    func validate() throws {
        switch self {
        case let .adam(lr, b1, b2, eps), let .lazyAdam(lr, b1, b2, eps):
            guard lr > 0, lr.isFinite else { throw ConfigurationError.invalidSetting("learning rate must be > 0, got \(lr)") }
            guard b1 >= 0, b1 < 1, b2 >= 0, b2 < 1 else {
                throw ConfigurationError.invalidSetting("Adam betas must be in [0, 1), got \(b1), \(b2)")
            }
            guard eps > 0, eps.isFinite else { throw ConfigurationError.invalidSetting("Adam epsilon must be > 0 and finite, got \(eps)") }
        case .sgd(let lr), .onlineSGD(let lr):
            guard lr > 0, lr.isFinite else { throw ConfigurationError.invalidSetting("learning rate must be > 0, got \(lr)") }
        }
    }
}

/// What the update loop needs of one parameter, as plain values and raw pointers. The loop runs
/// on every worker for every batch; reading the shared `Tensor` objects and Swift arrays there
/// made each worker retain and release them, bouncing their reference counts' cache lines
/// between the cores (8% of a BiasedMF training profile was `swift_retain`/`swift_release`).
struct ParameterPlan {
    let storage: UnsafeMutablePointer<Float>
    /// Adam's moment rows (m then s = √v, see ``OptimizerState``); nil under SGD.
    let moments: UnsafeMutablePointer<Float>?
    /// Floats per moment row.
    let stride: Int
    let rowLength: Int
    let count: Int
    let isSparse: Bool
    /// Whether the moment rows end with the step of the row's last update.
    let tracksSteps: Bool
    let role: Tensor.Role
    let rowIndex: Tensor.RowIndex?
}

/// Per-parameter optimizer state (Adam's first and second moments), shared by all workers.
final class OptimizerState: @unchecked Sendable {
    let optimizer: Optimizer
    /// One plan per parameter, in the model's order. Adam's moments are interleaved by row: row
    /// r starts at `r·stride`, first moment m then the root of the second, s = √v (n values
    /// each; a dense parameter is one row). Keeping √v spares the deferred update a square root
    /// per value. Under deferred dense Adam a sparse row also ends with the step of its last
    /// update (an Int32 in a float slot, 0 = never): stride 2n + 1. One contiguous region per
    /// row keeps a table update to one scattered memory stream besides the weights.
    private let plans: UnsafeMutableBufferPointer<ParameterPlan>
    /// The tensors the plans point into, kept alive for as long as the plans are used (a model
    /// may hand out its parameters without keeping them itself).
    private let tensors: [Tensor]
    /// β1ᵏ, β2ᵏ and Σ_{s=1…k} (β1/√β2)ˢ for k < `catchUpCount`, three tables back to back.
    private let catchUpTables: UnsafeMutablePointer<Float>
    private let catchUpCount: Int
    private static let catchUpTableSize = 4096

    init(optimizer: Optimizer, parameters: [Tensor]) {
        self.optimizer = optimizer
        var deferDense = false, hasMoments = true
        var betas: (Float, Float) = (0.9, 0.999)
        switch optimizer {
        case let .adam(_, b1, b2, _): deferDense = true; betas = (b1, b2)
        case .lazyAdam: break
        case .sgd, .onlineSGD: hasMoments = false
        }
        tensors = parameters
        plans = .allocate(capacity: parameters.count)
        for (index, tensor) in parameters.enumerated() {
            let steps = deferDense && tensor.isSparse
            let stride = tensor.isSparse ? 2 * tensor.rowLength + (steps ? 1 : 0) : 2 * tensor.count
            // Zeroed memory is also "step 0 = never updated" for the step slots.
            let moments = hasMoments ? FloatBuffer.allocateZeroed(tensor.isSparse ? stride * tensor.rows : stride) : nil
            (plans.baseAddress! + index).initialize(to: ParameterPlan(
                storage: tensor.storage, moments: moments, stride: stride, rowLength: tensor.rowLength,
                count: tensor.count, isSparse: tensor.isSparse, tracksSteps: steps, role: tensor.role,
                rowIndex: tensor.rowIndex))
        }
        let (b1, b2) = betas
        let r = Double(b1) / Double(b2).squareRoot()
        catchUpCount = deferDense ? Self.catchUpTableSize : 0
        catchUpTables = .allocate(capacity: max(1, 3 * catchUpCount))
        var p1 = 1.0, p2 = 1.0, rk = 1.0, sum = 0.0
        for k in 0..<catchUpCount {
            // Decays below 1e-20 are flushed to zero: otherwise moments of long-idle rows turn
            // subnormal, and subnormal arithmetic is ~100× slower on x86.
            catchUpTables[k] = p1 < 1e-20 ? 0 : Float(p1)
            catchUpTables[catchUpCount + k] = p2 < 1e-20 ? 0 : Float(p2)
            catchUpTables[2 * catchUpCount + k] = Float(sum)
            p1 *= Double(b1); p2 *= Double(b2); rk *= r; sum += rk
        }
    }

    deinit {
        for plan in plans { if let m = plan.moments { FloatBuffer.deallocate(m) } }
        _ = plans.deinitialize()
        plans.deallocate()
        catchUpTables.deallocate()
    }

    /// (β1ᵏ, β2ᵏ, Σ_{s=1…k}(β1/√β2)ˢ) for `k` skipped steps.
    @inline(__always)
    private func catchUp(_ k: Int, _ b1: Float, _ b2: Float) -> (Float, Float, Float) {
        if k < catchUpCount {
            return (catchUpTables[k], catchUpTables[catchUpCount + k], catchUpTables[2 * catchUpCount + k])
        }
        let r = b1 / b2.squareRoot()
        let d1 = Float.pow(b1, Float(k)), d2 = Float.pow(b2, Float(k))
        return (d1 < 1e-20 ? 0 : d1, d2 < 1e-20 ? 0 : d2, r * (1 - Float.pow(r, Float(k))) / (1 - r))
    }

    /// Applies one batch's gradients. `step` is the 1-based global step (for Adam's bias
    /// correction). L2 penalties add `2λw` to the gradient of each touched embedding row and
    /// of every dense weight.
    func apply(_ gradients: GradientSet, step: Int, embeddingL2: Float, weightL2: Float, biasL2: Float = 0) {
        precondition(gradients.parameters.count == plans.count, "gradients of another model")
        for index in 0..<plans.count {
            let plan = plans[index]
            let gradient = gradients[index]
            assert(gradient.tensor.storage == plan.storage, "gradients of another model")
            let l2: Float
            switch plan.role {
            case .embedding: l2 = embeddingL2
            case .weight: l2 = weightL2
            case .biasTable: l2 = biasL2
            case .bias: l2 = 0
            }
            let n = plan.rowLength, storage = plan.storage, values = gradient.values
            let touched = gradient.touchedRows, touchedCount = plan.isSparse ? gradient.touchedCount : 0
            switch optimizer {
            case let .adam(lr, b1, b2, eps), let .lazyAdam(lr, b1, b2, eps):
                let t = Float(step)
                let alpha = lr * (1 - Float.pow(b2, t)).squareRoot() / (1 - Float.pow(b1, t))
                let mv = plan.moments!
                if plan.isSparse {
                    let ahead = 12
                    let stride = plan.stride, steps = plan.tracksSteps
                    for k in 0..<touchedCount {
                        let row = Int(touched[k])
                        if k + ahead < touchedCount {
                            let later = Int(touched[k + ahead])
                            VectorKernels.prefetchRow(storage + later * n, n)
                            VectorKernels.prefetchRow(mv + later * stride, stride)
                        }
                        let w = storage + row * n, g = values + k * n
                        let m = mv + row * stride, s = m + n
                        if steps {
                            let last = UnsafeMutableRawPointer(s + n)
                            let previous = Int(last.load(as: Int32.self))
                            last.storeBytes(of: Int32(truncatingIfNeeded: step), as: Int32.self)
                            let skipped = previous == 0 ? 0 : max(0, step - previous - 1)
                            if skipped > 0 {
                                let (d1, d2, drift) = catchUp(skipped, b1, b2)
                                VectorKernels.adamWithCatchUp(
                                    w, g, m, s, n, alpha: alpha, b1: b1, b2: b2, eps: eps,
                                    l2: l2, drift: alpha * drift, decay1: d1, decay2: d2)
                                continue
                            }
                        }
                        Self.adamUpdate(w, g, m, s,
                                        count: n, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
                    }
                } else {
                    Self.adamUpdate(storage, values, mv, mv + plan.count, count: plan.count,
                                    alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
                }
            case .sgd(let lr):
                if plan.isSparse {
                    for k in 0..<touchedCount {
                        Self.sgdUpdate(storage + Int(touched[k]) * n, values + k * n, count: n, lr: lr, l2: l2)
                    }
                } else {
                    Self.sgdUpdate(storage, values, count: plan.count, lr: lr, l2: l2)
                }
            case .onlineSGD:
                // The model's step applied every example's update itself.
                break
            }
        }
    }

    @inline(__always)
    static func adamUpdate(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ s: UnsafeMutablePointer<Float>,
        count: Int, alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float
    ) {
        VectorKernels.adam(w, g, m, s, count, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
    }

    @inline(__always)
    static func sgdUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int, lr: Float, l2: Float) {
        VectorKernels.sgd(w, g, count, lr: lr, l2: l2)
    }
}


import COpenBLAS
import EmbedRecKernels
import RealModule

extension OptimizerState {
    /// Prefetches the table rows (values and moments) that `batch` will touch, so their cache
    /// misses overlap with the work on the current batch.
    func prefetch(_ batch: TrainingBatch) {
        for index in 0..<plans.count {
            let plan = plans[index]
            guard let axis = plan.rowIndex else { continue }
            let n = plan.rowLength
            let indices = axis == .users ? batch.users : batch.items
            for k in 0..<min(batch.count, 6) {
                let row = Int(indices[k])
                VectorKernels.prefetchRow(plan.storage + row * n, n)
                if let m = plan.moments { VectorKernels.prefetchRow(m + row * plan.stride, plan.stride) }
            }
        }
    }
}
