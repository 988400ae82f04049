/// The optimizer that turns one batch's gradients into parameter updates.
public enum Optimizer: Sendable, Hashable {
    /// Adam with Keras' defaults (`lr` 0.001, β1 0.9, β2 0.999, ε 1e-7).
    ///
    /// On embedding and bias tables EmbedRec uses *lazy* (sparse) Adam: only the rows a batch
    /// touches have their moments decayed and their values updated, with the bias correction of
    /// the global step count. Dense Adam (what Keras applies) also decays the moments of every
    /// untouched row and keeps moving rows whose momentum is non-zero; on large tables that makes
    /// each step cost O(table) instead of O(batch). Results differ slightly from dense Adam on
    /// rarely seen rows, which move only when they appear in a batch.
    case adam(learningRate: Float = 0.001, beta1: Float = 0.9, beta2: Float = 0.999, epsilon: Float = 1e-7)
    /// Plain stochastic gradient descent: `w -= learningRate · g`.
    case sgd(learningRate: Float)

    /// Adam with Keras' defaults.
    public static let adamDefault = Optimizer.adam()

    var learningRate: Float {
        switch self {
        case .adam(let lr, _, _, _): return lr
        case .sgd(let lr): return lr
        }
    }

    func validate() throws {
        switch self {
        case let .adam(lr, b1, b2, eps):
            guard lr > 0, lr.isFinite else { throw ModelError.invalidConfiguration("learning rate must be > 0, got \(lr)") }
            guard b1 >= 0, b1 < 1, b2 >= 0, b2 < 1 else {
                throw ModelError.invalidConfiguration("Adam betas must be in [0, 1), got \(b1), \(b2)")
            }
            guard eps > 0 else { throw ModelError.invalidConfiguration("Adam epsilon must be > 0") }
        case .sgd(let lr):
            guard lr > 0, lr.isFinite else { throw ModelError.invalidConfiguration("learning rate must be > 0, got \(lr)") }
        }
    }
}

/// Per-parameter optimizer state (Adam's first and second moments), shared by all workers.
final class OptimizerState: @unchecked Sendable {
    let optimizer: Optimizer
    let first: [UnsafeMutablePointer<Float>]
    let second: [UnsafeMutablePointer<Float>]
    let counts: [Int]

    init(optimizer: Optimizer, parameters: [Tensor]) {
        self.optimizer = optimizer
        counts = parameters.map(\.count)
        if case .adam = optimizer {
            first = counts.map { FloatBuffer.allocateZeroed($0) }
            second = counts.map { FloatBuffer.allocateZeroed($0) }
        } else {
            first = []; second = []
        }
    }

    deinit { for p in first + second { FloatBuffer.deallocate(p) } }

    /// Applies one batch's gradients. `step` is the 1-based global step (for Adam's bias
    /// correction). L2 penalties add `2λw` to the gradient of each touched embedding row and
    /// of every dense weight.
    func apply(_ gradients: GradientSet, step: Int, embeddingL2: Float, weightL2: Float) {
        for (index, gradient) in gradients.parameters.enumerated() {
            let tensor = gradient.tensor
            let l2: Float = tensor.role == .embedding ? embeddingL2 : (tensor.role == .weight ? weightL2 : 0)
            let n = gradient.rowLength
            switch optimizer {
            case let .adam(lr, b1, b2, eps):
                let t = Float(step)
                let alpha = lr * (1 - _powf(b2, t)).squareRoot() / (1 - _powf(b1, t))
                let m = first[index], v = second[index]
                if tensor.isSparse {
                    let ahead = 12
                    for k in 0..<gradient.touchedCount {
                        let row = Int(gradient.touchedRows[k])
                        if k + ahead < gradient.touchedCount {
                            let later = Int(gradient.touchedRows[k + ahead]) * n
                            DotProductKernels.prefetchRow(tensor.storage + later, n)
                            DotProductKernels.prefetchRow(m + later, n)
                            DotProductKernels.prefetchRow(v + later, n)
                        }
                        Self.adamUpdate(
                            tensor.storage + row * n, gradient.values + k * n, m + row * n, v + row * n,
                            count: n, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
                    }
                } else {
                    Self.adamUpdate(tensor.storage, gradient.values, m, v, count: tensor.count,
                                    alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
                }
            case .sgd(let lr):
                if tensor.isSparse {
                    for k in 0..<gradient.touchedCount {
                        let row = Int(gradient.touchedRows[k])
                        Self.sgdUpdate(tensor.storage + row * n, gradient.values + k * n, count: n, lr: lr, l2: l2)
                    }
                } else {
                    Self.sgdUpdate(tensor.storage, gradient.values, count: tensor.count, lr: lr, l2: l2)
                }
            }
        }
    }

    @inline(__always)
    static func adamUpdate(
        _ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>,
        _ m: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
        count: Int, alpha: Float, b1: Float, b2: Float, eps: Float, l2: Float
    ) {
        VectorKernels.adam(w, g, m, v, count, alpha: alpha, b1: b1, b2: b2, eps: eps, l2: l2)
    }

    @inline(__always)
    static func sgdUpdate(_ w: UnsafeMutablePointer<Float>, _ g: UnsafePointer<Float>, count: Int, lr: Float, l2: Float) {
        VectorKernels.sgd(w, g, count, lr: lr, l2: l2)
    }
}

#if canImport(Glibc)
import Glibc
@inline(__always) func _powf(_ x: Float, _ y: Float) -> Float { Glibc.powf(x, y) }
#else
import Darwin
@inline(__always) func _powf(_ x: Float, _ y: Float) -> Float { Darwin.powf(x, y) }
#endif

import COpenBLAS

extension OptimizerState {
    /// Prefetches the table rows (values and moments) that `batch` will touch, so their cache
    /// misses overlap with the work on the current batch.
    func prefetch(_ batch: TrainingBatch, parameters: [Tensor]) {
        for (index, tensor) in parameters.enumerated() {
            guard let axis = tensor.rowIndex else { continue }
            let n = tensor.rowLength
            let indices = axis == .users ? batch.users : batch.items
            let hasMoments = !first.isEmpty
            for k in 0..<min(batch.count, 6) {
                let offset = Int(indices[k]) * n
                var byte = 0
                while byte < n * 4 {
                    let f = byte / 4
                    embedrec_prefetch(tensor.storage + offset + f)
                    if hasMoments {
                        embedrec_prefetch(first[index] + offset + f)
                        embedrec_prefetch(second[index] + offset + f)
                    }
                    byte += 64
                }
            }
        }
    }
}
