import EmbedRec
import Foundation

/// Saving and opening a goodbooks-shaped BiasedMF d=50 recommender (every user's rated list
/// included), next to NumPy's `np.savez` / `np.load` of the very same arrays.
enum PersistSuite {
    static func run(_ c: BenchContext) throws {
        let model = try BiasedMF(for: c.data, configuration: .init(dimension: 50, globalOffset: c.data.meanRating))
        let recommender = try Recommender(model: model, training: c.data)
        let path = c.workDir + "/persist.safetensors"
        try recommender.save(to: path)
        let saves = try (0..<max(3, c.repeats)).map { _ in try time { try recommender.save(to: path) } * 1000 }
        _ = try Recommender(contentsOf: path)
        var loaded: Recommender? = nil
        // The previous copy is freed before the clock starts, on both sides.
        let loads = try (0..<max(3, c.repeats)).map { _ -> Double in
            loaded = nil
            return try time { loaded = try Recommender(contentsOf: path) } * 1000
        }
        // The loaded recommender answers like the saved one.
        let probe = c.data.userIDs.rawIDs[c.data.userCount / 2]
        guard try loaded!.recommend(user: probe, k: 10) == recommender.recommend(user: probe, k: 10) else {
            throw BenchmarkError.mismatch("the loaded recommender recommends differently")
        }
        let fileBytes = Double((try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0)
        let tensorBytes = Double(
            model.savedTensors.reduce(0) { $0 + $1.count * 4 } + (c.data.userCount + c.data.itemCount) * 8
                + (c.data.userCount + 1) * 8 + c.data.count * 8)
        let shape = "\(c.data.userCount) users, \(c.data.itemCount) items, \(c.data.count) rated items"
        var save = BenchResult(suite: "persist", name: "save BiasedMF d=50 recommender", unit: "ms", values: saves,
                               extras: ["file MB": fileBytes / 1e6, "file / tensor bytes": fileBytes / tensorBytes],
                               notes: "\(shape); temporary file, fsync, rename, fsync of the folder")
        var load = BenchResult(suite: "persist", name: "open BiasedMF d=50 recommender", unit: "ms", values: loads,
                               notes: "\(shape); validated, ID maps and scorers built, ready to serve")
        if let peers = c.peers {
            let answer = peers.run(["persist", "--safetensors", path, "--out", c.workDir + "/persist.npz",
                                    "--repeats", String(max(3, c.repeats))])
            save.setPeer("numpy savez", answer?.double("median_save_seconds").map { $0 * 1000 },
                         comparison: "the same arrays; np.savez to an open file, then flush and fsync (no rename)")
            load.setPeer("numpy load", answer?.double("median_load_seconds").map { $0 * 1000 },
                         comparison: "the same arrays; np.load and each array read into memory — no validation, no ID maps or scorer built")
        }
        c.report.add(save)
        c.report.add(load)
    }
}
