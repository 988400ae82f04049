import Testing
@testable import EmbedRec

/// Items a user rated in training never come back in their top K (unless `excludeRated` is
/// false), and ranking evaluation scores lists with them excluded. Known answers on a model
/// whose item order is fixed by hand.
@Suite("Training items are excluded from the top K")
struct SeenItemExclusionTests {
    /// MF d = 1 over `items` items: every user row is 1 and item i scores `items − i`, so the
    /// unfiltered ranking is 0, 1, 2, ... for every user.
    static func model(users: Int, items: Int) throws -> MatrixFactorization {
        let m = try MatrixFactorization(users: users, items: items, configuration: .init(dimension: 1, initializer: .constant(1)))
        try m.itemEmbedding.assign((0..<items).map { Float(items - $0) })
        return m
    }

    static func dataset(_ pairs: [(Int32, Int32)], ratings: [Float]? = nil, users: Int, items: Int) throws -> RatingsDataset {
        try RatingsDataset(
            users: pairs.map(\.0), items: pairs.map(\.1), ratings: ratings ?? pairs.map { _ in 3 },
            userIDs: IDMap(integerIDs: (1...Int64(users)).map { $0 }), itemIDs: IDMap(integerIDs: (1...Int64(items)).map { $0 }))
    }

    @Test("top K skips each user's training items, across tile boundaries", arguments: [8, 1024])
    func scorerExcludesTrainingItems(tileSize: Int) throws {
        let model = try Self.model(users: 3, items: 20)
        // User 0 rated items at tile edges (tiles of 8: 0–7, 8–15, 16–19); user 1 nothing;
        // user 2 the first five.
        let train = try Self.dataset([(0, 0), (0, 7), (0, 8), (0, 15), (0, 16), (0, 1), (2, 4), (2, 3), (2, 2), (2, 1), (2, 0)],
                                     users: 3, items: 20)
        for blockSize in [1, 512] {
            let scorer = try TopKScorer(model: model, training: train, blockSize: blockSize, tileSize: tileSize)
            let top = try scorer.recommend(users: [0, 1, 2], options: .init(k: 8))
            #expect(top[0].map(\.item) == [2, 3, 4, 5, 6, 9, 10, 11], "\(top[0].map(\.item))")
            #expect(top[1].map(\.item) == [0, 1, 2, 3, 4, 5, 6, 7])
            #expect(top[2].map(\.item) == [5, 6, 7, 8, 9, 10, 11, 12])
            // Without the exclusion every user gets the plain order.
            let all = try scorer.recommend(users: [0, 2], options: .init(k: 3, excludeRated: false))
            #expect(all.map { $0.map(\.item) } == [[0, 1, 2], [0, 1, 2]])
        }
    }

    @Test("RankingMetrics(model:train:test:) evaluates lists without the training items")
    func metricsExcludeTrainingItems() throws {
        let model = try Self.model(users: 3, items: 6)
        // Unfiltered every list would be [0, 1]. Train: u0 {0}, u1 {0, 1}, u2 {}.
        let train = try Self.dataset([(0, 0), (1, 0), (1, 1)], users: 3, items: 6)
        // Relevant (≥ 4): u0 {1}, u1 {3}, u2 {1}.
        let test = try Self.dataset([(0, 1), (1, 3), (2, 1), (2, 5)], ratings: [5, 4, 4, 2], users: 3, items: 6)
        let m = try RankingMetrics(model: model, train: train, test: test, k: 2, parallelism: .sequential)
        // K = 2: u0 [1, 2] hit at 1; u1 [2, 3] hit at 2; u2 [0, 1] hit at 2.
        // Without the exclusion: u0 [0, 1] hit at 2, u1 [0, 1] no hit.
        #expect(m.usersEvaluated == 3)
        #expect(abs(m.ndcg - (1 + 0.6309297535714575 + 0.6309297535714575) / 3) <= 1e-12, "\(m.ndcg)")
        #expect(abs(m.hitRate - 1) <= 1e-12 && abs(m.precision - 0.5) <= 1e-12 && abs(m.recall - 1) <= 1e-12)
        #expect(abs(m.map - (1 + 0.5 + 0.5) / 3) <= 1e-12)
        // Items 0, 1, 2, 3 were recommended: coverage 4/6.
        #expect(abs(m.coverage - 4.0 / 6) <= 1e-12)
    }
}
