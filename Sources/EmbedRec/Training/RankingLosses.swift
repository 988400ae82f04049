import RealModule

/// The ranking losses: trained on positives (every training rating, or ``ImplicitFeedback``'s
/// positives as a dataset) with negatives the trainer samples per positive.
///
/// For a loss with ``Loss/negativesPerPositive`` m > 0, the trainer turns a batch of b
/// positives into b·(1 + m) examples: the b positives first (target 1), then each positive's m
/// negatives in order (target 0), items the user has no rating for, drawn with the batch's
/// seeded generator (``Loss/negativeSampling``). The model scores them all in one forward pass
/// (its gathers batched into sgemm as for ratings) and back-propagates the loss's gradient.
/// The epoch's reported "training MSE" is then the mean loss per positive.
extension Loss {
    public var negativesPerPositive: Int { 0 }
    public var negativeSampling: NegativeSampling { .uniform }
}

/// Bayesian personalised ranking (Rendle et al. 2009): `−log σ(s⁺ − s⁻)` for each positive and
/// each of its negatives, averaged over the batch's pairs.
public struct BPRLoss: Loss, Hashable {
    /// Negatives per positive (≥ 1); each forms one pair.
    public var negatives: Int
    /// How the trainer draws each positive's negatives.
    public var sampling: NegativeSampling

    /// A BPR loss; `negatives` below 1 is raised to 1.
    public init(negatives: Int = 1, sampling: NegativeSampling = .uniform) {
        self.negatives = max(1, negatives); self.sampling = sampling
    }

    public var summary: String { "BPR (\(negatives) negative\(negatives == 1 ? "" : "s") per positive, \(sampling))" }
    public var negativesPerPositive: Int { negatives }
    public var negativeSampling: NegativeSampling { sampling }

    public func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double {
        let m = negatives, b = predictions.count / (1 + m)
        let scale = 1 / Float(max(1, b * m))
        var sum = 0.0
        for k in 0..<b { gradient[k] = 0 }
        for k in 0..<b {
            for j in 0..<m {
                let n = b + k * m + j
                let d = predictions[k] - predictions[n]
                // −log σ(d) = softplus(−d), computed without overflow; its derivative is −σ(−d).
                let loss = d > 0 ? Float.log(onePlus: Float.exp(-d)) : -d + Float.log(onePlus: Float.exp(d))
                sum += Double(loss)
                let s = 1 / (1 + Float.exp(d))
                gradient[k] -= scale * s
                gradient[n] = scale * s
            }
        }
        return sum / Double(m)
    }
}

/// Sampled softmax: for each positive, the cross-entropy of picking it among itself and its m
/// negatives, `−s⁺ + log(e^{s⁺} + Σ e^{s⁻})`, averaged over the positives.
public struct SampledSoftmaxLoss: Loss, Hashable {
    /// Negatives per positive (≥ 1).
    public var negatives: Int
    /// How the trainer draws each positive's negatives.
    public var sampling: NegativeSampling

    /// A sampled-softmax loss; `negatives` below 1 is raised to 1.
    public init(negatives: Int = 8, sampling: NegativeSampling = .uniform) {
        self.negatives = max(1, negatives); self.sampling = sampling
    }

    public var summary: String { "sampled softmax (\(negatives) negatives per positive, \(sampling))" }
    public var negativesPerPositive: Int { negatives }
    public var negativeSampling: NegativeSampling { sampling }

    public func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double {
        let m = negatives, b = predictions.count / (1 + m)
        let scale = 1 / Float(max(1, b))
        var sum = 0.0
        for k in 0..<b {
            var largest = predictions[k]
            for j in 0..<m { largest = max(largest, predictions[b + k * m + j]) }
            var total = Float.exp(predictions[k] - largest)
            for j in 0..<m { total += Float.exp(predictions[b + k * m + j] - largest) }
            let logZ = largest + Float.log(total)
            sum += Double(logZ - predictions[k])
            gradient[k] = scale * (Float.exp(predictions[k] - logZ) - 1)
            for j in 0..<m {
                let n = b + k * m + j
                gradient[n] = scale * Float.exp(predictions[n] - logZ)
            }
        }
        return sum
    }
}
