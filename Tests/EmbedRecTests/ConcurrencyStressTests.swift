import Foundation
import Testing
@testable import EmbedRec

/// A trained recommender is immutable and `Sendable`: many tasks asking it at once get exactly
/// the answers one thread gets.
@Suite("Concurrency: many tasks on one recommender")
struct ConcurrencyStressTests {
    @Test("8 tasks × 250 recommend, new-reader and similar-items calls agree with a single-threaded reference")
    func concurrentCallsMatchReference() async throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 120, ratings: 6_000, seed: 17))
        let split = try data.randomSplit(testFraction: 0.2, seed: 3)
        let model = try BiasedMF(for: data, configuration: .init(dimension: 8, initializer: .normal(std: 0.1), globalOffset: 3.5))
        try Trainer(configuration: .init(epochs: 3, batchSize: 64, deterministic: true)).fit(model, on: split.train)
        // Single-threaded scorers inside the tasks, so the tasks themselves are the concurrency.
        let scorer = try TopKScorer(model: model, training: split.train, parallelism: .sequential)
        let foldIn = try FoldInRecommender(model: model, training: split.train)
        let similar = try SimilarItems(model: model, itemIDs: data.itemIDs)

        struct Answer: Equatable, Sendable {
            let recommended: [Int32], newReader: [Int32], neighbours: [Int32]
        }
        @Sendable func answer(_ request: Int) throws -> Answer {
            let user = Int32(request % data.userCount)
            let reads = (0..<3).map { data.itemIDs.rawID(at: ItemIndex(Int32((request * 7 + $0 * 13) % data.itemCount)))! }
            return Answer(
                recommended: try scorer.recommend(user: UserIndex(user), options: .init(k: 10)).map(\.item.position),
                newReader: try foldIn.recommend(readItems: reads, ratings: [5, 4, 3], k: 10).recommendations.map(\.item.position),
                neighbours: try similar.similar(to: [ItemIndex(Int32(request % data.itemCount))], k: 5).map(\.item.position))
        }
        let requests = 250
        let reference = try (0..<requests).map(answer)
        let differences = try await withThrowingTaskGroup(of: Int.self) { group in
            for task in 0..<8 {
                group.addTask {
                    var wrong = 0
                    // Each task walks the requests from a different start, so calls overlap.
                    for step in 0..<requests {
                        let request = (step + task * 31) % requests
                        if try answer(request) != reference[request] { wrong += 1 }
                    }
                    return wrong
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(differences == 0, "\(differences) of \(8 * requests) concurrent answers differ from the reference")
        #expect(reference.allSatisfy { $0.recommended.count == 10 && $0.newReader.count == 10 && $0.neighbours.count == 5 })
    }
}
