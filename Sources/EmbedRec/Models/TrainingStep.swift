/// A contiguous mini-batch of training examples (dense indices and target ratings).
public struct TrainingBatch {
    /// Dense user indices.
    public let users: UnsafePointer<Int32>
    /// Dense item indices.
    public let items: UnsafePointer<Int32>
    /// Target ratings.
    public let ratings: UnsafePointer<Float>
    /// Examples in the batch.
    public let count: Int
}

/// Per-worker state handed to a model's training step.
public final class TrainingContext: @unchecked Sendable {
    /// Where the step writes its parameter gradients.
    public let gradients: GradientSet
    /// Scratch space, reset after every step.
    public let arena: ScratchArena
    /// Random numbers for dropout; each batch gets its own stream so results do not depend on
    /// which worker ran it.
    public var rng: SeededGenerator
    /// What the step minimises; models reach it through `lossGradient`, between their forward
    /// and backward passes.
    public let loss: any Loss
    /// True while training (dropout active); false for gradient checks of the deterministic path.
    public var dropoutEnabled: Bool = true

    init(gradients: GradientSet, arena: ScratchArena, rng: SeededGenerator, loss: any Loss) {
        self.gradients = gradients; self.arena = arena; self.rng = rng; self.loss = loss
    }
}
