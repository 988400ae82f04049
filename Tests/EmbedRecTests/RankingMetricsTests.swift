import Foundation
import Testing
@testable import EmbedRec

/// 1 / log₂(i + 1) for rank i = 1, 2, 3.
private let discount1 = 1.0
private let discount2 = 1 / log2(3.0)   // 0.6309297535714575
private let discount3 = 0.5             // 1 / log₂ 4

private func approx(_ a: Double, _ b: Double, _ tolerance: Double = 1e-12) -> Bool { abs(a - b) <= tolerance }

/// Runs `body` and checks it throws ``DatasetError/invalidArgument(_:)``.
private func expectInvalidArgument(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("\(what): expected invalidArgument, nothing was thrown", sourceLocation: sourceLocation)
    } catch DatasetError.invalidArgument {
    } catch {
        Issue.record("\(what): expected invalidArgument, got \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("RankingMetrics")
struct RankingMetricsTests {
    @Test("hand-computed precision, recall, NDCG, MAP, hit rate and coverage")
    func knownAnswers() throws {
        // K = 3, catalogue of 10 items.
        // user A: L = [1, 2, 3], R = {1, 3, 7}: hits at ranks 1 and 3.
        //   precision 2/3, recall 2/3,
        //   DCG = 1/log₂2 + 1/log₂4 = 1.5, IDCG (min(3, 3) = 3 ranks) = 1 + 0.6309 + 0.5 = 2.1309,
        //   AP = (1/1 + 2/3) / min(3, 3) = 5/9, hit.
        // user B: L = [4, 5, 6], R = {9}: nothing.
        // user C: L = [7, 8, 1], R = {}: skipped, but its items count for coverage.
        // user D: L = [2, 9] (short list), R = {9}: hit at rank 2.
        //   precision 1/3 (÷ K, not ÷ |L|), recall 1, DCG = 1/log₂3, IDCG (min(3, 1) = 1 rank) = 1,
        //   AP = (1/2) / min(3, 1) = 1/2, hit.
        let m = try RankingMetrics(
            recommended: [[1, 2, 3], [4, 5, 6], [7, 8, 1], [2, 9]],
            relevant: [[1, 3, 7], [9], [], [9]], k: 3, catalogueSize: 10)
        #expect(m.usersEvaluated == 3)
        #expect(m.k == 3)
        // Means over A, B, D.
        #expect(approx(m.precision, (2.0 / 3 + 0 + 1.0 / 3) / 3))                       // 1/3
        #expect(approx(m.recall, (2.0 / 3 + 0 + 1) / 3))                                  // 5/9
        let ndcgA = (discount1 + discount3) / (discount1 + discount2 + discount3)         // 0.70392
        #expect(approx(ndcgA, 0.7039180890341348, 1e-12))
        #expect(approx(m.ndcg, (ndcgA + 0 + discount2) / 3))                              // 0.44495
        #expect(approx(m.map, (5.0 / 9 + 0 + 0.5) / 3))                                   // 19/54
        #expect(approx(m.map, 19.0 / 54))
        #expect(approx(m.hitRate, 2.0 / 3))
        // Items 1…9 were recommended to someone: 9 of 10.
        #expect(approx(m.coverage, 0.9))
        #expect(m.description.contains("P@3"))
    }

    @Test("AP and NDCG normalise by min(K, |R|); only the first K items count")
    func normalisationAndTruncation() throws {
        // K = 2, R = {1…5}, L = [1, 2]: perfect within K although recall is only 2/5.
        // AP = (1/1 + 2/2) / min(2, 5) = 1; NDCG = (1 + 0.6309)/(1 + 0.6309) = 1.
        let perfect = try RankingMetrics(recommended: [[1, 2]], relevant: [[1, 2, 3, 4, 5]], k: 2, catalogueSize: 6)
        #expect(approx(perfect.map, 1))
        #expect(approx(perfect.ndcg, 1))
        #expect(approx(perfect.precision, 1))
        #expect(approx(perfect.recall, 0.4))
        // K = 1 with a longer list: only item 5 counts (a miss), and only it is covered.
        let cut = try RankingMetrics(recommended: [[5, 1, 2]], relevant: [[1]], k: 1, catalogueSize: 8)
        #expect(cut.precision == 0 && cut.recall == 0 && cut.ndcg == 0 && cut.map == 0 && cut.hitRate == 0)
        #expect(approx(cut.coverage, 1.0 / 8))
        // K = 4, R = {2, 4}, L = [9, 2, 8, 4]: hits at 2 and 4.
        // DCG = 1/log₂3 + 1/log₂5; IDCG = 1 + 1/log₂3; AP = (1/2 + 2/4) / 2 = 1/2.
        let m = try RankingMetrics(recommended: [[9, 2, 8, 4]], relevant: [[2, 4]], k: 4, catalogueSize: 10)
        #expect(approx(m.ndcg, (discount2 + 1 / log2(5.0)) / (1 + discount2)))
        #expect(approx(m.map, 0.5))
        #expect(approx(m.precision, 0.5))
        #expect(approx(m.recall, 1))
    }

    @Test("users without relevant items are skipped; all skipped gives zeros")
    func emptyRelevantSets() throws {
        let m = try RankingMetrics(recommended: [[1, 2], [3]], relevant: [[], []], k: 2, catalogueSize: 4)
        #expect(m.usersEvaluated == 0)
        #expect(m.precision == 0 && m.recall == 0 && m.ndcg == 0 && m.map == 0 && m.hitRate == 0)
        #expect(approx(m.coverage, 3.0 / 4))
        // A skipped user does not dilute the mean.
        let one = try RankingMetrics(recommended: [[1, 2], [3, 1]], relevant: [[], [1]], k: 2, catalogueSize: 4)
        #expect(one.usersEvaluated == 1)
        #expect(approx(one.precision, 0.5))
        #expect(approx(one.ndcg, discount2))
        #expect(approx(one.map, 0.5))
        #expect(approx(one.hitRate, 1))
        let none = try RankingMetrics(recommended: [], relevant: [], k: 5, catalogueSize: 1)
        #expect(none.usersEvaluated == 0 && none.coverage == 0)
    }

    @Test("K ≤ 0, catalogue ≤ 0 and length mismatch throw")
    func validation() {
        expectInvalidArgument("k 0") { _ = try RankingMetrics(recommended: [[1]], relevant: [[1]], k: 0, catalogueSize: 3) }
        expectInvalidArgument("k -1") { _ = try RankingMetrics(recommended: [[1]], relevant: [[1]], k: -1, catalogueSize: 3) }
        expectInvalidArgument("catalogue 0") { _ = try RankingMetrics(recommended: [[1]], relevant: [[1]], k: 1, catalogueSize: 0) }
        expectInvalidArgument("catalogue -2") { _ = try RankingMetrics(recommended: [[1]], relevant: [[1]], k: 1, catalogueSize: -2) }
        expectInvalidArgument("mismatch") { _ = try RankingMetrics(recommended: [[1], [2]], relevant: [[1]], k: 1, catalogueSize: 3) }
    }

    /// Items 0…4 (raw 10…50), users 0…3.
    /// Train: u0 {0, 1}, u1 {0, 2}, u2 {0, 1, 3}, u3 {1}; counts 3, 3, 1, 1, 0, so popularity ranks
    /// 0, 1, 2, 3, 4 (ties by the lower index).
    /// Test: u0 item 2 → 5, item 4 → 3; u1 item 1 → 4, item 3 → 2; u2 item 4 → 5; u3 item 3 → 3.
    static func tinySplit() throws -> (train: RatingsDataset, test: RatingsDataset) {
        let users = UserIDMap(integerIDs: [1, 2, 3, 4]), items = ItemIDMap(integerIDs: [10, 20, 30, 40, 50])
        let train = try RatingsDataset(
            users: [0, 0, 1, 1, 2, 2, 2, 3], items: [0, 1, 0, 2, 0, 1, 3, 1],
            ratings: [4, 3, 5, 2, 3, 4, 1, 5], userIDs: users, itemIDs: items)
        let test = try RatingsDataset(
            users: [0, 0, 1, 1, 2, 3], items: [2, 4, 1, 3, 4, 3],
            ratings: [5, 3, 4, 2, 5, 3], userIDs: users, itemIDs: items)
        return (train, test)
    }

    @Test("end to end with a popularity baseline: hand-computed values")
    func endToEndPopularity() throws {
        let (train, test) = try Self.tinySplit()
        let model = try BaselineModel(.popularity, fittedOn: train)
        // Threshold 4, K = 2. Relevant: u0 {2}, u1 {1}, u2 {4}, u3 {} (skipped).
        // u0: train {0, 1} excluded → L = [2, 3]: hit at 1 → P 1/2, R 1, NDCG 1, AP 1.
        // u1: train {0, 2} excluded → L = [1, 3]: hit at 1 → P 1/2, R 1, NDCG 1, AP 1.
        // u2: train {0, 1, 3} excluded → L = [2, 4]: hit at 2 → P 1/2, R 1,
        //     NDCG = (1/log₂3)/1 = 0.6309, AP = (1/2)/1 = 1/2.
        // Coverage: items {1, 2, 3, 4} of 5 (only evaluated users get lists).
        let m = try RankingMetrics(model: model, train: train, test: test, k: 2, parallelism: .sequential)
        #expect(m.usersEvaluated == 3)
        #expect(approx(m.precision, 0.5))
        #expect(approx(m.recall, 1))
        #expect(approx(m.ndcg, (1 + 1 + discount2) / 3))
        #expect(approx(m.map, 2.5 / 3))
        #expect(approx(m.hitRate, 1))
        #expect(approx(m.coverage, 0.8))

        // Threshold 3: relevant u0 {2, 4}, u1 {1}, u2 {4}, u3 {3}.
        // u0 L = [2, 3]: hit at 1; P 1/2, R 1/2, NDCG = 1/(1 + 0.6309), AP = 1 / min(2, 2) = 1/2.
        // u1 as before: P 1/2, R 1, NDCG 1, AP 1.  u2 as before: P 1/2, R 1, NDCG 0.6309, AP 1/2.
        // u3: train {1} excluded → L = [0, 2]: no hit.
        // Coverage: {0, 1, 2, 3, 4} = 1.
        let t3 = try RankingMetrics(model: model, train: train, test: test, k: 2, relevanceThreshold: 3)
        #expect(t3.usersEvaluated == 4)
        #expect(approx(t3.precision, 1.5 / 4))
        #expect(approx(t3.recall, 2.5 / 4))
        #expect(approx(t3.ndcg, (1 / (1 + discount2) + 1 + discount2 + 0) / 4))
        #expect(approx(t3.map, 2.0 / 4))
        #expect(approx(t3.hitRate, 0.75))
        #expect(approx(t3.coverage, 1))
        // Invalid K propagates.
        #expect(throws: (any Error).self) { _ = try RankingMetrics(model: model, train: train, test: test, k: 0) }
    }
}

@Suite("RatingMetrics and baselines")
struct RatingMetricsAndBaselineTests {
    @Test("MSE, RMSE and MAE on a hand example; empty and mismatched inputs throw")
    func ratingMetrics() throws {
        // Errors −1, 0, 2, −0.5: squared 1 + 0 + 4 + 0.25 = 5.25 → MSE 1.3125, RMSE 1.145644;
        // absolute 1 + 0 + 2 + 0.5 = 3.5 → MAE 0.875.
        let m = try RatingMetrics(predictions: [3, 4, 5, 2], targets: [4, 4, 3, 2.5])
        #expect(m.count == 4)
        #expect(approx(m.mse, 1.3125))
        #expect(approx(m.rmse, 1.3125.squareRoot()))
        #expect(approx(m.rmse, 1.1456439237389600, 1e-12))
        #expect(approx(m.mae, 0.875))
        #expect(m.description.contains("RMSE"))
        let perfect = try RatingMetrics(predictions: [1, 2], targets: [1, 2])
        #expect(perfect.mse == 0 && perfect.mae == 0)
        #expect(throws: DatasetError.empty("evaluation set")) { _ = try RatingMetrics(predictions: [], targets: []) }
        #expect(throws: ConfigurationError.shapeMismatch("3 predictions for 2 ratings")) {
            _ = try RatingMetrics(predictions: [1, 2, 3], targets: [1, 2])
        }
        #expect(throws: ConfigurationError.shapeMismatch("1 predictions for 2 ratings")) {
            _ = try RatingMetrics(predictions: [1], targets: [1, 2])
        }
    }

    @Test("RatingMetrics(model:data:) evaluates the model's predictions")
    func ratingMetricsOfModel() throws {
        let (train, test) = try RankingMetricsTests.tinySplit()
        // Training mean (4 + 3 + 5 + 2 + 3 + 4 + 1 + 5) / 8 = 27/8 = 3.375.
        let model = try BaselineModel(.globalMean, fittedOn: train)
        let m = try RatingMetrics(model: model, data: test)
        // Test ratings 5, 3, 4, 2, 5, 3 against 3.375: errors 1.625, −0.375, 0.625, −1.375, 1.625, −0.375.
        let errors = [1.625, -0.375, 0.625, -1.375, 1.625, -0.375]
        #expect(approx(m.mse, errors.map { $0 * $0 }.reduce(0, +) / 6))
        #expect(approx(m.mae, errors.map(abs).reduce(0, +) / 6))
    }

    @Test("default relevance: the scale's top quarter, every interaction for counts")
    func defaultRelevance() {
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: 1...5) == 4)
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: 0.5...5) == 3.875)
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: 0...10) == 7.5)
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: nil) == 4)
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: 3...3) == 4)
        let counts = RankingMetrics.defaultRelevanceThreshold(ratingScale: 1...352_698, values: .counts)
        #expect(counts > 0 && counts < 1, "a count of one play is relevant")
    }

    @Test("the global mean predicts the mean; popularity scores by training count and predicts no rating")
    func meanAndPopularity() throws {
        let (train, _) = try RankingMetricsTests.tinySplit()
        let mean = try BaselineModel(.globalMean, fittedOn: train)
        let all = (0..<4).flatMap { u in (0..<5).map { (Int32(u), Int32($0)) } }
        let p = try mean.scores(users: all.map(\.0), items: all.map(\.1))
        #expect(p.allSatisfy { $0 == 3.375 })
        #expect(!(mean is any TrainableModel) && mean.outputRange == nil)
        #expect(mean.predictsRatings)
        // Counts: item 0 (4, 5, 3) → 3; item 1 (3, 4, 5) → 3; item 2 (2) → 1; item 3 (1) → 1;
        // item 4 has no rating → 0. The same for every user.
        let popularity = try BaselineModel(.popularity, fittedOn: train)
        let pp = try popularity.scores(users: [3, 0, 1, 2, 0], items: [0, 1, 2, 3, 4])
        #expect(pp == [3, 3, 1, 1, 0], "\(pp)")
        #expect(!popularity.predictsRatings)
        #expect(throws: RecommenderError.self) { _ = try RatingMetrics(model: popularity, data: train) }
        // Empty training data throws.
        #expect(throws: DatasetError.empty("training set")) { _ = try BaselineModel(.biases, fittedOn: train.subset(rows: [Int]())) }
    }

    @Test("biases baseline: one and two rounds of alternating regularised means by hand")
    func biasesByHand() throws {
        // Users 0, 1; items 0, 1. Ratings (u0, i0) 5, (u0, i1) 3, (u1, i0) 4; μ = 4; λ_item 10, λ_user 15.
        let data = try RatingsDataset(
            users: [0, 0, 1], items: [0, 1, 0], ratings: [5, 3, 4],
            userIDs: IDMap(integerIDs: [1, 2]), itemIDs: IDMap(integerIDs: [1, 2]))
        // Round 1 (b_u = 0 at the start):
        //   b_i0 = ((5−4) + (4−4)) / (10 + 2) = 1/12;  b_i1 = (3−4) / (10 + 1) = −1/11
        //   b_u0 = ((5−4−1/12) + (3−4+1/11)) / (15 + 2) = (1/132) / 17 = 1/2244
        //   b_u1 = (4−4−1/12) / (15 + 1) = −1/192
        var bi0 = 1.0 / 12, bi1 = -1.0 / 11, bu0 = 1.0 / 2244, bu1 = -1.0 / 192
        let one = try BaselineModel(.biases, fittedOn: data, rounds: 1)
        func expectPredictions(_ model: BaselineModel, _ label: String) throws {
            let got = try model.scores(users: [0, 0, 1, 1], items: [0, 1, 0, 1])
            let want = [4 + bu0 + bi0, 4 + bu0 + bi1, 4 + bu1 + bi0, 4 + bu1 + bi1]
            for (g, w) in zip(got, want) { #expect(abs(Double(g) - w) < 1e-6, "\(label): \(got) vs \(want)") }
        }
        #expect(abs(Double(one.itemBias[0]) - bi0) < 1e-7 && abs(Double(one.itemBias[1]) - bi1) < 1e-7)
        #expect(abs(Double(one.userBias[0]) - bu0) < 1e-7 && abs(Double(one.userBias[1]) - bu1) < 1e-7)
        try expectPredictions(one, "1 round")
        // Round 2 uses round 1's user biases for the items, then the new item biases for the users.
        bi0 = ((5 - 4 - bu0) + (4 - 4 - bu1)) / 12
        bi1 = (3 - 4 - bu0) / 11
        bu0 = ((5 - 4 - bi0) + (3 - 4 - bi1)) / 17
        bu1 = (4 - 4 - bi0) / 16
        let two = try BaselineModel(.biases, fittedOn: data, rounds: 2)
        try expectPredictions(two, "2 rounds")
        #expect(abs(Double(two.userBias[0]) - bu0) < 1e-7)
        // The rounds matter: the second differs from the first.
        #expect(one.userBias[0] != two.userBias[0])
    }

    @Test("biases baseline equals a straightforward reimplementation", arguments: [10, 3])
    func biasesReimplementation(_ rounds: Int) throws {
        // The defaults (λ_item 10, λ_user 15) for 10 rounds; other penalties for 3.
        let (lambdaItem, lambdaUser): (Float, Float) = rounds == 10 ? (10, 15) : (1, 2.5)
        var rng = SeededGenerator(seed: 77)
        let users = 12, items = 9
        var u: [Int32] = [], it: [Int32] = [], r: [Float] = []
        for user in 0..<users {
            for item in 0..<items where rng.nextUnitFloat() < 0.4 {
                u.append(Int32(user)); it.append(Int32(item)); r.append(Float(1 + rng.nextInt(below: 5)))
            }
        }
        let data = try RatingsDataset(
            users: u, items: it, ratings: r,
            userIDs: IDMap(integerIDs: (0..<Int64(users))), itemIDs: IDMap(integerIDs: (0..<Int64(items))))
        let mu = r.map(Double.init).reduce(0, +) / Double(r.count)
        var bu = [Double](repeating: 0, count: users), bi = [Double](repeating: 0, count: items)
        for _ in 0..<rounds {
            for i in 0..<items {
                let rows = r.indices.filter { Int(it[$0]) == i }
                bi[i] = rows.reduce(0) { $0 + Double(r[$1]) - mu - bu[Int(u[$1])] } / (Double(lambdaItem) + Double(rows.count))
            }
            for v in 0..<users {
                let rows = r.indices.filter { Int(u[$0]) == v }
                bu[v] = rows.reduce(0) { $0 + Double(r[$1]) - mu - bi[Int(it[$1])] } / (Double(lambdaUser) + Double(rows.count))
            }
        }
        let model = rounds == 10
            ? try BaselineModel(.biases, fittedOn: data)
            : try BaselineModel(.biases, fittedOn: data, itemRegularization: lambdaItem,
                                userRegularization: lambdaUser, rounds: rounds)
        let pairs = (0..<users).flatMap { v in (0..<items).map { (Int32(v), Int32($0)) } }
        let got = try model.scores(users: pairs.map(\.0), items: pairs.map(\.1))
        var worst = 0.0
        for (k, pair) in pairs.enumerated() {
            worst = max(worst, abs(Double(got[k]) - (mu + bu[Int(pair.0)] + bi[Int(pair.1)])))
        }
        #expect(worst < 1e-5)
        #expect(Set(got).count > 20)
    }
}
