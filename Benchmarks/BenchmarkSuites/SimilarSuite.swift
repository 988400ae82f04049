import EmbedRec
import Foundation

/// Nearest items by cosine similarity of the item embeddings: one query at a time, as a
/// "similar books" panel would ask.
enum SimilarSuite {
    static func run(_ c: BenchContext) throws {
        let model = try MatrixFactorization(for: c.data, configuration: .init(dimension: 50))
        let index = try SimilarItems(model: model, itemIDs: c.data.itemIDs)
        var rng = SeededGenerator(seed: 9)
        let queries = (0..<(c.smoke ? 20 : 2_000)).map { _ in ItemIndex(Int32(rng.nextInt(below: model.itemCount))) }
        let latencies = try queries.map { q in try time { _ = try index.similar(to: [q], k: 10) } * 1000 }
        c.report.add(BenchResult(suite: "similar", name: "10 nearest items, d=50", unit: "ms", values: latencies,
                                 notes: "\(model.itemCount) items, cosine"))
    }
}
