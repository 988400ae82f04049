import Testing
@testable import EmbedRec

@Suite("Model averaging")
struct ModelAveragingTests {
    static let users: [Int32] = (0..<200).map { Int32($0 % 13) }
    static let items: [Int32] = (0..<200).map { Int32(($0 * 7) % 17) }

    static func predictions(_ model: any Model) throws -> [Float] {
        try model.scores(users: users, items: items)
    }

    @Test("the merged BiasedMF predicts the mean of its members' predictions")
    func biasedMean() throws {
        let members = try (0..<3).map { m in
            let model = try BiasedMF(users: 13, items: 17, configuration: .init(dimension: 2 + m, globalOffset: 3.5))
            ModelTestKit.randomize(model, limit: 0.8, seed: UInt64(10 + m))
            return model
        }
        let merged = try ModelAveraging.average(members)
        #expect(merged.configuration.dimension == 2 + 3 + 4)
        let expected = try members.map(Self.predictions)
        let got = try Self.predictions(merged)
        for k in got.indices {
            let mean = expected.reduce(0) { $0 + Double($1[k]) } / 3
            #expect(abs(Double(got[k]) - mean) < 1e-5, "pair \(k): \(got[k]) vs \(mean)")
        }
    }

    @Test("the merged MatrixFactorization predicts the mean of its members' predictions")
    func plainMean() throws {
        let members = try (0..<4).map { m in
            let model = try MatrixFactorization(users: 13, items: 17, configuration: .init(dimension: 3))
            ModelTestKit.randomize(model, limit: 1, seed: UInt64(20 + m))
            return model
        }
        let merged = try ModelAveraging.average(members)
        let expected = try members.map(Self.predictions)
        let got = try Self.predictions(merged)
        for k in got.indices {
            let mean = expected.reduce(0) { $0 + Double($1[k]) } / 4
            #expect(abs(Double(got[k]) - mean) < 1e-5, "pair \(k): \(got[k]) vs \(mean)")
        }
    }

    @Test("an averaged ensemble's test MSE is below its best member's (not only below their mean, which Jensen gives for free)")
    func averagingHelps() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 120, ratings: 9_000, seed: 5))
        let split = try data.randomSplit(testFraction: 0.2, seed: 1)
        let training = TrainingConfiguration(epochs: 6, batchSize: 32, optimizer: .adam(learningRate: 0.01), embeddingL2: 1e-3, deterministic: true)
        var memberMSE: [Double] = []
        let (merged, histories) = try ModelAveraging.trainBiasedMF(
            members: 4, model: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: split.train.meanRating),
            training: training, on: split.train, validation: split.test
        ) { _, history in memberMSE.append(pow2(history.epochs.last!.validation!.rmse)) }
        #expect(histories.count == 4 && memberMSE.count == 4)
        #expect(Set(memberMSE).count > 1, "members with different seeds should differ")
        let mergedMSE = pow2(try RatingMetrics(model: merged, data: split.test).rmse)
        let meanMSE = memberMSE.reduce(0, +) / 4
        #expect(mergedMSE <= meanMSE * (1 + 1e-4), "merged \(mergedMSE) vs members' mean \(meanMSE)")
        // The claim that needs the members to disagree usefully: better than the best of them.
        #expect(mergedMSE < memberMSE.min()!, "merged \(mergedMSE) vs the best member's \(memberMSE.min()!)")
    }

    @Test("one member reproduces plain deterministic training bit for bit")
    func oneMemberIsThePlainModel() throws {
        let data = try SyntheticRatings.generate(.init(users: 80, items: 40, ratings: 1_500, seed: 3))
        let configuration = BiasedMF.Configuration(dimension: 3, globalOffset: data.meanRating, seed: 9)
        let training = TrainingConfiguration(epochs: 2, batchSize: 16, seed: 4, deterministic: true)
        let plain = try BiasedMF(for: data, configuration: configuration)
        try Trainer(configuration: training).fit(plain, on: data)
        let (averaged, _) = try ModelAveraging.trainBiasedMF(members: 1, model: configuration, training: training, on: data)
        #expect(ModelTestKit.snapshot(plain) == ModelTestKit.snapshot(averaged))
    }

    @Test("bad inputs are clear errors")
    func badInputs() throws {
        ModelTestKit.expectInvalidConfiguration(mentioning: "at least one") { _ = try ModelAveraging.average([BiasedMF]()) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "at least one") {
            _ = try ModelAveraging.average([MatrixFactorization]())
        }
        let sigmoid = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 2, output: .sigmoidScaled(min: 1, max: 5)))
        ModelTestKit.expectInvalidConfiguration(mentioning: "linear") { _ = try ModelAveraging.average([sigmoid]) }
        let small = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 2))
        let wide = try BiasedMF(users: 3, items: 4, configuration: .init(dimension: 2))
        ModelTestKit.expectInvalidConfiguration(mentioning: "same users and items") { _ = try ModelAveraging.average([small, wide]) }
        let offset = try BiasedMF(users: 3, items: 3, configuration: .init(dimension: 2, globalOffset: 3))
        ModelTestKit.expectInvalidConfiguration(mentioning: "offset") { _ = try ModelAveraging.average([small, offset]) }
        let mfA = try MatrixFactorization(users: 3, items: 3, configuration: .init(dimension: 2))
        let mfB = try MatrixFactorization(users: 4, items: 3, configuration: .init(dimension: 2))
        ModelTestKit.expectInvalidConfiguration(mentioning: "same users and items") { _ = try ModelAveraging.average([mfA, mfB]) }
        let data = try SyntheticRatings.generate(.init(users: 20, items: 10, ratings: 100, seed: 1))
        ModelTestKit.expectInvalidConfiguration(mentioning: "members") {
            _ = try ModelAveraging.trainBiasedMF(members: 0, model: .init(dimension: 2), training: .init(), on: data)
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "linear") {
            _ = try ModelAveraging.trainBiasedMF(
                members: 2, model: .init(dimension: 2, output: .sigmoidScaled(min: 1, max: 5)), training: .init(), on: data)
        }
    }
}

private func pow2(_ x: Double) -> Double { x * x }

@Suite("Model averaging: epoch selection")
struct ModelAveragingEpochTests {
    @Test("bestEpochCount returns the minimum of the averaged validation curve")
    func picksTheMinimum() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 120, ratings: 9_000, seed: 8))
        let split = try data.randomSplit(testFraction: 0.2, seed: 2)
        let training = TrainingConfiguration(epochs: 8, batchSize: 32, optimizer: .adam(learningRate: 0.01), embeddingL2: 1e-3)
        let (epochs, curve) = try ModelAveraging.bestEpochCount(
            members: 3, model: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: split.train.meanRating),
            training: training, on: split.train, validation: split.test)
        #expect(curve.count == 8)
        #expect((1...8).contains(epochs))
        #expect(curve[epochs - 1] == curve.min())
        #expect(curve[epochs - 1] < curve[0], "the average should improve on its first epoch")
        // The curve is the averaged members' RMSE: training the same members for `epochs`
        // epochs and averaging them reproduces its value (deterministic members).
        var deterministic = training
        deterministic.deterministic = true
        let (_, again) = try ModelAveraging.bestEpochCount(
            members: 3, model: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: split.train.meanRating),
            training: deterministic, on: split.train, validation: split.test)
        deterministic.epochs = 3
        let (merged, _) = try ModelAveraging.trainBiasedMF(
            members: 3, model: .init(dimension: 4, initializer: .normal(std: 0.1), globalOffset: split.train.meanRating),
            training: deterministic, on: split.train)
        let rmse = try RatingMetrics(model: merged, data: split.test).rmse
        #expect(abs(rmse - again[2]) < 1e-4, "merged model \(rmse) vs curve at epoch 3 \(again[2])")
    }

    @Test("bad inputs are clear errors")
    func badInputs() throws {
        let data = try SyntheticRatings.generate(.init(users: 20, items: 10, ratings: 100, seed: 1))
        ModelTestKit.expectInvalidConfiguration(mentioning: "members") {
            _ = try ModelAveraging.bestEpochCount(members: 0, model: .init(dimension: 2), training: .init(), on: data, validation: data)
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "epochs") {
            _ = try ModelAveraging.bestEpochCount(members: 2, model: .init(dimension: 2), training: .init(epochs: 0),
                                                  on: data, validation: data)
        }
        let empty = data.subset(rows: [Int]())
        ModelTestKit.expectDatasetError(mentioning: "empty") {
            _ = try ModelAveraging.bestEpochCount(members: 1, model: .init(dimension: 2), training: .init(), on: data, validation: empty)
        }
    }
}
