// The code of Sources/EmbedRec/EmbedRec.docc/NewReaders.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: New readers")
struct NewReadersSnippets {
    static let data = try! SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))

    @Test func foldIn() throws {
        let train = Self.data
        let model = try BiasedMF(for: train, configuration: .init(dimension: 16))
        try Trainer(configuration: .init(epochs: 3)).fit(model, on: train)

        let foldIn = try FoldInRecommender(model: model, training: train)
        let result = try foldIn.recommend(readItems: [1, 2, 3, 999_999], ratings: [5, 4, 5, 3], k: 10)
        print(result.recommendations.map { $0.rawItemID })
        print("not in the catalogue:", result.unknownItemIDs)          // [999999]
        print("popularity fallback:", result.isPopularityFallback)     // false

        let unrated = try foldIn.recommend(readItems: [1, 2, 3], k: 10)  // each read counts as a good rating

        #expect(result.unknownItemIDs == [999_999] && !unrated.isPopularityFallback)
    }

    @Test func throughARecommender() throws {
        let train = Self.data
        let model = try BiasedMF(for: train, configuration: .init(dimension: 16))
        try Trainer(configuration: .init(epochs: 3)).fit(model, on: train)

        let recommender = try Recommender(model: model, training: train)
        let rated = try recommender.recommend(newReaderRatings: [1: 5, 2: 4, 3: 5], k: 10)
        let read = try recommender.recommend(newReaderItems: [1, 2, 3], k: 10)
        let mixed = try recommender.recommend(newReaderItems: [1, 2, 3], ratings: [5, nil, 2], k: 10)
        let nobody = try recommender.recommend(newReaderItems: [], k: 10)
        print(nobody.isPopularityFallback)                              // true: the most-rated items

        #expect(rated.recommendations.count == 10 && read.recommendations.count == 10)
        #expect(mixed.recommendations.count == 10 && nobody.isPopularityFallback)
    }
}
