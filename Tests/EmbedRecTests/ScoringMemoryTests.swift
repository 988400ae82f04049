import Foundation
import Testing
@testable import EmbedRec

/// All-users scoring holds a block of users × a tile of items per worker, never the
/// users × items score matrix: its working memory, as the scorer itself counts what it
/// allocated, is the same for 10× the users.
@Suite("Scoring memory")
struct ScoringMemoryTests {
    static let items = 1_000
    /// Blocks of 64 users in tiles of 256 items (the defaults are 512 × 1,024): the same
    /// bound at a tenth of the test's time.
    static let blockSize = 64, tileSize = 256

    static func models(users: Int) throws -> [(String, any Model)] {
        let data = try SyntheticRatings.generate(.init(users: users, items: items, ratings: users * 10, seed: 11))
        #expect(data.userCount == users)
        return [
            ("MF", try MatrixFactorization(for: data, configuration: .init(dimension: 16))),
            ("ConcatMLP", try ConcatMLP(for: data, configuration: .init(userDimension: 8, itemDimension: 8, hiddenUnits: [16]))),
        ]
    }

    @Test("all-users top-10 working memory per worker is the same for 300 and 3,000 users, far below users × items")
    func boundedByTheBlock() throws {
        let small = try Self.models(users: 300), large = try Self.models(users: 3_000)
        for ((name, smallModel), (_, largeModel)) in zip(small, large) {
            let options = RecommendationOptions(k: 10, excludeRated: false)
            var measured: [Int] = []
            for (model, parallelism) in [(smallModel, Parallelism.sequential), (largeModel, .sequential), (largeModel, Parallelism(threads: 2))] {
                let scorer = try TopKScorer(model: model, blockSize: Self.blockSize, tileSize: Self.tileSize, parallelism: parallelism)
                let users = (0..<Int32(model.userCount)).map(UserIndex.init)
                let (result, workerBytes) = try scorer.recommendFlatMeasured(users: users, options: options)
                #expect(result.items.count == model.userCount * 10)
                #expect(!result.items.contains(-1))
                measured.append(workerBytes)
                // At least the score tile (block × tile floats).
                #expect(workerBytes >= Self.blockSize * Self.tileSize * MemoryLayout<Float>.size, "\(name)")
            }
            #expect(measured[0] == measured[1] && measured[1] == measured[2], "\(name): \(measured)")
            // 3,000 × 1,000 scores would be 12 MB; a worker holds a few hundred KB.
            #expect(measured[1] * 10 < 3_000 * Self.items * MemoryLayout<Float>.size, "\(name): \(measured[1]) bytes")
        }
    }

    @Test("fewer users than a block: the working memory shrinks with them")
    func smallRequests() throws {
        let (_, model) = try Self.models(users: 600)[0]
        let scorer = try TopKScorer(model: model, parallelism: .sequential)
        let one = try scorer.recommendFlatMeasured(users: [UserIndex(0)], options: .init(k: 10)).workerBytes
        let block = try scorer.recommendFlatMeasured(users: (0..<512).map(UserIndex.init), options: .init(k: 10)).workerBytes
        #expect(one < block / 100)
    }
}
