import Foundation
import Testing
@testable import EmbedRec

@Suite("Trainer")
struct TrainerTests {
    static func mf(_ data: RatingsDataset, seed: UInt64 = 42) throws -> MatrixFactorization {
        try MatrixFactorization(for: data, configuration: .init(dimension: 5, seed: seed))
    }

    @Test("invalid training configurations throw with a clear message")
    func invalidConfigurations() {
        ModelTestKit.expectInvalidConfiguration(mentioning: "batch size") { _ = try Trainer(configuration: .init(batchSize: 0)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "batch size") { _ = try Trainer(configuration: .init(batchSize: -4)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "epochs") { _ = try Trainer(configuration: .init(epochs: 0)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "epochs") { _ = try Trainer(configuration: .init(epochs: -1)) }
        for lr: Float in [0, -0.001, .nan, .infinity] {
            ModelTestKit.expectInvalidConfiguration(mentioning: "learning rate") {
                _ = try Trainer(configuration: .init(optimizer: .adam(learningRate: lr)))
            }
            ModelTestKit.expectInvalidConfiguration(mentioning: "learning rate") {
                _ = try Trainer(configuration: .init(optimizer: .sgd(learningRate: lr)))
            }
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "beta") {
            _ = try Trainer(configuration: .init(optimizer: .adam(beta1: 1)))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "epsilon") {
            _ = try Trainer(configuration: .init(optimizer: .adam(epsilon: 0)))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "patience") {
            _ = try Trainer(configuration: .init(earlyStoppingPatience: 0))
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "L2") { _ = try Trainer(configuration: .init(embeddingL2: -1)) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "L2") { _ = try Trainer(configuration: .init(weightL2: .nan)) }
        // The defaults and the tutorials' settings are valid.
        #expect(throws: Never.self) { _ = try Trainer() }
        #expect(throws: Never.self) {
            _ = try Trainer(configuration: .init(epochs: 1, batchSize: 1, optimizer: .sgd(learningRate: 1e-6)))
        }
    }

    @Test("an empty training set throws invalidData")
    func emptyTrainingSet() throws {
        let data = try PlantedData.small()
        let model = try Self.mf(data)
        ModelTestKit.expectDatasetError(mentioning: "empty") {
            try Trainer(configuration: .init(epochs: 1)).fit(model, on: data.subset(rows: [Int]()))
        }
    }

    @Test("SGD with a huge learning rate throws nonFiniteLoss and restores the initial weights")
    func hugeLearningRateOnMF() throws {
        let base = try PlantedData.small()
        let big = try ModelTestKit.dataset(
            users: base.users, items: base.items, ratings: base.ratings.map { $0 * 1000 },
            userCount: base.userCount, itemCount: base.itemCount)
        let model = try Self.mf(big)
        let initial = ModelTestKit.snapshot(model)
        let trainer = try Trainer(configuration: .init(epochs: 5, optimizer: .sgd(learningRate: 1e6), deterministic: true))
        #expect(throws: TrainingError.nonFiniteLoss(epoch: 1, lastGoodEpoch: 0)) { try trainer.fit(model, on: big) }
        #expect(ModelTestKit.allFinite(model))
        #expect(ModelTestKit.snapshot(model) == initial)
        // The message tells the user what to do.
        #expect(TrainingError.nonFiniteLoss(epoch: 1, lastGoodEpoch: 0).description.contains("learning rate"))
        // The restored model still trains normally.
        try Trainer(configuration: .init(epochs: 1, optimizer: .adam(learningRate: 0.01), deterministic: true))
            .fit(model, on: base)
        #expect(ModelTestKit.allFinite(model))
    }

    @Test("divergence after good epochs restores the last good epoch's weights")
    func divergenceAfterGoodEpochs() throws {
        // SGD on the summed loss: stable at first, then the step outgrows the curvature as the
        // embeddings grow, and the run blows up a few epochs in.
        let data = try PlantedData.small()
        var found = false
        for lr: Float in [0.08, 0.07, 0.09, 0.06, 0.1] {
            let model = try Self.mf(data)
            let config = TrainingConfiguration(
                epochs: 20, batchSize: 64, optimizer: .sgd(learningRate: lr), deterministic: true)
            let error = ModelTestKit.thrownError { try Trainer(configuration: config, loss: SquaredError(reduction: .sum)).fit(model, on: data) }
            let (epoch, lastGood): (Int, Int)
            switch error as? TrainingError {
            case let .nonFiniteLoss(e, g)?: (epoch, lastGood) = (e, g)
            case let .diverged(e, _, g)?: (epoch, lastGood) = (e, g)
            default: continue
            }
            guard lastGood >= 1 else { continue }
            found = true
            #expect(lastGood == epoch - 1)
            #expect(ModelTestKit.allFinite(model))
            // Retraining for exactly `lastGood` epochs gives the same weights, bit for bit.
            let replay = try Self.mf(data)
            var replayConfig = config
            replayConfig.epochs = lastGood
            try Trainer(configuration: replayConfig, loss: SquaredError(reduction: .sum)).fit(replay, on: data)
            #expect(ModelTestKit.snapshot(model) == ModelTestKit.snapshot(replay),
                    "lr \(lr): weights after divergence in epoch \(epoch) should equal the end of epoch \(lastGood)")
            break
        }
        #expect(found, "no learning rate diverged after a good epoch; adjust the sweep")
    }

    @Test("the progress callback sees every epoch and can stop training")
    func progressCallbackStops() throws {
        let data = try PlantedData.small()
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let config = TrainingConfiguration(epochs: 10, batchSize: 32, optimizer: .adam(learningRate: 0.01), deterministic: true)
        let model = try Self.mf(data)
        var calls: [Int] = []
        let history = try Trainer(configuration: config).fit(model, on: split.train, validation: split.test) { h in
            calls.append(h.epochs.count)
            #expect(h.epochs.last?.validation != nil)
            return h.epochs.count == 3 ? .stop : .proceed
        }
        #expect(calls == [1, 2, 3])
        #expect(history.epochs.count == 3)
        #expect(history.stoppedEarly)
        #expect(history.bestEpoch == 3)
        // The model holds the weights of the epoch that stopped: the same as a 3-epoch run.
        let reference = try Self.mf(data)
        var three = config
        three.epochs = 3
        try Trainer(configuration: three).fit(reference, on: split.train, validation: split.test)
        #expect(ModelTestKit.snapshot(model) == ModelTestKit.snapshot(reference))

        // Stopping on the last epoch is not an early stop; proceeding runs every epoch.
        var lastCalls = 0
        let full = try Trainer(configuration: three).fit(try Self.mf(data), on: split.train) { h in
            lastCalls += 1
            return h.epochs.count == 3 ? .stop : .proceed
        }
        #expect(lastCalls == 3 && full.epochs.count == 3 && !full.stoppedEarly)
    }

    @Test("history without validation data, and early stopping on the training loss")
    func historyWithoutValidation() throws {
        let data = try PlantedData.small()
        let history = try Trainer(configuration: .init(epochs: 4, batchSize: 32, optimizer: .adam(learningRate: 0.01),
                                                       deterministic: true))
            .fit(try Self.mf(data), on: data)
        #expect(history.epochs.count == 4)
        #expect(history.epochs.allSatisfy { $0.validation == nil && $0.ratingsPerSecond > 0 && $0.examples == data.count })
        #expect(history.bestEpoch == 4 && !history.stoppedEarly)
        let mse = history.epochs.map(\.meanLoss)
        #expect(zip(mse, mse.dropFirst()).allSatisfy { $1 < $0 }, "training MSE should fall: \(mse)")

        // With patience but no validation set, the training loss decides; it keeps falling here.
        let patient = try Trainer(configuration: .init(epochs: 4, batchSize: 32, optimizer: .adam(learningRate: 0.01),
                                                       earlyStoppingPatience: 1, deterministic: true))
            .fit(try Self.mf(data), on: data)
        #expect(patient.epochs.count == 4 && !patient.stoppedEarly && patient.bestEpoch == 4)
    }

    @Test("parallel (Hogwild) training runs, learns and stays finite")
    func parallelTraining() throws {
        let split = try PlantedData.split()
        let model = try BiasedMF(for: split.train, configuration: .init(
            dimension: 8, globalOffset: split.train.meanRating, output: .linear))
        let history = try Trainer(configuration: .init(
            epochs: 3, optimizer: .adam(learningRate: 0.01), parallelism: Parallelism(threads: 2)))
            .fit(model, on: split.train, validation: split.test)
        #expect(ModelTestKit.allFinite(model))
        let rmse = history.epochs.last!.validation!.rmse
        #expect(rmse < ModelTestKit.globalMeanRMSE(train: split.train, test: split.test) - 0.05)
    }

    @Test("mean and sum loss reductions scale the gradient as documented")
    func lossReductionScalesGradient() throws {
        // One batch of SGD: with .sum, the step is `batch size` times the .mean step.
        let data = try ModelTestKit.dataset(users: [0, 1, 2, 0], items: [0, 1, 0, 2], ratings: [4, 2, 5, 3],
                                            userCount: 3, itemCount: 3)
        func step(_ reduction: LossReduction) throws -> [[Float]] {
            let model = try MatrixFactorization(for: data, configuration: .init(dimension: 3, initializer: .uniform(0.5)))
            let before = ModelTestKit.snapshot(model)
            try Trainer(configuration: .init(epochs: 1, batchSize: 4, optimizer: .sgd(learningRate: 0.01), deterministic: true),
                        loss: SquaredError(reduction: reduction)).fit(model, on: data)
            return zip(ModelTestKit.snapshot(model), before).map { zip($0, $1).map { $0 - $1 } }
        }
        let mean = try step(.mean), sum = try step(.sum)
        for (m, s) in zip(mean.joined(), sum.joined()) {
            #expect(abs(s - 4 * m) <= 1e-5 * max(1, abs(s)), "sum step \(s), mean step \(m)")
        }
        #expect(mean.joined().contains { $0 != 0 })
    }
}

@Suite("Trainer: dataset order")
struct TrainerOrderTests {
    static let data = try! SyntheticRatings.generate(.init(users: 120, items: 60, ratings: 3_000, seed: 12))

    static func train(shuffle: Bool, seed: UInt64, threads: Int = 1, deterministic: Bool = true) throws -> (BiasedMF, Double) {
        let model = try BiasedMF(for: data, configuration: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: data.meanRating))
        var configuration = TrainingConfiguration(epochs: 10, batchSize: 16, optimizer: .sgd(learningRate: 0.01),
                                                  seed: seed,
                                                  parallelism: .init(threads: threads), deterministic: deterministic)
        configuration.shuffle = shuffle
        let history = try Trainer(configuration: configuration, loss: SquaredError(reduction: .sum)).fit(model, on: data)
        return (model, history.epochs.last!.meanLoss)
    }

    @Test("without shuffling the seed does not matter; with shuffling it does")
    func seedOnlyShuffles() throws {
        let (a, _) = try Self.train(shuffle: false, seed: 1)
        let (b, _) = try Self.train(shuffle: false, seed: 2)
        #expect(ModelTestKit.snapshot(a) == ModelTestKit.snapshot(b))
        let (c, _) = try Self.train(shuffle: true, seed: 1)
        let (d, _) = try Self.train(shuffle: true, seed: 2)
        #expect(ModelTestKit.snapshot(c) != ModelTestKit.snapshot(d))
        #expect(ModelTestKit.snapshot(a) != ModelTestKit.snapshot(c))
    }

    @Test("in dataset order, two workers on contiguous shares still learn")
    func contiguousWorkersLearn() throws {
        let (_, first) = try Self.train(shuffle: false, seed: 1, threads: 1, deterministic: true)
        let (model, mse) = try Self.train(shuffle: false, seed: 1, threads: 2, deterministic: false)
        let baseline = ModelTestKit.mean(Self.data)
        var variance = 0.0
        for r in Self.data.ratings { variance += (Double(r) - baseline) * (Double(r) - baseline) }
        variance /= Double(Self.data.count)
        #expect(mse < 0.8 * variance, "training MSE \(mse) vs variance \(variance)")
        #expect(abs(mse - first) < 0.2 * first, "two workers \(mse) vs one \(first)")
        #expect(ModelTestKit.allFinite(model))
    }

    @Test("the epoch's shuffle is a seeded permutation of the training rows, gathered alike on one or two threads")
    func shuffledGatherIsASeededPermutation() throws {
        // Large enough (> 65,536 rows) that the gather is split across two workers.
        let n = 70_001
        var rng = SeededGenerator(seed: 3)
        let users = (0..<n).map { _ in Int32(rng.nextInt(below: 500)) }
        let items = (0..<n).map { _ in Int32(rng.nextInt(below: 300)) }
        let ratings = (0..<n).map { Float($0 % 5 + 1) + Float($0) * 1e-6 }
        let data = try RatingsDataset(rawUsers: (users.map(Int64.init)).map(RawID.integer), rawItems: (items.map(Int64.init)).map(RawID.integer), ratings: ratings)
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 2))
        func gathered(workers: Int, seed: UInt64) throws -> ([Int32], [Int32], [Float]) {
            let runner = EpochRunner(model: model, train: data, configuration: .init(batchSize: 64, parallelism: Parallelism(threads: workers)),
                                     loss: SquaredError())
            #expect(runner.workers == workers)
            var generator = SeededGenerator(seed: seed)
            runner.shuffleAndGather(&generator)
            return (Array(runner.users), Array(runner.items), Array(runner.targets))
        }
        let one = try gathered(workers: 1, seed: 9), two = try gathered(workers: 2, seed: 9)
        #expect(one.0 == two.0 && one.1 == two.1 && one.2 == two.2)
        // The permutation is the generator's Fisher–Yates of the identity (what
        // `SeededGenerator.shuffle` draws), and every row appears exactly once.
        var expected = Array(0..<n)
        var generator = SeededGenerator(seed: 9)
        generator.shuffle(&expected)
        #expect(one.2 == expected.map { data.ratings[$0] })
        #expect(one.0 == expected.map { data.users[$0] } && one.1 == expected.map { data.items[$0] })
        #expect(Set(one.2).count == n)
        #expect(try gathered(workers: 2, seed: 10).2 != one.2)
    }

    @Test("each epoch's time covers the shuffle and gather, reported apart as its preparation")
    func epochTimeIncludesPreparation() throws {
        let model = try TrainerTests.mf(Self.data)
        let history = try Trainer(configuration: .init(epochs: 2, batchSize: 32)).fit(model, on: Self.data)
        for epoch in history.epochs {
            #expect(epoch.preparationSeconds > 0)
            #expect(epoch.preparationSeconds < epoch.seconds)
            #expect(abs(epoch.ratingsPerSecond - Double(Self.data.count) / epoch.seconds) < 1e-6 * epoch.ratingsPerSecond)
        }
    }
}
