import Testing
@testable import EmbedRec

/// `TrainingConfiguration.biasL2` = λ adds 2λb to the gradient of every user and item bias
/// entry a batch uses (once per batch), and of nothing else: not the embeddings, not the
/// global offset, not the bias entries the batch did not use.
@Suite("biasL2 shrinks the bias tables")
struct BiasL2Tests {
    /// BiasedMF 2 users × 3 items, d = 2, linear, with a global offset; every value set by hand.
    static func model() throws -> BiasedMF {
        let m = try BiasedMF(users: 2, items: 3, configuration: .init(dimension: 2, globalOffset: 1, output: .linear))
        try m.userEmbedding.assign([0.1, 0.2, -0.3, 0.4])
        try m.itemEmbedding.assign([0.5, -0.1, 0.2, 0.3, -0.4, 0.6])
        try m.userBias.assign([0.5, -0.4])
        try m.itemBias.assign([0.2, -0.3, 0.7])
        return m
    }

    static func close(_ a: Float, _ b: Double, _ tolerance: Double = 1e-6) -> Bool { abs(Double(a) - b) <= tolerance }

    @Test("SGD, one batch, zero data gradient: touched bias entries shrink by exactly 1 − 2·lr·λ")
    func optimizerShrinksTouchedBiases() throws {
        let model = try Self.model()
        let state = OptimizerState(optimizer: .sgd(learningRate: 0.1), parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 4)
        // Parameters: user_embedding, item_embedding, user_bias, item_bias, global_offset.
        // The batch used user 0 and item 1; the data gradient is 0 except 0.2 on b_u0.
        _ = AdamHarness.feed(gradients, touched: [[0], [1], [0], [1], []]) { p, j in p == 2 && j == 0 ? 0.2 : 0 }
        state.apply(gradients, step: 1, embeddingL2: 0, weightL2: 0, biasL2: 0.5)
        // b ← b − lr·(g + 2λb), lr = 0.1, λ = 0.5:
        // b_u0 = 0.5 − 0.1·(0.2 + 0.5) = 0.43; b_i1 = −0.3 − 0.1·(−0.3) = −0.27.
        #expect(Self.close(model.userBias[0], 0.43), "\(model.userBias[0])")
        #expect(Self.close(model.itemBias[1], -0.27), "\(model.itemBias[1])")
        // Entries the batch did not use keep their value.
        #expect(model.userBias[1] == -0.4 && model.itemBias[0] == 0.2 && model.itemBias[2] == 0.7)
        // biasL2 reaches neither the embeddings (touched, zero gradient) nor the global offset.
        #expect(model.userEmbedding.toArray() == [0.1, 0.2, -0.3, 0.4])
        #expect(model.itemEmbedding.toArray() == [0.5, -0.1, 0.2, 0.3, -0.4, 0.6])
        #expect(model.globalOffset![0] == 1)
    }

    @Test("biasL2 = 0 leaves a zero-gradient bias where it is; embeddingL2 does not touch biases")
    func otherPenaltiesLeaveBiasesAlone() throws {
        let model = try Self.model()
        let state = OptimizerState(optimizer: .sgd(learningRate: 0.1), parameters: model.parameters)
        let gradients = GradientSet(model: model, maxBatch: 4)
        _ = AdamHarness.feed(gradients, touched: [[0], [1], [0], [1], []]) { _, _ in 0 }
        state.apply(gradients, step: 1, embeddingL2: 0.5, weightL2: 0.5, biasL2: 0)
        #expect(model.userBias.toArray() == [0.5, -0.4] && model.itemBias.toArray() == [0.2, -0.3, 0.7])
        // The embedding rows used shrink by 1 − 2·0.1·0.5 = 0.9.
        #expect(Self.close(model.userEmbedding[0], 0.09) && Self.close(model.userEmbedding[1], 0.18))
        #expect(Self.close(model.itemEmbedding[2], 0.18) && Self.close(model.itemEmbedding[3], 0.27))
    }

    /// One epoch of one batch (user 0 rated item 0 → 4 and item 1 → 2), SGD, summed loss, no
    /// shuffling, deterministic.
    static func trainOneBatch(biasL2: Float) throws -> BiasedMF {
        let model = try Self.model()
        let data = try RatingsDataset(
            users: [0, 0], items: [0, 1], ratings: [4, 2],
            userIDs: IDMap(integerIDs: [1, 2]), itemIDs: IDMap(integerIDs: [1, 2, 3]))
        var config = TrainingConfiguration(epochs: 1, batchSize: 2, optimizer: .sgd(learningRate: 0.05),
                                           deterministic: true)
        config.shuffle = false
        config.biasL2 = biasL2
        try Trainer(configuration: config, loss: SquaredError(reduction: .sum)).fit(model, on: data)
        return model
    }

    @Test("Trainer with biasL2: the known answer of one SGD step")
    func trainerKnownAnswer() throws {
        let model = try Self.trainOneBatch(biasL2: 0.5)
        // z = p_u·q_i + b_u + b_i + μ:
        //   (u0, i0): 0.1·0.5 + 0.2·(−0.1) + 0.5 + 0.2 + 1 = 1.73, e0 = 1.73 − 4 = −2.27
        //   (u0, i1): 0.1·0.2 + 0.2·0.3 + 0.5 − 0.3 + 1 = 1.28,    e1 = 1.28 − 2 = −0.72
        // Summed squared error: g = 2e → g0 = −4.54, g1 = −1.44. lr = 0.05, λ = 0.5 (2λ = 1):
        //   b_u0 = 0.5 − 0.05·(g0 + g1 + 0.5) = 0.5 − 0.05·(−5.48) = 0.774
        //   b_i0 = 0.2 − 0.05·(g0 + 0.2) = 0.2 − 0.05·(−4.34) = 0.417
        //   b_i1 = −0.3 − 0.05·(g1 − 0.3) = −0.3 − 0.05·(−1.74) = −0.213
        //   μ = 1 − 0.05·(g0 + g1) = 1.299 (not regularised)
        //   p_u0 = p − 0.05·(g0·q0 + g1·q1) = (0.1 − 0.05·(−2.27 − 0.288), 0.2 − 0.05·(0.454 − 0.432))
        //        = (0.2279, 0.1989)  (embeddingL2 = 0)
        #expect(Self.close(model.userBias[0], 0.774), "\(model.userBias[0])")
        #expect(Self.close(model.itemBias[0], 0.417), "\(model.itemBias[0])")
        #expect(Self.close(model.itemBias[1], -0.213), "\(model.itemBias[1])")
        #expect(Self.close(model.globalOffset![0], 1.299), "\(model.globalOffset![0])")
        #expect(Self.close(model.userEmbedding[0], 0.2279) && Self.close(model.userEmbedding[1], 0.1989),
                "\(model.userEmbedding.row(0))")
        // User 1 and item 2 were not in the batch: no shrinkage.
        #expect(model.userBias[1] == -0.4 && model.itemBias[2] == 0.7)
    }

    @Test("Trainer: biasL2 > 0 differs from biasL2 = 0 by exactly lr·2λ·b on the used bias entries")
    func trainerDifferenceIsThePenalty() throws {
        let plain = try Self.trainOneBatch(biasL2: 0)
        let penalised = try Self.trainOneBatch(biasL2: 0.5)
        // lr·2λ·b with b the value before the step: 0.05·1·(0.5, 0.2, −0.3).
        #expect(Self.close(plain.userBias[0] - penalised.userBias[0], 0.025))
        #expect(Self.close(plain.itemBias[0] - penalised.itemBias[0], 0.01))
        #expect(Self.close(plain.itemBias[1] - penalised.itemBias[1], -0.015))
        // Everything else is bit-identical: the penalty acts on bias entries only.
        #expect(plain.userEmbedding.toArray() == penalised.userEmbedding.toArray())
        #expect(plain.itemEmbedding.toArray() == penalised.itemEmbedding.toArray())
        #expect(plain.globalOffset![0] == penalised.globalOffset![0])
        #expect(plain.userBias[1] == penalised.userBias[1] && plain.itemBias[2] == penalised.itemBias[2])
    }

    @Test("Trainer with Adam: a strong biasL2 keeps the bias tables much smaller")
    func adamBiasL2ShrinksBiases() throws {
        let data = try SyntheticRatings.generate(.init(users: 40, items: 30, ratings: 600, seed: 5))
        func biasNorm(_ biasL2: Float) throws -> Double {
            let model = try BiasedMF(for: data, configuration: .init(dimension: 4, globalOffset: 3.5, seed: 2))
            var config = TrainingConfiguration(epochs: 4, batchSize: 16, optimizer: .adam(learningRate: 0.05),
                                               deterministic: true)
            config.biasL2 = biasL2
            try Trainer(configuration: config).fit(model, on: data)
            return (model.userBias.toArray() + model.itemBias.toArray()).reduce(0) { $0 + Double($1 * $1) }
        }
        let free = try biasNorm(0), penalised = try biasNorm(1)
        #expect(free > 1, "the biases should grow without a penalty (Σb² = \(free))")
        #expect(penalised < free / 4, "Σb² with biasL2 = 1: \(penalised), without: \(free)")
    }
}
