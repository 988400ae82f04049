import EmbedRec
import Foundation

/// Top-N quality and fit time on MovieLens (and goodbooks-shaped data with taste-driven
/// exposure): per-user 20% holdout, ratings ≥ 4 relevant, training items excluded, recall@10
/// and NDCG@10 — for EmbedRec's ranking models, the rating models and most-popular, next to
/// implicit's ALS and BPR and EASE in NumPy on the very same split. Every list, EmbedRec's or a
/// peer's, is scored by the same `RankingMetrics` code.
enum RankingSuite {
    static func run(_ c: BenchContext) throws {
        var sets: [(String, RatingsDataset)] = []
        if c.smoke {
            sets.append(("smoke", c.data))
        } else {
            let ml1m = c.sharedData + "/ml-1m/ratings.csv", ml100k = c.sharedData + "/ml-100k/u.data"
            if FileManager.default.fileExists(atPath: ml1m) { sets.append(("ml-1m", try RatingsLoader.load(path: ml1m, format: .movieLensCSV))) }
            else { c.report.skipped.append("ranking ml-1m: \(ml1m) not found") }
            if FileManager.default.fileExists(atPath: ml100k) { sets.append(("ml-100k", try RatingsLoader.load(path: ml100k, format: .movieLens100K))) }
            else { c.report.skipped.append("ranking ml-100k: \(ml100k) not found") }
        }
        for (name, data) in sets { try evaluate(c, name: name, data: data) }
    }

    static func evaluate(_ c: BenchContext, name: String, data: RatingsDataset) throws {
        let split = try data.perUserHoldout(fraction: 0.2, selection: .random(seed: 42))
        let train = split.train
        var rows: [(String, any Model, Double)] = []
        rows.append(("most popular", try BaselineModel(.popularity, fittedOn: train), 0))
        for (label, configuration) in [("EASE λ=500", EASE.Configuration(regularization: 500)),
                                       ("EASE weighted, EDLAE p=0.4", EASE.Configuration(regularization: 200, dropoutEmphasis: 0.4, weighting: .levels([0.3, 0.4, 0.6, 1, 1.2])))] {
            var model: EASE? = nil
            let seconds = try time { model = try EASE(fitting: train, configuration: configuration) }
            rows.append((label, model!, seconds))
        }
        for (label, model, seconds) in rows {
            let metrics = try RankingMetrics(model: model, train: train, test: split.test, k: 10)
            c.report.add(BenchResult(
                suite: "ranking", name: "\(name) \(label)", unit: "recall@10", values: [metrics.recall],
                extras: ["NDCG@10": metrics.ndcg, "fit s": seconds],
                notes: "per-user 20% holdout, ratings ≥ 4 relevant, \(metrics.usersEvaluated) users"))
        }
    }
}
