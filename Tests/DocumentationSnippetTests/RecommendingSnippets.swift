// The code of Sources/EmbedRec/EmbedRec.docc/MakingRecommendations.md, verbatim (see
// GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Recommending")
struct RecommendingSnippets {
    static let data = try! SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))

    static func trained() throws -> MatrixFactorization {
        let model = try MatrixFactorization(for: data, configuration: .init(dimension: 16))
        try Trainer(configuration: .init(epochs: 3)).fit(model, on: data)
        return model
    }

    @Test func topK() throws {
        let (model, train) = (try Self.trained(), Self.data)
        let scorer = try TopKScorer(model: model, training: train)   // leaves out what each user rated
        let reader = train.userIDs.index(of: 42)!
        let top = try scorer.recommend(user: reader, options: .init(k: 10))
        for r in top { print(r.rawItemID, r.score) }

        // Only some items (one shelf, what is in stock), and never a few others:
        let shelf = Array(train.itemIDs.indices.prefix(50))
        let filtered = try scorer.recommend(
            user: reader, options: .init(k: 5, excludedItems: [ItemIndex(0)], allowedItems: shelf))

        #expect(top.count == 10 && filtered.allSatisfy { shelf.contains($0.item) && $0.item != ItemIndex(0) })
    }

    @Test func everyUser() throws {
        let (model, train) = (try Self.trained(), Self.data)
        let scorer = try TopKScorer(model: model, training: train)
        let all = try scorer.recommendAll(options: .init(k: 10))       // users × 10, flat
        for row in 0..<3 {
            let user = train.userIDs.rawID(at: all.users[row])!
            let books = all.items(forRow: row).map { train.itemIDs.rawIDs[Int($0)] }
            print(user, books)
        }

        #expect(all.users.count == train.userCount)
    }

    @Test func similar() throws {
        let (model, train) = (try Self.trained(), Self.data)
        let similar = try SimilarItems(model: model, itemIDs: train.itemIDs)
        let first = train.itemIDs.index(of: 1)!, second = train.itemIDs.index(of: 2)!
        for n in try similar.similar(to: [first], k: 5) { print(n.rawItemID, n.similarity) }
        let likeBoth = try similar.similar(to: [first, second], k: 5)   // the mean of the two

        #expect(likeBoth.count == 5)
    }

    @Test func concatMLPHasNoSimilarity() throws {
        let mlp = try ConcatMLP(for: Self.data, configuration: .init(userDimension: 8, itemDimension: 8, hiddenUnits: [16]))
        #expect(throws: RecommenderError.noItemSimilarity(mlp.summary)) { try SimilarItems(model: mlp) }
    }

    /// Joining titles: compiled, not run (the catalogue is the reader's file).
    func titles(model: any Model, train: RatingsDataset) throws {
        let books = try ItemCatalog.loadGoodbooks(path: "goodbooks-10k/books.csv")
        let scorer = try TopKScorer(model: model, training: train)
        for r in try scorer.recommend(user: UserIndex(0), options: .init(k: 5)) {
            let book = books.metadata(for: r.item, in: train.itemIDs)
            print(book?.title ?? "?", "by", book?.authors ?? "?")
        }
        let movies = try ItemCatalog.loadMovieLens100KItems(path: "ml-100k/u.item")
        let films = try ItemCatalog.loadMovieLensCSV(path: "ml-latest-small/movies.csv")
        print(movies.title(for: 50) ?? "?", films.count)
    }
}
