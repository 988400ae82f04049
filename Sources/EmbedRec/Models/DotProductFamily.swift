// Kernels shared by MatrixFactorization and BiasedMF.

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
