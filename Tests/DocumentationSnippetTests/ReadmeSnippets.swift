// The code of README.md, verbatim: every ```swift block of it but the manifest excerpt appears
// below (Scripts/check-doc-snippets.py checks it), so the README's code compiles with the
// library, and the top-N example runs here on generated ratings.
import EmbedRec
import Testing

@Suite("Snippets: README")
struct ReadmeSnippets {
    /// The library tour: compiled, not run (it reads the reader's ratings and books files).
    func libraryTour() throws {
        let data = try RatingsLoader.load(path: "ratings.csv", format: .goodbooks)   // either column order
        let split = try data.randomSplit(testFraction: 0.2, seed: 42)
        let inner = try split.train.randomSplit(testFraction: 0.1, seed: 1)  // validation from training

        let recipe = Recipe.tunedBiasedMF            // or .tutorialV2, .ease, .als, … (Recipe.all)
        let fitted = try recipe.fit(inner.train, options: .init(validation: inner.test))  // early stopping
        let model = fitted.model
        print(try RatingMetrics(model: model, data: split.test))            // RMSE, MSE, MAE

        let scorer = try TopKScorer(model: model, training: split.train)        // excludes rated books
        let top10 = try scorer.recommend(user: data.userIDs.index(of: 1)!, options: .init(k: 10))
        let similar = try SimilarItems(model: model, itemIDs: data.itemIDs).similar(to: [0], k: 5)
        let newReader = try FoldInRecommender(model: model, training: split.train)
            .recommend(readItems: [1, 2, 3], ratings: [5, 4, 5], k: 10)
        print(try RankingMetrics(model: model, train: split.train, test: split.test, k: 10))

        // Save what serving needs (model, ID maps, rated lists, training record, catalogue) in one
        // safetensors file; open it in the serving process and ask by raw ID.
        let books = try ItemCatalog.loadGoodbooks(path: "books.csv")
        try Recommender(model: model, training: split.train, configuration: fitted.training, history: fitted.history,
                        catalog: books)
            .save(to: "books.safetensors")
        let served = try Recommender(contentsOf: "books.safetensors")
        let forReader = try served.recommend(user: 314, k: 5)                   // raw user ID
        let likeBook = try served.similarItems(to: 1, k: 10)                    // raw book_id
        let newcomer = try served.recommend(newReaderRatings: [1: 5, 2: 4, 3: 5], k: 10)
        try EmbeddingExport.writeProjectorFiles(served, to: "projector")        // vecs.tsv, meta.tsv, config

        // The most accurate rating model: 16 seeds of a linear BiasedMF averaged into one BiasedMF
        // (d = 16 × 30), epochs picked on a validation split (ml-100k u1: see Docs/Benchmarks.md).
        let member = BiasedMF.Configuration(dimension: 30, initializer: .heNormal, globalOffset: split.train.meanRating)
        var averaging = TrainingConfiguration(epochs: 40, batchSize: 64, optimizer: .adam(learningRate: 0.001), embeddingL2: 0.001)
        averaging.epochs = try ModelAveraging.bestEpochCount(
            members: 16, model: member, training: averaging, on: inner.train, validation: inner.test).epochs
        let (averaged, _) = try ModelAveraging.trainBiasedMF(members: 16, model: member, training: averaging, on: split.train)
        _ = (top10, similar, newReader, forReader, likeBook, newcomer, averaged)
    }

    /// "Which model?": a top-N recipe, on ratings where readers pick by taste.
    @Test func whichModel() throws {
        var shape = SyntheticRatings.Configuration(users: 300, items: 200, ratings: 12_000)
        shape.exposure = 1
        let split = try SyntheticRatings.generate(shape).perUserHoldout(fraction: 0.2, selection: .random(seed: 7))
        let ranker = try Recipe.ease.fit(split.train).model                     // or .als, .bpr
        let top = try TopKScorer(model: ranker, training: split.train).recommend(user: 0, options: .init(k: 10))
        print(try RankingMetrics(model: ranker, train: split.train, test: split.test, k: 10))

        #expect(top.count == 10 && top.allSatisfy { $0.predictedRating == nil }, "a top-N model's scores are not ratings")
    }
}
