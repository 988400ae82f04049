/// What training minimises: turns a batch's predictions and targets into the loss and its
/// gradient with respect to each prediction.
///
/// The loss is a value of its own, apart from the models: a model computes predictions and
/// back-propagates whatever gradient the loss hands it, so any model trains with any loss.
/// ``SquaredError`` is the loss of rating prediction (Keras' `mse`).
public protocol Loss: Sendable {
    /// A short description, e.g. `"squared error (mean over the batch)"`.
    var summary: String { get }

    /// Writes `∂loss/∂predictions[k]` into `gradient[k]` for every example of the batch and
    /// returns the batch's loss summed over its examples, before any reduction (the trainer
    /// reports its mean over the epoch). The three spans have the same length.
    func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double

    /// Negatives the trainer samples per positive: 0 (the default) for losses over observed
    /// ratings; more for the ranking losses (``BPRLoss``, ``SampledSoftmaxLoss``).
    var negativesPerPositive: Int { get }
    /// How those negatives are drawn.
    var negativeSampling: NegativeSampling { get }
    /// True when the targets are ratings the model learns to predict (the default); false for
    /// a ranking loss, whose model's scores only order items.
    var targetsAreRatings: Bool { get }
    /// The same loss sampling `negatives` negatives per positive, or nil when it samples none.
    func withNegatives(_ negatives: Int) -> Self?
}

/// For a loss with ``Loss/negativesPerPositive`` m > 0, the trainer turns a batch of b
/// positives into b·(1 + m) examples: the b positives first (target 1), then each positive's m
/// negatives in order (target 0), items the user has no rating for, drawn with the batch's
/// seeded generator (``Loss/negativeSampling``). The model scores them all in one forward pass
/// (its gathers batched into sgemm as for ratings) and back-propagates the loss's gradient.
/// The epoch's reported mean loss is then the mean loss per positive.
extension Loss {
    public var negativesPerPositive: Int { 0 }
    public var negativeSampling: NegativeSampling { .uniform }
    /// A loss with sampled negatives ranks; one without learns the targets.
    public var targetsAreRatings: Bool { negativesPerPositive == 0 }
    /// nil: a loss samples no negatives unless it says how.
    public func withNegatives(_ negatives: Int) -> Self? { nil }
}

/// Squared error `(prediction − target)²`, reduced over a batch by its mean (Keras' `mse`, the
/// default) or its sum (per-example SGD, as scikit-surprise: the step per example does not
/// depend on the batch size).
public struct SquaredError: Loss, Hashable {
    /// How the batch's squared errors are combined.
    public var reduction: LossReduction

    /// Squared error with the given reduction over the batch.
    ///
    /// - Parameter reduction: `.mean` (Keras' `mse`) or `.sum`.
    public init(reduction: LossReduction = .mean) { self.reduction = reduction }

    public var summary: String { reduction == .mean ? "squared error (mean over the batch)" : "squared error (sum over the batch)" }

    public func evaluate(predictions: Span<Float>, targets: Span<Float>, gradient: inout MutableSpan<Float>) -> Double {
        let n = predictions.count
        // d(e²)/dŷ = 2e, divided by the batch size for the mean.
        let scale: Float = reduction == .mean ? 2 / Float(max(n, 1)) : 2
        var sum = 0.0
        for k in 0..<n {
            let e = predictions[k] - targets[k]
            sum += Double(e * e)
            gradient[k] = scale * e
        }
        return sum
    }
}

/// How a batch's per-example losses are combined into its loss.
public enum LossReduction: Sendable, Hashable {
    /// Mean over the batch (Keras' `mse`).
    case mean
    /// Sum over the batch.
    case sum
}
