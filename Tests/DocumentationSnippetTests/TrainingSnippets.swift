// The code of Sources/EmbedRec/EmbedRec.docc/TrainingAModel.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Training")
struct TrainingSnippets {
    static let data = try! SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))

    @Test func explicitModel() throws {
        let data = Self.data
        let split = try data.randomSplit(testFraction: 0.2, seed: 42)
        let inner = try split.train.randomSplit(testFraction: 0.1, seed: 1)
        let model = try BiasedMF(for: split.train, configuration: .init(dimension: 32, initializer: .heNormal))
        let configuration = TrainingConfiguration(
            epochs: 30, batchSize: 64, optimizer: .adam(learningRate: 0.001),
            embeddingL2: 0.001, earlyStoppingPatience: 3, seed: 7)
        let history = try Trainer(configuration: configuration)
            .fit(model, on: inner.train, validation: inner.test)
        for epoch in history.epochs {
            print(epoch.epoch, epoch.meanLoss, epoch.validation?.rmse ?? .nan, epoch.ratingsPerSecond)
        }
        print("weights of epoch", history.bestEpoch, "stopped early:", history.stoppedEarly)

        #expect(history.best != nil)
    }

    @Test func progressAndStopping() throws {
        let split = try Self.data.randomSplit(testFraction: 0.2, seed: 42)
        let model = try MatrixFactorization(for: split.train, configuration: .init(dimension: 16))
        let trainer = try Trainer(configuration: .init(epochs: 50))
        let history = try trainer.fit(model, on: split.train, validation: split.test) { history in
            guard let last = history.epochs.last else { return .proceed }
            print("epoch \(last.epoch): validation \(last.validation?.description ?? "-")")
            return last.seconds > 60 ? .stop : .proceed
        }

        #expect(history.epochs.count >= 1)
    }

    @Test func deterministic() throws {
        let data = Self.data
        let recipe = try Recipe.tutorialV2.adjusted(.init(deterministic: true))   // one worker: the same weights on every run
        let first = try recipe.fit(data).model
        let second = try recipe.fit(data).model

        let (a, b) = (try RatingMetrics(model: first, data: data), try RatingMetrics(model: second, data: data))
        #expect(a == b)
    }

    @Test func otherModelsAndLosses() throws {
        let data = Self.data
        let mlp = try ConcatMLP(for: data, configuration: .init(
            userDimension: 16, itemDimension: 16, hiddenUnits: [64, 16], hiddenDropout: [0.2, 0]))
        try Trainer(configuration: .init(epochs: 3, batchSize: 256)).fit(mlp, on: data)

        let ranker = try MatrixFactorization(for: data, configuration: .init(dimension: 32, initializer: .normal(std: 0.1)))
        try Trainer(configuration: .init(epochs: 5, batchSize: 256, optimizer: .adam(learningRate: 0.002)),
                    loss: BPRLoss(negatives: 1, sampling: .popularity))
            .fit(ranker, on: data)

        #expect(mlp.userCount == data.userCount && ranker.itemCount == data.itemCount)
    }

    @Test func averaging() throws {
        let split = try Self.data.randomSplit(testFraction: 0.2, seed: 42)
        let member = BiasedMF.Configuration(dimension: 8, initializer: .heNormal, globalOffset: split.train.meanRating)
        let training = TrainingConfiguration(epochs: 5, batchSize: 64, embeddingL2: 0.001)
        let (averaged, histories) = try ModelAveraging.trainBiasedMF(
            members: 4, model: member, training: training, on: split.train)
        print(averaged.summary, histories.count, try RatingMetrics(model: averaged, data: split.test))

        #expect(histories.count == 4)
    }
}
