import EmbedRec
import Foundation

/// Fold-in latency for new readers (20 books read, with ratings) including top-10, and
/// similar-items latency.
enum FoldInSuite {
    static func run(_ c: BenchContext) throws {
        let model = try BiasedMF(for: c.data, configuration: .init(dimension: 50, globalOffset: c.split.train.meanRating))
        try Trainer(configuration: .init(epochs: 1, batchSize: 64)).fit(model, on: c.split.train)
        let foldIn = try FoldInRecommender(model: model, training: c.split.train)
        var rng = SeededGenerator(seed: 7)
        let readers = c.smoke ? 20 : 1_000
        let itemIDs = c.data.itemIDs.rawIDs
        let requests = (0..<readers).map { _ in
            (0..<20).map { _ in itemIDs[rng.nextInt(below: itemIDs.count)] }
        }
        let ratings = (0..<20).map { Float(1 + $0 % 5) }
        _ = try foldIn.recommend(readItems: requests[0], ratings: ratings, k: 10)
        var latencies: [Double] = []
        for request in requests {
            latencies.append(try time { _ = try foldIn.recommend(readItems: request, ratings: ratings, k: 10) } * 1000)
        }
        let sorted = latencies.sorted()
        c.report.add(BenchResult(
            suite: "foldin", name: "BiasedMF d=50, 20 books read, top-10", unit: "ms", values: latencies,
            extras: ["p99 ms": sorted[min(sorted.count - 1, sorted.count * 99 / 100)]],
            notes: "\(readers) new readers over \(c.data.itemCount) items"))
    }
}
