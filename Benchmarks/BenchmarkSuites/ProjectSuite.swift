import EmbedRec
import Foundation

/// Projections of embedding tables for plots: PCA of a 10,000 × 50 item table, and t-SNE of
/// 10,000 × 32 clustered points beside openTSNE's Barnes-Hut and FFT modes on the same points
/// and settings, every map scored by the same neighbour-preservation code.
enum ProjectSuite {
    static func run(_ c: BenchContext) throws {
        try pca(c)
        try tsne(c)
    }

    static func pca(_ c: BenchContext) throws {
        let model = try MatrixFactorization(for: c.data, configuration: .init(dimension: 50, initializer: .normal(std: 0.3)))
        let table = model.itemEmbedding.toArray()
        _ = try PrincipalComponents(fitting: table, rows: model.itemCount, dimension: 50, components: 2)
        var pca: PrincipalComponents? = nil
        let seconds = try (0..<max(5, c.repeats)).map { _ in
            try time { pca = try PrincipalComponents(fitting: table, rows: model.itemCount, dimension: 50, components: 2) } * 1000
        }
        let projection = time { _ = pca!.transform(table, rows: model.itemCount) } * 1000
        c.report.add(BenchResult(suite: "project", name: "PCA of \(model.itemCount) × 50 to 2 components", unit: "ms", values: seconds,
                                 extras: ["transform ms": projection],
                                 notes: "centring, covariance by sgemm, ssyevd; target ≤ 20 ms"))
    }

    /// Gaussian clusters: `clusters` centres drawn N(0, spread²) in `dimension` dimensions, points
    /// N(centre, 1), assigned round-robin.
    static func clusteredPoints(rows: Int, dimension: Int, clusters: Int, spread: Double, seed: UInt64) -> [Float] {
        var g = SeededGenerator(seed: seed)
        let centres = (0..<(clusters * dimension)).map { _ in g.nextNormal() * spread }
        var table = [Float](repeating: 0, count: rows * dimension)
        for r in 0..<rows {
            let c = r % clusters
            for f in 0..<dimension { table[r * dimension + f] = Float(centres[c * dimension + f] + g.nextNormal()) }
        }
        return table
    }

    static func tsne(_ c: BenchContext) throws {
        let rows = c.smoke ? 1_000 : 10_000, dimension = 32
        let table = clusteredPoints(rows: rows, dimension: dimension, clusters: 20, spread: 3, seed: 7)
        let configuration = TSNEConfiguration(iterations: c.smoke ? 250 : 750)
        var map: TSNE? = nil
        let seconds = try time { map = try TSNE(fitting: table, rows: rows, dimension: dimension, configuration: configuration) }
        let kept = try ProjectionQuality.neighbourPreservation(original: table, dimension: dimension, embedding: map!.points, rows: rows)
        let settings = "perplexity 30, 250 exaggerated (12) + \(configuration.iterations) iterations, PCA init, \(configuration.parallelism.threads) threads"
        c.report.add(BenchResult(suite: "project", name: "t-SNE of \(rows) × \(dimension) clustered points (Barnes-Hut θ 0.5)", unit: "s",
                                 values: [seconds], extras: ["10-NN kept": kept, "KL": Double(map!.klDivergence)],
                                 notes: settings))
        guard let peers = c.peers else { return }
        let input = c.workDir + "/tsne-input.f32", output = c.workDir + "/tsne-opentsne.f32"
        try table.withUnsafeBytes { try Data($0).write(to: URL(fileURLWithPath: input)) }
        for method in ["fft", "bh"] {
            guard let answer = peers.run(["tsne", "--input", input, "--dim", String(dimension), "--method", method,
                                          "--iterations", String(configuration.iterations), "--threads",
                                          String(configuration.parallelism.threads), "--out", output]),
                  let peerSeconds = answer.double("seconds") else { continue }
            let data = try Data(contentsOf: URL(fileURLWithPath: output))
            let embedding = data.withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
            let peerKept = try ProjectionQuality.neighbourPreservation(original: table, dimension: dimension, embedding: embedding, rows: rows)
            c.report.add(BenchResult(suite: "project", name: "openTSNE \(answer["version"] as? String ?? "") t-SNE (\(method == "fft" ? "FFT" : "Barnes-Hut θ 0.5"))",
                                     unit: "s", values: [peerSeconds],
                                     extras: ["10-NN kept": peerKept, "EmbedRec speed-up": peerSeconds / seconds,
                                              "KL": answer.double("kl") ?? .nan],
                                     notes: settings))
        }
    }
}
