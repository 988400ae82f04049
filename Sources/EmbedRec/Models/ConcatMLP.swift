import EmbedRecKernels

/// User and item embeddings concatenated, then dense ReLU layers with optional dropout, then one
/// output (the goodbooks and MovieLens tutorials' neural models).
///
/// Tutorial configurations: 15+15 → 128 → 1 (ReLU output); 10+10 → 128 → 32 → 1;
/// 50+50 → dropout 0.05 → 10 → dropout 0.5 → 1 (sigmoid-scaled, He-normal).
///
/// Parameters: `user_embedding` [users, du], `item_embedding` [items, di], then for each hidden
/// layer `dense_<l>_kernel` [in, units] and `dense_<l>_bias` [units], then `output_kernel`
/// [units, 1] and `output_bias` [1]. Each batch's layers run as sgemm over the gathered rows.
public final class ConcatMLP: KernelTrainableModel, @unchecked Sendable {
    /// Architecture and initialisation.
    public struct Configuration: Sendable, Hashable, Codable {
        /// User embedding dimension (> 0).
        public var userDimension: Int
        /// Item embedding dimension (> 0).
        public var itemDimension: Int
        /// Units of each hidden ReLU layer (may be empty: a linear model on the concatenation).
        public var hiddenUnits: [Int]
        /// Dropout rate applied to the concatenated embeddings (0 = none).
        public var inputDropout: Float = 0
        /// Dropout rate after each hidden layer (empty = none; else one rate per layer).
        public var hiddenDropout: [Float] = []
        /// The output function.
        public var output: OutputActivation = .linear
        /// Initial values of both embedding tables (Keras default: uniform ±0.05).
        public var embeddingInitializer: Initializer = .uniform(0.05)
        /// Kernel initialiser of the dense layers (Keras default: Glorot-uniform).
        public var kernelInitializer: Initializer = .glorotUniform
        /// Seed for initialisation.
        public var seed: UInt64 = 42

        /// Creates a configuration; see each property for its meaning and valid range.
        public init(
            userDimension: Int, itemDimension: Int, hiddenUnits: [Int], inputDropout: Float = 0,
            hiddenDropout: [Float] = [], output: OutputActivation = .linear,
            embeddingInitializer: Initializer = .uniform(0.05), kernelInitializer: Initializer = .glorotUniform,
            seed: UInt64 = 42
        ) {
            self.userDimension = userDimension; self.itemDimension = itemDimension
            self.hiddenUnits = hiddenUnits; self.inputDropout = inputDropout
            self.hiddenDropout = hiddenDropout; self.output = output
            self.embeddingInitializer = embeddingInitializer; self.kernelInitializer = kernelInitializer
            self.seed = seed
        }
    }

    /// The architecture this model was built with.
    public let configuration: Configuration
    public let userCount: Int
    public let itemCount: Int
    /// The user table [users, d].
    public let userEmbedding: Tensor
    /// The item table [items, d].
    public let itemEmbedding: Tensor
    /// Kernels of the hidden layers and the output layer, in order.
    let kernels: [Tensor]
    /// Biases of the hidden layers and the output layer, in order.
    let biases: [Tensor]
    public let parameters: [Tensor]
    /// Trained on ratings with squared error, it predicts them.
    public var predictsRatings: Bool { true }
    public var outputRange: ClosedRange<Float>? { configuration.output.range }
    public var summary: String {
        let c = configuration
        return "ConcatMLP(\(c.userDimension)+\(c.itemDimension) → \(c.hiddenUnits.map(String.init).joined(separator: " → "))\(c.hiddenUnits.isEmpty ? "" : " → ")1, \(c.output.summary))"
    }
    /// Layer widths: input, hidden..., 1.
    let widths: [Int]

    /// A network with `users` × `items` embedding tables, initialised as the configuration says.
    ///
    /// - Throws: ``ConfigurationError/invalidSetting(_:)`` for non-positive dimensions or units,
    ///   dropout rates outside [0, 1), a dropout list of the wrong length, or a bad range.
    public convenience init(users: Int, items: Int, configuration c: Configuration) throws {
        try self.init(users: users, items: items, configuration: c, initialized: true)
    }

    /// `initialized: false` leaves the tables zero for a loader that fills them next.
    init(users: Int, items: Int, configuration c: Configuration, initialized: Bool) throws {
        guard c.userDimension > 0, c.itemDimension > 0 else {
            throw ConfigurationError.invalidSetting("embedding dimensions must be > 0, got \(c.userDimension) and \(c.itemDimension)")
        }
        guard users > 0, items > 0 else {
            throw ConfigurationError.invalidSetting("model needs at least one user and one item, got \(users) and \(items)")
        }
        guard c.hiddenUnits.allSatisfy({ $0 > 0 }) else {
            throw ConfigurationError.invalidSetting("hidden units must be > 0, got \(c.hiddenUnits)")
        }
        guard c.hiddenDropout.isEmpty || c.hiddenDropout.count == c.hiddenUnits.count else {
            throw ConfigurationError.invalidSetting("hiddenDropout needs one rate per hidden layer (\(c.hiddenUnits.count)), got \(c.hiddenDropout.count)")
        }
        guard ([c.inputDropout] + c.hiddenDropout).allSatisfy({ $0 >= 0 && $0 < 1 }) else {
            throw ConfigurationError.invalidSetting("dropout rates must be in [0, 1)")
        }
        try c.output.validate()
        try c.embeddingInitializer.validate("embedding")
        try c.kernelInitializer.validate("kernel")
        let (inputWidth, overflow) = c.userDimension.addingReportingOverflow(c.itemDimension)
        guard !overflow else { throw ConfigurationError.invalidSetting("embedding dimensions \(c.userDimension) + \(c.itemDimension) overflow") }
        let layerWidths = [inputWidth] + c.hiddenUnits + [1]
        try Tensor.requireAllocatable(
            [("user_embedding", [users, c.userDimension]), ("item_embedding", [items, c.itemDimension])]
            + (0..<(layerWidths.count - 1)).map { ("dense_\($0)_kernel", [layerWidths[$0], layerWidths[$0 + 1]]) })
        configuration = c
        userCount = users; itemCount = items
        userEmbedding = Tensor(name: "user_embedding", shape: [users, c.userDimension], role: .embedding, rowIndex: .users)
        itemEmbedding = Tensor(name: "item_embedding", shape: [items, c.itemDimension], role: .embedding, rowIndex: .items)
        widths = [c.userDimension + c.itemDimension] + c.hiddenUnits + [1]
        var kernels: [Tensor] = [], biases: [Tensor] = []
        for l in 0..<(widths.count - 1) {
            let prefix = l == widths.count - 2 ? "output" : "dense_\(l)"
            kernels.append(Tensor(name: "\(prefix)_kernel", shape: [widths[l], widths[l + 1]], role: .weight))
            biases.append(Tensor(name: "\(prefix)_bias", shape: [widths[l + 1]], role: .bias))
        }
        self.kernels = kernels; self.biases = biases
        if initialized {
            var rng = SeededGenerator(seed: c.seed)
            c.embeddingInitializer.fill(userEmbedding, &rng)
            c.embeddingInitializer.fill(itemEmbedding, &rng)
            for k in kernels { c.kernelInitializer.fill(k, &rng) }
        }
        var params = [userEmbedding, itemEmbedding]
        for l in 0..<kernels.count { params += [kernels[l], biases[l]] }
        parameters = params
    }

    /// Creates a model sized for a dataset's ID maps.
    public convenience init(for data: RatingsDataset, configuration: Configuration) throws {
        try self.init(users: data.userCount, items: data.itemCount, configuration: configuration)
    }

    private func dropoutRate(afterLayer l: Int) -> Float {
        l == 0 ? configuration.inputDropout : (configuration.hiddenDropout.isEmpty ? 0 : configuration.hiddenDropout[l - 1])
    }

    /// Activations of one forward pass over `n` examples.
    private struct Forward {
        /// activations[l]: n × widths[l] (post-ReLU, post-dropout); l = 0 is the input.
        var activations: [UnsafeMutablePointer<Float>] = []
        /// preActivations[l] for hidden layers l = 1...L: n × widths[l].
        var preActivations: [UnsafeMutablePointer<Float>?] = []
        /// masks[l]: dropout scale per activation (nil when no dropout at l).
        var masks: [UnsafeMutablePointer<Float>?] = []
        /// Output pre-activation, n values.
        var z: UnsafeMutablePointer<Float>
    }

    private func forward(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, n: Int, arena: ScratchArena,
        rng: inout SeededGenerator, dropout: Bool
    ) -> Forward {
        let du = configuration.userDimension, di = configuration.itemDimension, width0 = du + di
        let x = arena.take(n * width0)
        for k in 0..<n {
            (x + k * width0).update(from: userEmbedding.storage + Int(users[k]) * du, count: du)
            (x + k * width0 + du).update(from: itemEmbedding.storage + Int(items[k]) * di, count: di)
        }
        var f = Forward(z: arena.take(n))
        f.activations.append(x); f.preActivations.append(nil)
        f.masks.append(dropout ? applyDropout(x, count: n * width0, rate: dropoutRate(afterLayer: 0), arena, &rng) : nil)
        let layers = kernels.count
        for l in 0..<layers {
            let input = f.activations[l], win = widths[l], wout = widths[l + 1]
            let out = l == layers - 1 ? f.z : arena.take(n * wout)
            // out = input · W + b
            let b = biases[l].storage
            for k in 0..<n { (out + k * wout).update(from: b, count: wout) }
            BLAS.gemm(m: n, n: wout, k: win, a: input, lda: win, b: kernels[l].storage, ldb: wout,
                      beta: 1, c: out, ldc: wout)
            if l < layers - 1 {
                let a = arena.take(n * wout)
                for k in 0..<(n * wout) { a[k] = max(0, out[k]) }
                f.preActivations.append(out)
                f.masks.append(dropout ? applyDropout(a, count: n * wout, rate: dropoutRate(afterLayer: l + 1), arena, &rng) : nil)
                f.activations.append(a)
            }
        }
        return f
    }

    /// Inverted dropout: zeroes each value with probability `rate` and scales survivors by
    /// 1/(1 − rate). Returns the mask of scales, or nil when `rate` is 0.
    private func applyDropout(
        _ values: UnsafeMutablePointer<Float>, count: Int, rate: Float, _ arena: ScratchArena,
        _ rng: inout SeededGenerator
    ) -> UnsafeMutablePointer<Float>? {
        guard rate > 0 else { return nil }
        let mask = arena.take(count)
        let keep = 1 / (1 - rate)
        // 16 random bits per decision (4 per draw): the rate is resolved to 1/65536.
        let threshold = UInt64((rate * 65_536).rounded())
        var k = 0
        while k < count {
            var bits = rng.next()
            for _ in 0..<min(4, count - k) {
                mask[k] = (bits & 0xFFFF) < threshold ? 0 : keep
                values[k] *= mask[k]
                bits >>= 16
                k += 1
            }
        }
        return mask
    }

    func trainStep(_ batch: TrainingBatch, _ context: TrainingContext) -> Double {
        let n = batch.count
        let arena = context.arena
        let f = forward(users: batch.users, items: batch.items, n: n, arena: arena,
                        rng: &context.rng, dropout: context.dropoutEnabled)
        let activation = configuration.output
        let layers = kernels.count
        // The trainer's loss gives ∂loss/∂ŷ; delta is the gradient w.r.t. the output
        // pre-activation.
        let predictions = arena.take(n)
        for k in 0..<n { predictions[k] = activation.apply(f.z[k]) }
        var delta = arena.take(n)
        let loss = context.lossGradient(predictions: predictions, targets: batch.targets, count: n, into: delta)
        for k in 0..<n { delta[k] *= activation.derivative(f.z[k], predictions[k]) }
        let g = context.gradients
        let firstDense = 2
        for l in stride(from: layers - 1, through: 0, by: -1) {
            let win = widths[l], wout = widths[l + 1]
            let input = f.activations[l]
            let gW = g[firstDense + 2 * l].dense, gb = g[firstDense + 2 * l + 1].dense
            // dW += inputᵀ · delta ; db += Σ delta
            BLAS.gemm(transposeA: true, m: win, n: wout, k: n, a: input, lda: win, b: delta, ldb: wout,
                      beta: 1, c: gW, ldc: wout)
            for k in 0..<n { for j in 0..<wout { gb[j] += delta[k * wout + j] } }
            // dInput = delta · Wᵀ, then through dropout and (for hidden inputs) ReLU.
            let dInput = arena.take(n * win)
            BLAS.gemm(transposeB: true, m: n, n: win, k: wout, a: delta, lda: wout, b: kernels[l].storage,
                      ldb: wout, c: dInput, ldc: win)
            if let mask = f.masks[l] { for k in 0..<(n * win) { dInput[k] *= mask[k] } }
            if l > 0, let pre = f.preActivations[l] {
                for k in 0..<(n * win) where pre[k] <= 0 { dInput[k] = 0 }
            }
            delta = dInput
        }
        // Scatter the input gradient back to the embedding rows.
        let du = configuration.userDimension, di = configuration.itemDimension, width0 = du + di
        for k in 0..<n {
            let gu = g[0].row(batch.users[k]), gi = g[1].row(batch.items[k])
            let row = delta + k * width0
            for f in 0..<du { gu[f] += row[f] }
            for f in 0..<di { gi[f] += row[du + f] }
        }
        return loss
    }

    func score(
        users: UnsafePointer<Int32>, items: UnsafePointer<Int32>, count: Int,
        into output: UnsafeMutablePointer<Float>, arena: ScratchArena
    ) {
        var rng = SeededGenerator(seed: 0)
        let f = forward(users: users, items: items, n: count, arena: arena, rng: &rng, dropout: false)
        for k in 0..<count { output[k] = configuration.output.apply(f.z[k]) }
    }

    public func score(users: Span<Int32>, items: Span<Int32>, into output: inout MutableSpan<Float>) {
        scoreThroughKernel(users: users, items: items, into: &output)
    }

    public func trainStep(_ batch: ExampleBatch, _ context: TrainingContext) -> Double {
        trainStepThroughKernel(batch, context)
    }

    func makeCatalogueScorer() -> any CatalogueScorer { ConcatMLPScorer(model: self) }
}
