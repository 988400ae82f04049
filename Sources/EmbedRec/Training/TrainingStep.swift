import EmbedRecKernels

/// A mini-batch of training examples: dense user and item indices and their targets (ratings, or 1 and 0 for the positives and sampled negatives of a ranking loss).
public struct ExampleBatch: Sendable {
    /// Dense user indices.
    public let users: [Int32]
    /// Dense item indices.
    public let items: [Int32]
    /// Targets: the ratings, or 1 and 0 for a ranking loss's positives and negatives.
    public let targets: [Float]
    /// Examples in the batch.
    public var count: Int { targets.count }

    /// Creates a batch; the three arrays must have the same length.
    public init(users: [Int32], items: [Int32], targets: [Float]) {
        precondition(users.count == items.count && items.count == targets.count, "batch columns differ in length")
        self.users = users; self.items = items; self.targets = targets
    }
}

/// What a model's step needs to apply ``Optimizer/onlineSGD(learningRate:)`` itself: the step
/// size and the L2 strengths of its tables (each adds `2λw` to a row's gradient).
struct OnlineSGDStep {
    var learningRate: Float
    var embeddingL2: Float
    var biasL2: Float
    /// Sampled negatives per positive (0 without a ranking loss): a batch is then its b
    /// positives followed by each positive's m negatives, and a positive is updated together
    /// with its negatives.
    var negativesPerPositive = 0
}

/// A contiguous mini-batch as raw pointers, for the built-in models' kernels.
struct TrainingBatch {
    let users: UnsafePointer<Int32>
    let items: UnsafePointer<Int32>
    let targets: UnsafePointer<Float>
    let count: Int
}

/// Per-worker state handed to a model's training step: the loss, where gradients go, random
/// numbers for dropout.
public final class TrainingContext: @unchecked Sendable {
    /// Where the step writes its parameter gradients.
    let gradients: GradientSet
    /// Scratch space, reset after every step.
    let arena: ScratchArena
    /// Random numbers for dropout; each batch gets its own stream so results do not depend on
    /// which worker ran it.
    public var rng: SeededGenerator
    /// What the step minimises.
    public let loss: any Loss
    /// True while training (dropout active); false for gradient checks of the deterministic path.
    public var dropoutEnabled: Bool = true
    /// Under ``Optimizer/onlineSGD(learningRate:)``: the step updates the parameters itself,
    /// example by example, instead of writing gradients.
    var onlineSGD: OnlineSGDStep?

    init(gradients: GradientSet, arena: ScratchArena, rng: SeededGenerator, loss: any Loss) {
        self.gradients = gradients; self.arena = arena; self.rng = rng; self.loss = loss
    }

    /// The loss of `predictions` against `targets` and its gradient with respect to each
    /// prediction (the arrays have the same length).
    public func lossGradient(predictions: [Float], targets: [Float]) -> (loss: Double, gradient: [Float]) {
        precondition(predictions.count == targets.count, "\(predictions.count) predictions for \(targets.count) targets")
        var gradient = [Float](repeating: 0, count: predictions.count)
        var span = gradient.mutableSpan
        let value = loss.evaluate(predictions: predictions.span, targets: targets.span, gradient: &span)
        _ = consume span
        return (value, gradient)
    }

    /// Adds `values` to the gradient of row `row` of the table `parameters[parameter]` (an
    /// embedding or bias table: `values.count` is its row length).
    public func addGradient(_ values: [Float], parameter: Int, row: Int32) {
        let gradient = gradients[parameter]
        precondition(gradient.isSparse, "\(gradient.tensor.name) is not a table; add its gradient without a row")
        precondition(row >= 0 && Int(row) < gradient.tensor.rows, "row \(row) outside \(gradient.tensor.name)")
        precondition(values.count == gradient.rowLength, "\(values.count) values for rows of \(gradient.rowLength)")
        let slot = gradient.row(row)
        for k in 0..<values.count { slot[k] += values[k] }
    }

    /// Adds `values` to the gradient of the dense parameter `parameters[parameter]`
    /// (`values.count` is its element count).
    public func addGradient(_ values: [Float], parameter: Int) {
        let gradient = gradients[parameter]
        precondition(!gradient.isSparse, "\(gradient.tensor.name) is a table; add its gradient by row")
        precondition(values.count == gradient.tensor.count, "\(values.count) values for \(gradient.tensor.count)")
        let dense = gradient.dense
        for k in 0..<values.count { dense[k] += values[k] }
    }
}

extension TrainingContext {
    /// The pointer form of ``lossGradient(predictions:targets:)`` for the built-in models:
    /// fills `gradient` with ∂loss/∂prediction for `count` predictions and returns the summed
    /// loss. Models call it between their forward and backward passes.
    @inline(__always)
    func lossGradient(
        predictions: UnsafePointer<Float>, targets: UnsafePointer<Float>, count: Int,
        into gradient: UnsafeMutablePointer<Float>
    ) -> Double {
        let p = Span(_unsafeElements: UnsafeBufferPointer(start: predictions, count: count))
        let t = Span(_unsafeElements: UnsafeBufferPointer(start: targets, count: count))
        var g = MutableSpan(_unsafeElements: UnsafeMutableBufferPointer(start: gradient, count: count))
        return loss.evaluate(predictions: p, targets: t, gradient: &g)
    }
}
