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

    /// The logit of (u, i): `p_u · q_i`, plus `b_u + b_i` and the offset when there are biases.
    @inline(__always)
    static func logit(_ u: Int, _ i: Int, d: Int, p: UnsafePointer<Float>, q: UnsafePointer<Float>, bias: BiasPointers?) -> Float {
        var z = dot(p + u * d, q + i * d, d)
        if let bias {
            z += bias.user[u] + bias.item[i]
            if let o = bias.offset { z += o.pointee }
        }
        return z
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
            let z = logit(u, i, d: d, p: p, q: q, bias: bias)
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
        if step.negativesPerPositive > 0 {
            return trainOnlineWithNegatives(batch, context, step, d: d, p: p, q: q, bias: bias, trainsOffset: trainsOffset,
                                            activation: activation)
        }
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
            let z = logit(u, i, d: d, p: p, q: q, bias: bias)
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

    /// Online SGD for a ranking loss: the batch is b positives, then m sampled negatives per
    /// positive. Each positive is scored with its negatives on the rows as they are, the loss
    /// (BPR, sampled softmax, …) gives a gradient per score, and the user's row, the items' rows
    /// whose gradient is not zero (with the hardest-negative pairing: the positive and one
    /// negative) and their biases step at once, from the same old values: implicit's BPR step
    /// when m = 1.
    static func trainOnlineWithNegatives(
        _ batch: TrainingBatch, _ context: TrainingContext, _ step: OnlineSGDStep, d: Int,
        p: UnsafeMutablePointer<Float>, q: UnsafeMutablePointer<Float>,
        bias: BiasPointers?, trainsOffset: Bool, activation: OutputActivation
    ) -> Double {
        let m = step.negativesPerPositive, group = 1 + m, b = batch.count / group
        let lr = step.learningRate, l2 = step.embeddingL2, twoBiasL2 = 2 * step.biasL2
        let targets = context.arena.take(group), logits = context.arena.take(group)
        let predictions = context.arena.take(group), gradients = context.arena.take(group)
        let userGradient = context.arena.take(d)
        var loss = 0.0
        for k in 0..<b {
            let u = Int(batch.users[k]), pu = p + u * d
            // Score t of the group: the positive (t = 0), then its negatives.
            let negatives = batch.items + b + k * m
            @inline(__always) func item(_ t: Int) -> Int { Int(t == 0 ? batch.items[k] : negatives[t - 1]) }
            targets[0] = batch.targets[k]
            for j in 0..<m { targets[1 + j] = batch.targets[b + k * m + j] }
            if k + 1 < b {
                // The next group's rows: its negatives are scattered over the item table.
                VectorKernels.prefetchRow(p + Int(batch.users[k + 1]) * d, d)
                VectorKernels.prefetchRow(q + Int(batch.items[k + 1]) * d, d)
                for j in 0..<m { VectorKernels.prefetchRow(q + Int(batch.items[b + (k + 1) * m + j]) * d, d) }
            }
            for t in 0..<group {
                let z = logit(u, item(t), d: d, p: p, q: q, bias: bias)
                logits[t] = z
                predictions[t] = activation.apply(z)
            }
            loss += context.lossGradient(predictions: predictions, targets: targets, count: group, into: gradients)
            userGradient.update(repeating: 0, count: d)
            var biasGradient: Float = 0
            for t in 0..<group {
                let g = gradients[t] * activation.derivative(logits[t], predictions[t])
                gradients[t] = g
                guard g != 0 else { continue }
                VectorKernels.axpy(g, q + item(t) * d, userGradient, d)
                biasGradient += g
            }
            // The items step from the user's old row, then the user's row steps.
            for t in 0..<group where gradients[t] != 0 {
                let i = item(t), g = gradients[t], qi = q + i * d
                VectorKernels.sgd(qi, pu, d, g: g, lr: lr, l2: l2)
                if let bias { bias.item[i] -= lr * (g + twoBiasL2 * bias.item[i]) }
            }
            VectorKernels.sgd(pu, userGradient, d, lr: lr, l2: l2)
            if let bias {
                bias.user[u] -= lr * (biasGradient + twoBiasL2 * bias.user[u])
                if trainsOffset, let o = bias.offset { o.pointee -= lr * biasGradient }
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
            output[k] = activation.apply(logit(u, i, d: d, p: p, q: q, bias: bias))
        }
    }
}
