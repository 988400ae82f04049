// The code of Sources/EmbedRec/EmbedRec.docc/GettingStarted.md, verbatim: every ```swift block of
// the article appears below (Scripts/check-doc-snippets.py checks it), so the article's code
// compiles with the library and, where it needs no file of the reader's, runs here.
import EmbedRec
import Testing

@Suite("Snippets: Getting started")
struct GettingStartedSnippets {
    /// The first program, on generated ratings.
    @Test func firstProgram() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))
        let split = try data.randomSplit(testFraction: 0.2, seed: 42)
        let inner = try split.train.randomSplit(testFraction: 0.1, seed: 1)

        let fitted = try Recipe.tunedBiasedMF.fit(inner.train, options: .init(validation: inner.test))
        let model = fitted.model
        print("best epoch", fitted.history!.bestEpoch)
        print(try RatingMetrics(model: model, data: split.test))   // MSE, RMSE, MAE

        let scorer = try TopKScorer(model: model, training: split.train)
        for item in try scorer.recommend(user: 0, options: .init(k: 5)) {
            print(item.rawItemID, item.predictedRating!)   // a rating model's score is a predicted rating
        }

        #expect(fitted.history!.bestEpoch >= 1)
    }

    /// Loading the reader's own files: compiled, not run (the files are the reader's).
    func loadingFiles() throws {
        let goodbooks = try RatingsLoader.load(path: "goodbooks-10k/ratings.csv", format: .goodbooks)
        let ml100k = try RatingsLoader.load(path: "ml-100k/u.data", format: .movieLens100K)
        let ml1m = try RatingsLoader.load(path: "ml-1m/ratings.dat", format: .movieLens1M)
        let fold = try RatingsLoader.loadPair(
            trainPath: "ml-100k/u1.base", testPath: "ml-100k/u1.test", format: .movieLens100K)
        let tsv = try RatingsLoader.load(
            path: "plays.tsv",
            format: .delimited(separator: "\t", hasHeader: true, userColumn: 0, itemColumn: 1, ratingColumn: 2))
        _ = (goodbooks, ml100k, ml1m, fold, tsv)
    }

    /// A raw ID in, a dense index out, and back.
    @Test func idMaps() throws {
        let data = try SyntheticRatings.generate(.init(users: 300, items: 200, ratings: 12_000))
        let reader = data.userIDs.index(of: 42)              // UserIndex? for raw user_id 42
        let book = data.itemIDs.rawID(at: ItemIndex(0))      // Int64? raw book_id of row 0
        print(data.userCount, data.itemCount, data.count, reader as Any, book as Any)

        #expect(reader != nil && book == 1)
    }
}
