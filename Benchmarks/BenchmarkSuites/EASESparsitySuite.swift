import EmbedRec
import Foundation

/// What a sparse B costs and saves: the `ease` recipe (the demo's top-N model) dense and with
/// only the m largest weights of each item's row kept, beside ALS 64 (an embedding model) — on
/// the ranking suite's protocol (per-user 20% holdout, seed 42, ratings ≥ 4 relevant,
/// recall@10 and NDCG@10), with each model's saved file and its all-users top-10 time.
enum EASESparsitySuite {
    /// Weights kept per item.
    static let kept = [1_000, 500, 200, 100, 50]

    static func run(_ c: BenchContext) throws {
        var sets: [(String, RatingsDataset)] = []
        if c.smoke {
            sets.append(("smoke", c.data))
        } else {
            let ml1m = c.sharedData + "/ml-1m/ratings.csv"
            if RankingSuite.wanted(c, "ml-1m") {
                if FileManager.default.fileExists(atPath: ml1m) {
                    sets.append(("ml-1m", try RatingsLoader.load(path: ml1m, format: .movieLensCSV)))
                } else {
                    c.report.skipped.append("ease-sparse ml-1m: \(ml1m) not found")
                }
            }
            if RankingSuite.wanted(c, "goodbooks") { sets.append(("goodbooks-shaped", try RankingSuite.tasteDrivenGoodbooks(c))) }
        }
        for (name, data) in sets { try evaluate(c, name: name, data: data) }
    }

    static func evaluate(_ c: BenchContext, name: String, data: RatingsDataset) throws {
        let split = try data.perUserHoldout(fraction: 0.2, selection: .random(seed: 42))
        var dense: EASE? = nil
        let fitSeconds = try time { dense = try Recipe.ease.fit(split.train).model as? EASE }
        // A pruned model's fit is the dense fit plus its pruning (`prune s`).
        var rows: [(label: String, model: any Model, fit: Double, prune: Double)] = [("EASE dense", dense!, fitSeconds, 0)]
        for m in (c.smoke ? [3] : kept) where m < data.itemCount {
            var sparse: EASE? = nil
            let pruneSeconds = try time { sparse = try dense!.keepingLargestWeights(perItem: m) }
            rows.append(("EASE \(m) weights per item", sparse!, fitSeconds + pruneSeconds, pruneSeconds))
        }
        var als: (any Model)? = nil
        let alsSeconds = try time { als = try Recipe.als.fit(split.train).model }
        rows.append(("ALS 64 (\(Recipe.als.name) recipe)", als!, alsSeconds, 0))
        let users = (0..<Int32(split.train.userCount)).map(UserIndex.init)
        for row in rows {
            let metrics = try RankingMetrics(model: row.model, train: split.train, test: split.test, k: 10)
            let path = c.workDir + "/ease-sparse.safetensors"
            try Recommender(model: row.model, training: split.train).save(to: path)
            let fileMB = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1e6
            try? FileManager.default.removeItem(atPath: path)
            let scorer = try TopKScorer(model: row.model, training: split.train)
            let seconds = try (0..<(c.smoke ? 1 : 3)).map { _ in try time { _ = try scorer.recommendFlat(users: users, options: .init(k: 10)) } }
            c.report.add(BenchResult(
                suite: "ease-sparse", name: "\(name) \(row.label)", unit: "recall@10", values: [metrics.recall],
                extras: ["NDCG@10": metrics.ndcg, "fit s": row.fit, "prune s": row.prune, "file MB": fileMB,
                         "all-users top-10 s": seconds.sorted()[seconds.count / 2], "users": Double(users.count),
                         "items": Double(data.itemCount)],
                notes: "per-user 20% holdout, ratings ≥ 4 relevant, \(metrics.usersEvaluated) users"))
        }
    }
}
