import EmbedRec
import Foundation

/// All-users top-10 over the whole catalogue (seen items excluded), next to NumPy's blocked
/// matmul + argpartition on the same embeddings.
enum ScoreSuite {
    static func run(_ c: BenchContext) throws {
        let d = 50, k = 10
        let model = try MatrixFactorization(for: c.data, configuration: .init(dimension: d, initializer: .normal(std: 0.3)))
        let scorer = try TopKScorer(model: model, training: c.split.train)
        // The ceiling the row is held against, measured beside it (this machine's rates drift).
        // Not in a smoke run: it changes OpenBLAS's process-wide thread count for a while, and
        // the smoke runs share a process with tests whose BLAS calls must not see that.
        let sgemmRate = c.smoke ? nil : BLASSuite.squareSgemmRate(threads: scorer.parallelism.threads, repeats: c.repeats)
        var result: TopKResult? = nil
        _ = try scorer.recommendFlat(users: (0..<Int32(min(512, model.userCount))).map(UserIndex.init), options: .init(k: k))
        let seconds = try (0..<c.repeats).map { _ in try time { result = try scorer.recommendAll(options: .init(k: k)) } }
        let flops = 2.0 * Double(model.userCount) * Double(model.itemCount) * Double(d)
        var bench = BenchResult(
            suite: "score", name: "all users top-\(k), d=\(d)", unit: "s", values: seconds,
            extras: ["users/s": Double(model.userCount) / seconds.sorted()[seconds.count / 2],
                     "GFLOP/s": flops / seconds.sorted()[seconds.count / 2] / 1e9],
            notes: "\(model.userCount) users × \(model.itemCount) items, seen excluded, block \(scorer.blockSize) × tile \(scorer.tileSize); sgemm 2048³ on the same \(scorer.parallelism.threads) threads just before")
        if let sgemmRate {
            bench.extras["sgemm 2048³ GFLOP/s"] = sgemmRate
            bench.extras["share of sgemm"] = flops / seconds.sorted()[seconds.count / 2] / 1e9 / sgemmRate
        }
        if let peers = c.peers, let result {
            let files = try c.denseSplitFiles()
            let u = c.workDir + "/users.f32", v = c.workDir + "/items.f32", out = c.workDir + "/numpy-topk.i32"
            try writeFloat32(model.userEmbedding.toArray(), to: u)
            try writeFloat32(model.itemEmbedding.toArray(), to: v)
            let answer = peers.run([
                "numpy-topk", "--user-embeddings", u, "--item-embeddings", v, "--dim", String(d),
                "--train", files.train, "--k", String(k), "--repeats", String(min(c.repeats, 3)), "--write-topk", out,
            ])
            bench.setPeer("numpy matmul+argpartition", answer?.double("median_seconds"),
                          comparison: "same embeddings and seen items, both 2 threads (NumPy through its BLAS), blocks of 1024 users in NumPy")
            if let blas = (answer?["blas"] as? [[String: Any]])?.first {
                let described = ["internal_api", "version", "architecture", "num_threads"].map { "\(blas[$0] ?? "?")" }
                bench.notes += "; NumPy's BLAS: " + described.joined(separator: " ") + " threads"
            }
            if let agreement = agreement(of: result, withListsIn: out) { bench.extras["agreement with numpy"] = agreement }
        }
        c.report.add(bench)
        try easeRows(c)
    }

    /// All-users top-10 from EASE with a dense B (the demo's catalogue at scale 1: 53,424
    /// readers × 10,000 books), on one thread and on two, next to SciPy's sparse × dense product
    /// and NumPy's argpartition on the same history matrix and B. Binary histories (the
    /// training ratings), so that the peer builds the same matrix from the training file.
    static func easeRows(_ c: BenchContext) throws {
        let k = 10
        let model = try EASE(fitting: c.split.train, configuration: .init(regularization: 500))
        let users = (0..<Int32(model.userCount)).map(UserIndex.init)
        var result: TopKResult? = nil
        let threadCounts = [1, 2]
        var rows: [BenchResult] = []
        for threads in threadCounts {
            let scorer = try TopKScorer(model: model, training: c.split.train, parallelism: Parallelism(threads: threads))
            _ = try scorer.recommendFlat(users: Array(users.prefix(512)), options: .init(k: k))
            let seconds = try (0..<min(c.repeats, 3)).map { _ in try time { result = try scorer.recommendFlat(users: users, options: .init(k: k)) } }
            rows.append(BenchResult(
                suite: "score", name: "EASE all users top-\(k), dense B, \(threads) thread\(threads == 1 ? "" : "s")", unit: "s", values: seconds,
                extras: ["users/s": Double(model.userCount) / seconds.sorted()[seconds.count / 2], "items": Double(model.itemCount),
                         "history entries": Double(c.split.train.count)],
                notes: "\(model.userCount) users × \(model.itemCount) items, seen excluded, block \(scorer.blockSize) × tile \(scorer.tileSize)"))
        }
        if let peers = c.peers, let result {
            let files = try c.denseSplitFiles()
            let weights = c.workDir + "/ease-b.f32", out = c.workDir + "/scipy-ease-topk.i32"
            try writeFloat32(model.itemWeights.toArray(), to: weights)
            let answer = peers.run([
                "scipy-ease-topk", "--weights", weights, "--items", String(model.itemCount), "--users", String(model.userCount),
                "--train", files.train, "--k", String(k), "--repeats", String(min(c.repeats, 3)), "--write-topk", out,
            ])
            let agreement = agreement(of: result, withListsIn: out)
            for (r, threads) in threadCounts.enumerated() {
                rows[r].setPeer("SciPy csr @ B + NumPy argpartition", answer?.double("median_seconds"),
                                comparison: threads == 1 ? "same history and B, both one thread (SciPy's sparse product has no threads), blocks of 1024 users in SciPy"
                                    : "EmbedRec 2 threads, SciPy one (its sparse product has no threads); same history and B")
                if let agreement { rows[r].extras["agreement with scipy"] = agreement }
            }
        }
        for row in rows { c.report.add(row) }
    }

    /// The share of `result`'s items that a peer's lists (users × k little-endian Int32 in the
    /// file at `path`) also hold, or nil without the file.
    static func agreement(of result: TopKResult, withListsIn path: String) -> Double? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let theirs = data.withUnsafeBytes { Array($0.bindMemory(to: Int32.self)) }
        let k = result.k, users = min(result.users.count, theirs.count / max(k, 1))
        var agree = 0
        for row in 0..<users {
            agree += Set(result.items(forRow: row)).intersection(theirs[(row * k)..<((row + 1) * k)]).count
        }
        return Double(agree) / Double(max(result.users.count * k, 1))
    }
}
