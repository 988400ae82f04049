import EmbedRec
import Foundation

/// What EASE costs by catalogue size, beside ALS on the same ratings: fit time, the process's
/// peak memory after the fit, the saved recommender's size, and top-10 for 10,000 users (blocked
/// sgemm for both). Generated ratings with 1k, 5k, 10k and 20k items, 100 ratings per item and
/// 5 users per item; sizes ascend, so each peak is that size's (the process's high-water mark).
enum EASEScalingSuite {
    static func run(_ c: BenchContext) throws {
        let sizes = c.smoke ? [150] : [1_000, 5_000, 10_000, 20_000]
        for items in sizes {
            let data = try SyntheticRatings.generate(.init(users: 5 * items, items: items, ratings: 100 * items, seed: 7))
            let users = (0..<min(10_000, data.userCount)).map { UserIndex(Int32($0)) }
            for recipe in [Recipe.ease, Recipe.als] {
                var model: (any Model)? = nil
                let fit = try time { model = try recipe.fit(data).model }
                let peak = BenchResult.peakMemoryMiB()
                let path = c.workDir + "/scaling-\(recipe.name)-\(items).safetensors"
                try Recommender(model: model!, training: data).save(to: path)
                let fileMB = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0) / 1e6
                try? FileManager.default.removeItem(atPath: path)
                let scorer = try TopKScorer(model: model!, training: data)
                let score = try time { _ = try scorer.recommendFlat(users: users, options: .init(k: 10)) }
                c.report.add(BenchResult(
                    suite: "ease-scale", name: "\(recipe.name == "ease" ? "EASE" : "ALS 64") fit, \(items) items", unit: "s", values: [fit],
                    extras: ["items": Double(items), "users": Double(data.userCount), "ratings": Double(data.count),
                             "peak MiB": peak, "file MB": fileMB, "top-10 for 10k users s": score],
                    notes: recipe.summary))
            }
        }
    }
}
