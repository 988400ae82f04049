import RealModule

// The ranking losses: trained on positives (every training rating, or ImplicitFeedback's
// positives as a dataset) with negatives the trainer samples per positive (see Loss).

/// Bayesian personalised ranking (Rendle et al. 2009): `−log σ(s⁺ − s⁻)` for each positive and
/// each of its negatives, averaged over the batch's pairs; or, with ``Pairing/hardestNegative``,
/// for each positive and only the highest-scoring of its m negatives (the WARP idea of
/// training on the negatives that are ranked too high, as BPR-max and LightFM's WARP do).
public struct BPRLoss: Loss, Hashable {
    /// Which of a positive's sampled negatives form its pairs.
    public enum Pairing: Sendable, Hashable {
        /// Every negative: m pairs per positive, averaged.
        case everyNegative
        /// The negative the model scores highest: one pair per positive. Once most random
        /// negatives are ranked far below the positive their pairs carry almost no gradient;
        /// the hardest of m keeps each step informative.
        case hardestNegative
    }

    /// Negatives per positive (≥ 1).
    public var negatives: Int
    /// How the trainer draws each positive's negatives.
    public var sampling: NegativeSampling
    /// Which negatives form pairs.
    public var pairing: Pairing

    /// A BPR loss; `negatives` below 1 is raised to 1.
    public init(negatives: Int = 1, sampling: NegativeSampling = .uniform, pairing: Pairing = .everyNegative) {
        self.negatives = max(1, negatives); self.sampling = sampling; self.pairing = pairing
    }

    public var summary: String {
        let pairs = pairing == .hardestNegative && negatives > 1 ? ", hardest of them paired" : ""
        return "BPR (\(negatives) negative\(negatives == 1 ? "" : "s") per positive, \(sampling)\(pairs))"
    }
    public var negativesPerPositive: Int { negatives }
    /// The same loss with `negatives` per positive.
    public func withNegatives(_ negatives: Int) -> Self? {
        var copy = self
        copy.negatives = negatives
        return copy
    }
    public var negativeSampling: NegativeSampling { sampling }

    public func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double {
        let m = negatives, b = predictions.count / (1 + m)
        for k in 0..<predictions.count { gradient[k] = 0 }
        if pairing == .hardestNegative {
            let scale = 1 / Float(max(1, b))
            var sum = 0.0
            for k in 0..<b {
                var hardest = b + k * m
                for j in 1..<max(1, m) where predictions[b + k * m + j] > predictions[hardest] { hardest = b + k * m + j }
                sum += pair(predictions[k], predictions[hardest], scale, &gradient, k, hardest)
            }
            return sum
        }
        let scale = 1 / Float(max(1, b * m))
        var sum = 0.0
        for k in 0..<b {
            for j in 0..<m {
                let n = b + k * m + j
                sum += pair(predictions[k], predictions[n], scale, &gradient, k, n)
            }
        }
        return sum / Double(m)
    }

    /// One pair's loss, its gradient (times `scale`) added at `positive` and `negative`.
    private func pair(_ sPositive: Float, _ sNegative: Float, _ scale: Float, _ gradient: inout MutableSpan<Float>,
                      _ positive: Int, _ negative: Int) -> Double {
        let d = sPositive - sNegative
        // −log σ(d) = softplus(−d), computed without overflow; its derivative is −σ(−d).
        let loss = d > 0 ? Float.log(onePlus: Float.exp(-d)) : -d + Float.log(onePlus: Float.exp(d))
        let s = 1 / (1 + Float.exp(d))
        gradient[positive] -= scale * s
        gradient[negative] += scale * s
        return Double(loss)
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
    /// The same loss with `negatives` per positive.
    public func withNegatives(_ negatives: Int) -> Self? {
        var copy = self
        copy.negatives = negatives
        return copy
    }
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
