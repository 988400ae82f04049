import Foundation
import Testing
@testable import EmbedRec

@Suite("Ranking losses: BPR and sampled softmax")
struct RankingLossTests {
    /// The loss of `predictions` through the public evaluate, and its gradient.
    static func evaluate(_ loss: any Loss, _ predictions: [Float]) -> (Double, [Float]) {
        var gradient = [Float](repeating: .nan, count: predictions.count)
        let targets = [Float](repeating: 0, count: predictions.count)
        var span = gradient.mutableSpan
        let value = loss.evaluate(predictions: predictions.span, targets: targets.span, gradient: &span)
        _ = consume span
        return (value, gradient)
    }

    @Test("the gradients match central finite differences", arguments: [1, 3])
    func gradientCheck(negatives: Int) throws {
        var rng = SeededGenerator(seed: 21)
        let positives = 5
        let predictions = (0..<(positives * (1 + negatives))).map { _ in (rng.nextUnitFloat() - 0.5) * 6 }
        for loss in [BPRLoss(negatives: negatives) as any Loss, BPRLoss(negatives: negatives, pairing: .hardestNegative),
                     SampledSoftmaxLoss(negatives: negatives)] {
            let (_, gradient) = Self.evaluate(loss, predictions)
            // The reported value is the batch sum; the gradient is of the batch mean.
            let scale = loss is BPRLoss ? Double(positives) : Double(positives)
            for k in predictions.indices {
                let h: Float = 1e-2
                var up = predictions, down = predictions
                up[k] += h; down[k] -= h
                let numeric = (Self.evaluate(loss, up).0 - Self.evaluate(loss, down).0) / Double(2 * h) / scale
                #expect(abs(numeric - Double(gradient[k])) <= 2e-3 + 0.02 * abs(numeric),
                        "\(loss.summary), prediction \(k): \(gradient[k]) vs \(numeric)")
            }
        }
    }

    @Test("known answers: BPR is softplus of the negative margin; softmax the log-sum-exp")
    func knownAnswers() {
        let (bpr, g) = Self.evaluate(BPRLoss(), [2, 0, 1, 1])  // positives 2, 0; negatives 1, 1
        #expect(abs(bpr - (log(1 + exp(-1.0)) + log(1 + exp(1.0)))) < 1e-5)
        #expect(abs(Double(g[0]) + 1 / (1 + exp(1.0)) / 2) < 1e-6 && abs(Double(g[2]) - 1 / (1 + exp(1.0)) / 2) < 1e-6)
        // Huge margins stay finite.
        let (far, gf) = Self.evaluate(BPRLoss(), [1e4, -1e4])
        #expect(far.isFinite && gf.allSatisfy(\.isFinite))
        let (softmax, _) = Self.evaluate(SampledSoftmaxLoss(negatives: 2), [3, 1, 2])
        #expect(abs(softmax - (log(exp(3.0) + exp(1.0) + exp(2.0)) - 3)) < 1e-5)
        let (big, gb) = Self.evaluate(SampledSoftmaxLoss(negatives: 2), [1e4, 9e3, -1e4])
        #expect(big.isFinite && gb.allSatisfy(\.isFinite))
    }

    @Test("hardest-negative BPR pairs each positive with its highest-scoring negative only")
    func hardestNegativePairs() {
        // Positives 2 and 0; the first's negatives 1 and 3, the second's −1 and 0.5.
        let loss = BPRLoss(negatives: 2, pairing: .hardestNegative)
        let (value, g) = Self.evaluate(loss, [2, 0, 1, 3, -1, 0.5])
        func softplus(_ x: Double) -> Double { log(1 + exp(x)) }
        #expect(abs(value - (softplus(1) + softplus(0.5))) < 1e-5)
        // The easier negatives get no gradient at all (the trainer then leaves their rows alone).
        #expect(g[2] == 0 && g[4] == 0)
        #expect(abs(Double(g[3]) - 1 / (1 + exp(-1.0)) / 2) < 1e-6 && abs(Double(g[0]) + 1 / (1 + exp(-1.0)) / 2) < 1e-6)
        #expect(abs(Double(g[5]) - 1 / (1 + exp(-0.5)) / 2) < 1e-6 && abs(Double(g[1]) + 1 / (1 + exp(-0.5)) / 2) < 1e-6)
        #expect(loss.summary.contains("hardest"))
    }

    @Test("the trainer's negatives are items the user did not rate, deterministic for a seed, the same from the bitmap and the sorted lists")
    func negativeBatches() throws {
        let data = try SyntheticRatings.generate(.init(users: 30, items: 20, ratings: 250, seed: 6))
        let rated = data.itemsByUser()
        let users = (0..<Int32(data.userCount)).flatMap { [Int32](repeating: $0, count: 5) }
        let items = [Int32](repeating: 0, count: users.count), targets = [Float](repeating: 1, count: users.count)
        func negatives(maximumBitmapBytes: Int, seed: UInt64) throws -> [Int32] {
            let negatives = try #require(EpochRunner.NegativeBatches(
                loss: BPRLoss(negatives: 4), train: data, itemCount: data.itemCount, maximumBitmapBytes: maximumBitmapBytes))
            #expect((negatives.wordsPerUser > 0) == (maximumBitmapBytes > 0))
            let buffer = EpochRunner.ExpandedBatch(capacity: users.count * 5)
            var rng = SeededGenerator(seed: seed)
            let batch = users.withUnsafeBufferPointer { u in
                items.withUnsafeBufferPointer { i in
                    targets.withUnsafeBufferPointer { t in
                        buffer.fill(positives: TrainingBatch(users: u.baseAddress!, items: i.baseAddress!, targets: t.baseAddress!,
                                                             count: users.count), negatives: negatives, rng: &rng)
                    }
                }
            }
            #expect(batch.count == users.count * 5)
            var drawn: [Int32] = []
            for k in 0..<users.count {
                for j in 0..<4 {
                    let row = users.count + k * 4 + j
                    #expect(batch.users[row] == users[k] && batch.targets[row] == 0)
                    #expect(!rated.items(of: UserIndex(users[k])).contains(batch.items[row]), "user \(users[k])")
                    drawn.append(batch.items[row])
                }
            }
            return drawn
        }
        let fromBits = try negatives(maximumBitmapBytes: 1 << 20, seed: 1)
        #expect(try negatives(maximumBitmapBytes: 1 << 20, seed: 1) == fromBits)
        #expect(try negatives(maximumBitmapBytes: 0, seed: 1) == fromBits)
        #expect(try negatives(maximumBitmapBytes: 0, seed: 2) != fromBits)
        #expect(EpochRunner.NegativeBatches(loss: SquaredError(), train: data, itemCount: data.itemCount) == nil)
    }

    @Test("BPR and sampled softmax train MatrixFactorization to recover planted taste, repeatably")
    func plantedTaste() throws {
        let data = try PlantedTaste.data()
        for loss in [BPRLoss(negatives: 2) as any Loss, BPRLoss(negatives: 4, pairing: .hardestNegative), SampledSoftmaxLoss(negatives: 8)] {
            func train() throws -> MatrixFactorization {
                let model = try MatrixFactorization(for: data, configuration: .init(dimension: 4, initializer: .normal(std: 0.1)))
                try Trainer(configuration: .init(epochs: 150, batchSize: 32, optimizer: .adam(learningRate: 0.02), embeddingL2: 1e-3,
                                                 deterministic: true),
                            loss: loss).fit(model, on: data)
                return model
            }
            let model = try train()
            let share = try PlantedTaste.ownGroupShare(model, data)
            #expect(share >= 0.9, "\(loss.summary): \(share) of the unread own-group items recommended")
            #expect(try train().userEmbedding.toArray() == model.userEmbedding.toArray(), "\(loss.summary): not repeatable")
        }
    }
}
