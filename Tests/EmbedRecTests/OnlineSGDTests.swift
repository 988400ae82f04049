import EmbedRecKernels
import Testing
@testable import EmbedRec

/// `Optimizer.onlineSGD`: one update per example, as scikit-surprise's SVD trains.
@Suite("Online SGD")
struct OnlineSGDTests {
    /// `users × items` ratings of a planted rank-2 taste, `fraction` of the pairs observed.
    static func planted(users: Int, items: Int, fraction: Double, seed: UInt64) throws -> RatingsDataset {
        var rng = SeededGenerator(seed: seed)
        let a = randomFloats(users * 2, &rng), b = randomFloats(items * 2, &rng)
        var u: [Int32] = [], i: [Int32] = [], r: [Float] = []
        for user in 0..<users {
            for item in 0..<items where Double(rng.next() % 1000) < fraction * 1000 {
                u.append(Int32(user)); i.append(Int32(item))
                r.append(3 + 1.5 * (a[2 * user] * b[2 * item] + a[2 * user + 1] * b[2 * item + 1]))
            }
        }
        return try RatingsDataset(users: u, items: i, ratings: r,
                                  userIDs: UserIDMap(integerIDs: (0..<Int64(users)).map { $0 }),
                                  itemIDs: ItemIDMap(integerIDs: (0..<Int64(items)).map { $0 }))
    }

    @Test("known answer: two epochs in data order equal surprise's update loop written out, whatever the batch size; the offset held or trained",
          arguments: [false, true])
    func matchesWrittenOutLoop(trainsOffset: Bool) throws {
        let data = try Self.planted(users: 7, items: 6, fraction: 0.6, seed: 1)
        let (lr, l2, biasL2): (Float, Float, Float) = (0.01, 0.02, 0.03)
        var modelConfiguration = BiasedMF.Configuration(dimension: 5, initializer: .uniform(0.3), globalOffset: 3, seed: 4)
        modelConfiguration.trainsGlobalOffset = trainsOffset
        var finals: [[[Float]]] = []
        for batchSize in [1, 3, 64] {
            let model = try BiasedMF(for: data, configuration: modelConfiguration)
            var training = TrainingConfiguration(epochs: 2, batchSize: batchSize, optimizer: .onlineSGD(learningRate: lr),
                                                 embeddingL2: l2, deterministic: true)
            training.shuffle = false
            training.biasL2 = biasL2
            try Trainer(configuration: training, loss: SquaredError(reduction: .sum)).fit(model, on: data)
            finals.append(model.parameters.map { $0.toArray() })
        }
        // The same batches only group the work: bit for bit the same tables.
        #expect(finals[0] == finals[1] && finals[1] == finals[2])

        // surprise's SVD.fit, in EmbedRec's units (lr on Σe², so the step is 2e·lr; L2 2λw);
        // a trained offset takes the step without L2.
        let reference = try BiasedMF(for: data, configuration: modelConfiguration)
        var p = reference.parameters[0].toArray(), q = reference.parameters[1].toArray()
        var bu = reference.parameters[2].toArray(), bi = reference.parameters[3].toArray()
        var offset: Float = 3
        let d = 5
        for _ in 0..<2 {
            for k in 0..<data.count {
                let u = Int(data.users[k]), i = Int(data.items[k])
                var z: Float = offset + bu[u] + bi[i]
                for f in 0..<d { z += p[u * d + f] * q[i * d + f] }
                let g: Float = 2 * (z - data.ratings[k])
                let userStep: Float = g + 2 * biasL2 * bu[u], itemStep: Float = g + 2 * biasL2 * bi[i]
                bu[u] -= lr * userStep
                bi[i] -= lr * itemStep
                if trainsOffset { offset -= lr * g }
                for f in 0..<d {
                    let pf: Float = p[u * d + f], qf: Float = q[i * d + f]
                    let pStep: Float = g * qf + 2 * l2 * pf, qStep: Float = g * pf + 2 * l2 * qf
                    p[u * d + f] = pf - lr * pStep
                    q[i * d + f] = qf - lr * qStep
                }
            }
        }
        let expected = [p, q, bu, bi] + (trainsOffset ? [[offset]] : [])
        #expect(finals[0].count == expected.count)
        if trainsOffset { #expect(offset != 3) }
        for (ours, theirs) in zip(finals[0], expected) {
            #expect(ours.count == theirs.count)
            for (x, y) in zip(ours, theirs) { #expect(abs(x - y) <= 1e-5, "\(x) vs \(y)") }
        }
    }

    @Test("learns a planted taste: held-out RMSE far below the mean's, on 1 and 2 workers")
    func learnsPlantedTaste() throws {
        let all = try Self.planted(users: 300, items: 120, fraction: 0.4, seed: 7)
        let split = try all.randomSplit(testFraction: 0.2, seed: 3)
        let mean = split.train.ratings.reduce(0, +) / Float(split.train.count)
        let baseline = (split.test.ratings.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Float(split.test.count)).squareRoot()
        for threads in [1, 2] {
            let model = try BiasedMF(for: split.train, configuration: .init(dimension: 4, initializer: .uniform(0.1),
                                                                          globalOffset: mean, seed: 2))
            let training = TrainingConfiguration(epochs: 40, batchSize: 64, optimizer: .onlineSGD(learningRate: 0.01),
                                                 embeddingL2: 0.001, parallelism: Parallelism(threads: threads))
            try Trainer(configuration: training, loss: SquaredError(reduction: .sum)).fit(model, on: split.train)
            let rmse = try RatingMetrics(model: model, data: split.test).rmse
            #expect(rmse < 0.35 * Double(baseline), "\(threads) threads: RMSE \(rmse) against the mean's \(baseline)")
        }
    }

    @Test("refused where it has no meaning: a model without the online step, a step size of 0")
    func refusals() throws {
        let data = try Self.planted(users: 10, items: 8, fraction: 0.5, seed: 2)
        let trainer = try Trainer(configuration: .init(epochs: 1, optimizer: .onlineSGD(learningRate: 0.01)))
        let mlp = try ConcatMLP(for: data, configuration: .init(userDimension: 3, itemDimension: 3, hiddenUnits: [4]))
        let mlpError = #expect(throws: ConfigurationError.self) { try trainer.fit(mlp, on: data) }
        #expect("\(String(describing: mlpError))".contains("online SGD"))
        let bpr = try Trainer(configuration: .init(epochs: 1, optimizer: .onlineSGD(learningRate: 0.01)), loss: BPRLoss())
        let bprError = #expect(throws: ConfigurationError.self) { try bpr.fit(mlp, on: data) }
        #expect("\(String(describing: bprError))".contains("online SGD"))
        #expect(throws: ConfigurationError.self) { try Trainer(configuration: .init(optimizer: .onlineSGD(learningRate: 0))) }
    }

    @Test("with sampled negatives: a positive and its negatives step together, as BPR's update written out (hardest and every negative, with biases)",
          arguments: [BPRLoss.Pairing.hardestNegative, .everyNegative])
    func rankingStepMatchesWrittenOutLoop(pairing: BPRLoss.Pairing) throws {
        let data = try Self.planted(users: 4, items: 9, fraction: 0.5, seed: 3)
        let d = 4, m = 3, (lr, l2, biasL2): (Float, Float, Float) = (0.05, 0.01, 0.02)
        let model = try BiasedMF(for: data, configuration: .init(dimension: d, initializer: .uniform(0.5), globalOffset: 0.2, seed: 5))
        var p = model.parameters[0].toArray(), q = model.parameters[1].toArray()
        var bu = model.parameters[2].toArray(), bi = model.parameters[3].toArray()
        // Two positives, then each one's three negatives (an item may come twice).
        let users: [Int32] = [1, 3, 1, 1, 1, 3, 3, 3], items: [Int32] = [2, 5, 0, 7, 4, 1, 1, 8]
        let targets: [Float] = [1, 1, 0, 0, 0, 0, 0, 0]
        let loss = BPRLoss(negatives: m, pairing: pairing)
        let context = TrainingContext(gradients: GradientSet(model: model, maxBatch: 64), arena: ScratchArena(),
                                      rng: SeededGenerator(seed: 1), loss: loss)
        context.onlineSGD = OnlineSGDStep(learningRate: lr, embeddingL2: l2, biasL2: biasL2, negativesPerPositive: m)
        users.withUnsafeBufferPointer { u in
            items.withUnsafeBufferPointer { i in
                targets.withUnsafeBufferPointer { t in
                    _ = model.trainStep(TrainingBatch(users: u.baseAddress!, items: i.baseAddress!, targets: t.baseAddress!, count: 8), context)
                }
            }
        }
        // Written out: score the group, take each score's loss gradient, step every row from
        // the old user row (the user's row from the old item rows).
        let offset: Float = 0.2
        for k in 0..<2 {
            let u = Int(users[k])
            let group = [Int(items[k])] + (0..<m).map { Int(items[2 + k * m + $0]) }
            let z = group.map { i in offset + bu[u] + bi[i] + (0..<d).reduce(Float(0)) { $0 + p[u * d + $1] * q[i * d + $1] } }
            let g = context.lossGradient(predictions: z, targets: [1] + [Float](repeating: 0, count: m)).gradient
            let oldP = Array(p[(u * d)..<(u * d + d)])
            var userStep = [Float](repeating: 0, count: d)
            for (t, i) in group.enumerated() where g[t] != 0 {
                for f in 0..<d { userStep[f] += g[t] * q[i * d + f] }
            }
            for (t, i) in group.enumerated() where g[t] != 0 {
                for f in 0..<d { q[i * d + f] -= lr * (g[t] * oldP[f] + 2 * l2 * q[i * d + f]) }
                bi[i] -= lr * (g[t] + 2 * biasL2 * bi[i])
            }
            for f in 0..<d { p[u * d + f] -= lr * (userStep[f] + 2 * l2 * p[u * d + f]) }
            bu[u] -= lr * (g.reduce(0, +) + 2 * biasL2 * bu[u])
            if pairing == .hardestNegative { #expect(g.filter { $0 != 0 }.count == 2, "one pair per positive") }
        }
        for (ours, theirs) in zip(model.parameters.prefix(4).map { $0.toArray() }, [p, q, bu, bi]) {
            for (x, y) in zip(ours, theirs) { #expect(abs(x - y) <= 1e-5, "\(x) vs \(y)") }
        }
    }

    @Test("with BPR it learns planted taste groups, on 1 and 2 workers")
    func rankingLearnsPlantedTaste() throws {
        let data = try PlantedTaste.data()
        for threads in [1, 2] {
            let model = try MatrixFactorization(for: data, configuration: .init(dimension: 8, initializer: .normal(std: 0.1), predictsRatings: false))
            let training = TrainingConfiguration(epochs: 30, batchSize: 64, optimizer: .onlineSGD(learningRate: 0.02),
                                                 embeddingL2: 1e-5, parallelism: Parallelism(threads: threads))
            try Trainer(configuration: training, loss: BPRLoss(negatives: 4, pairing: .hardestNegative)).fit(model, on: data)
            let share = try PlantedTaste.ownGroupShare(model, data)
            #expect(share >= 0.9, "\(threads) threads: \(share) of the unread own-group items recommended")
        }
    }
}
