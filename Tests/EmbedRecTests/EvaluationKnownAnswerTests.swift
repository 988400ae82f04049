import Foundation
import Testing
@testable import EmbedRec
import EmbedRecPlots

/// `RecommenderEvaluation`, `RankingMetrics.atEachK`, the report's metric table and
/// `embedrec evaluate --json` on a case worked out by hand, with two unknown test rows. The
/// expected values below come from the derivation in the comments, not from EmbedRec's code.
///
/// Training (user, item, rating): (1,10,5) (1,20,3) (2,10,4) (2,30,2) (2,50,3) (3,20,5) (3,30,4)
/// (3,40,1). Mean μ = 27/8 = 3.375. Item counts 10:2 20:2 30:2 40:1 50:1, so popularity ranks
/// 10, 20, 30, 40, 50 (ties by the lower ID). Item means: 10 4.5, 20 4, 30 3, 40 1, 50 3.
///
/// Test: (1,30,5) (1,40,2) (1,50,4) (2,20,1) (3,10,4), and two rows the recommender cannot
/// score: (99,10,5) an unknown user, (1,77,5) an unknown item. Relevant (≥ 4): user 1 {30, 50},
/// user 3 {10}; user 2 has none and is not evaluated.
///
/// Popularity, K = 2 (training items excluded): user 1 gets [30, 40] (1 hit at rank 1), user 3
/// [10, 50] (1 hit at rank 1). Precision (½ + ½)/2 = 0.5; recall (½ + 1)/2 = 0.75; NDCG user 1 =
/// 1 / (1 + 1/log₂3) = 0.613147, user 3 = 1, mean 0.806574; AP user 1 = 1/2, user 3 = 1/1, MAP
/// 0.75; hit rate 1; coverage {30, 40, 10, 50} = 4/5. K = 1: [30] and [10]: precision 1, recall
/// 0.75, NDCG 1, MAP 1, coverage 2/5. K = 3: user 1 gets [30, 40, 50] (hits at ranks 1 and 3),
/// user 3 only [10, 50] (two candidates left): precision (2/3 + 1/3)/2 = 0.5 — K, not the
/// list's length, divides —, recall 1, NDCG ((1 + 1/2) / (1 + 1/log₂3) + 1)/2 = 0.959860, AP user
/// 1 = (1 + 2/3)/2, user 3 = 1, MAP 0.916667, coverage 4/5. The global mean ties every item, so it ranks by ID: the
/// same lists. Its errors μ − r: 1.625, −1.375, 0.625, −2.375, 0.625: MSE 10.953125/5, RMSE
/// 1.480076, MAE 1.325. Popularity's scores are counts, not ratings: it has no RMSE or MAE.
@Suite("Evaluation: a case worked out by hand")
struct EvaluationKnownAnswerTests {
    static let train = "user_id,book_id,rating\n1,10,5\n1,20,3\n2,10,4\n2,30,2\n2,50,3\n3,20,5\n3,30,4\n3,40,1\n"
    static let test = "user_id,book_id,rating\n1,30,5\n1,40,2\n1,50,4\n2,20,1\n3,10,4\n99,10,5\n1,77,5\n"

    struct Expected { let precision, recall, ndcg, map, hitRate, coverage: Double }
    static let atTwo = Expected(precision: 0.5, recall: 0.75, ndcg: (1 / (1 + 1 / log2(3.0)) + 1) / 2, map: 0.75, hitRate: 1, coverage: 0.8)
    static let atOne = Expected(precision: 1, recall: 0.75, ndcg: 1, map: 1, hitRate: 1, coverage: 0.4)
    static let atThree = Expected(precision: 0.5, recall: 1, ndcg: (1.5 / (1 + 1 / log2(3.0)) + 1) / 2, map: (5.0 / 6 + 1) / 2,
                                  hitRate: 1, coverage: 0.8)
    static let globalMean = (rmse: (10.953125 / 5.0).squareRoot(), mae: 1.325)

    static func expect(_ m: RankingMetrics, _ e: Expected, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for (name, got, want) in [("precision", m.precision, e.precision), ("recall", m.recall, e.recall), ("NDCG", m.ndcg, e.ndcg),
                                  ("MAP", m.map, e.map), ("hit rate", m.hitRate, e.hitRate), ("coverage", m.coverage, e.coverage)] {
            #expect(abs(got - want) < 1e-9, "\(what) \(name)@\(m.k): \(got), by hand \(want)", sourceLocation: sourceLocation)
        }
        #expect(m.usersEvaluated == 2, sourceLocation: sourceLocation)
    }

    static func recommender() throws -> Recommender {
        let train = try RatingsLoader.load(text: Self.train, format: .goodbooks)
        let model = try BiasedMF(for: train, configuration: .init(dimension: 2, globalOffset: 3))
        return try Recommender(model: model, training: train)
    }

    @Test("RecommenderEvaluation and atEachK at K = 1 and 2: the baselines' rows, the unknown rows")
    func library() throws {
        let served = try Self.recommender()
        let test = try RatingsLoader.load(text: Self.test, format: .goodbooks)
        let evaluation = try RecommenderEvaluation(recommender: served, test: test, ks: [2, 1, 3])
        #expect(evaluation.testRatings == 5 && evaluation.unknownRows == 2)
        #expect(evaluation.rows.map(\.name) == [served.model.summary, "baseline globalMean", "baseline biases", "baseline popularity"])
        let mean = evaluation.rows[1], popular = evaluation.rows[3]
        let meanRating = try #require(mean.rating)
        #expect(abs(meanRating.rmse - Self.globalMean.rmse) < 1e-6 && abs(meanRating.mae - Self.globalMean.mae) < 1e-6)
        // Popularity ranks: its scores are counts, so it has no rating metrics.
        #expect(popular.rating == nil)
        for row in [mean, popular] {
            #expect(row.ranking.map(\.k) == [2, 1, 3])
            Self.expect(row.ranking[0], Self.atTwo, row.name)
            Self.expect(row.ranking[1], Self.atOne, row.name)
            Self.expect(row.ranking[2], Self.atThree, row.name)
        }
        // atEachK on its own, in the order asked.
        let (mapped, _) = served.mapped(test)
        let popularity = try BaselineModel(.popularity, fittedOn: served.trainingRatings)
        let each = try RankingMetrics.atEachK([1, 2], model: popularity, train: served.trainingRatings, test: mapped)
        Self.expect(each[0], Self.atOne, "atEachK")
        Self.expect(each[1], Self.atTwo, "atEachK")
        // The relevance threshold moves what counts: at ≥ 5 only (1,30) is relevant.
        let strict = try RankingMetrics.atEachK([2], model: popularity, train: served.trainingRatings, test: mapped, relevanceThreshold: 5)[0]
        #expect(strict.usersEvaluated == 1 && strict.recall == 1 && strict.precision == 0.5)
    }

    @Test("the report's table shows the same hand-computed figures")
    func reportTable() throws {
        let served = try Self.recommender()
        let report = try TrainingReport(recommender: served, test: try RatingsLoader.load(text: Self.test, format: .goodbooks),
                                        options: .init(ks: [1, 2], projection: nil))
        let table = try #require(report.tables.first)
        #expect(table.header == ["model", "RMSE", "MAE", "P@2", "R@2", "NDCG@2", "MAP@2", "coverage"])
        // Popularity ranks (its scores are counts): no rating columns. The global mean predicts.
        let popular = try #require(table.rows.first { $0[0] == "baseline popularity" })
        #expect(popular == ["baseline popularity", "—", "—", "0.5000", "0.7500", "0.8066", "0.7500", "0.8000"])
        let mean = try #require(table.rows.first { $0[0] == "baseline globalMean" })
        #expect(mean == ["baseline globalMean", "1.4801", "1.3250", "0.5000", "0.7500", "0.8066", "0.7500", "0.8000"])
        #expect(report.facts.contains { $0.value.contains("5 (2 with an unknown user or item left out)") })
    }

    @Test("embedrec evaluate --json: the same figures, the unknown rows counted, every ranking column",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func commandLine() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("m.safetensors").path, test = dir.appendingPathComponent("test.csv").path
        try Self.recommender().save(to: model)
        try Self.test.write(toFile: test, atomically: true, encoding: .utf8)
        let result = try ProgramRunner.embedrec(["evaluate", model, test, "--k", "2", "--json"])
        #expect(result.status == 0, "\(result.err)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.out.utf8)) as? [String: Any])
        #expect(object["ratings"] as? Int == 5 && object["unknownRows"] as? Int == 2 && object["k"] as? Int == 2)
        let rows = try #require(object["models"] as? [[String: Any]])
        let popular = try #require(rows.first { $0["model"] as? String == "baseline popularity" })
        let mean = try #require(rows.first { $0["model"] as? String == "baseline globalMean" })
        let ranking: [String: Double] = ["precision": 0.5, "recall": 0.75, "ndcg": Self.atTwo.ndcg, "map": 0.75, "hitRate": 1, "coverage": 0.8]
        for (row, expected) in [(popular, ranking), (mean, ranking.merging(["rmse": Self.globalMean.rmse, "mae": Self.globalMean.mae]) { $1 })] {
            for (key, value) in expected {
                #expect(abs((row[key] as? Double ?? -1) - value) < 1e-6, "\(key): \(row[key] ?? "missing"), by hand \(value)")
            }
            #expect(row["users"] as? Int == 2)
        }
        // Popularity's scores are counts, not ratings: its rating columns are null, not absent.
        #expect(popular["rmse"] is NSNull && popular["mae"] is NSNull)
    }
}
