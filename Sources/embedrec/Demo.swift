import ArgumentParser
import EmbedRec
import Foundation

/// The README's first command: goodbooks-shaped data → trained model → metrics → recommendations.
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train on goodbooks-shaped data, compare with baselines, recommend books.",
        discussion: """
            Without --ratings, generates goodbooks-shaped synthetic ratings (53,424 readers, 10,000 books, 981,756 ratings; deterministic). Titles come from --catalog: goodbooks books.csv, MovieLens movies.csv or u.item (nothing is read that the command line does not name).

            Multi-threaded training updates rows without locks (Hogwild): runs with the same seed differ slightly; --deterministic trains on one thread, repeatably.

            Example:
              embedrec demo --scale 0.3 --catalog goodbooks-10k/books.csv --user 314
            """)

    @Option(help: "A goodbooks ratings.csv (book_id,user_id,rating or user_id,book_id,rating).")
    var ratings: String?

    @Option(name: [.customLong("catalog"), .customLong("books")],
            help: "Titles for the items: goodbooks books.csv, MovieLens movies.csv or u.item.")
    var catalog: String?

    @Flag(help: "Train on one thread so that the same seed gives the same model (slower).")
    var deterministic = false

    @Option(help: "Rating recipe: \(Recipe.ratingRecipes.map(\.name).joined(separator: ", ")).")
    var model: RecipeChoice = RecipeChoice(argument: "biasedmf")!

    @Option(help: "Embedding dimension (default: the recipe's).")
    var dimension: Int?

    @Option(help: "Training epochs.")
    var epochs: Int = 12

    @Option(help: "Fraction of the synthetic data to generate (1 = full goodbooks size, the default); not with --ratings.")
    var scale: Double?

    @Option(help: "The reader (raw user ID) to recommend for.")
    var user: RawID = 1

    func validate() throws {
        guard (scale ?? 1).isFinite, scale ?? 1 > 0 else { throw ValidationError("--scale must be a positive number, got \(scale!)") }
        guard scale == nil || ratings == nil else { throw ValidationError("--scale sizes the generated ratings; with --ratings FILE nothing is generated") }
        guard dimension ?? 1 > 0, epochs > 0 else { throw ValidationError("--dimension and --epochs must be positive") }
        guard model.recipe.predictsRatings else {
            throw ValidationError("--model: the demo trains a rating model (\(Recipe.ratingRecipes.map(\.name).joined(separator: ", "))); its lists come from EASE")
        }
    }

    mutating func run() throws {
        let data: RatingsDataset
        var detectedNouns = CatalogNouns.books
        if let ratings {
            let detection = try RatingsFileFormat.detect(path: ratings)
            let format = detection.format
            detectedNouns = detection.nouns ?? .generic
            guard format.values.areRatings else {
                throw CommandFailure("\(ratings) holds implicit feedback (counts or bare interactions), not ratings: the demo trains a rating model; `embedrec train \(ratings)` fits a top-N model on it")
            }
            data = try RatingsLoader.load(path: ratings, format: format)
            print("Loaded \(ratings): \(data.count) ratings, \(data.userCount) \(detectedNouns.users), \(data.itemCount) \(detectedNouns.items)")
        } else {
            // Generated readers are numbered 1…53,424 (each rates at least two books): check the
            // reader before the generation's seconds are spent.
            let readers = SyntheticRatings.Configuration.goodbooks(scale: scale ?? 1).users
            guard let number = user.integerValue, (1...Int64(readers)).contains(number) else {
                throw CommandFailure("--user: reader \(user) is not in the data (user IDs run from 1 to \(readers))")
            }
            // Reading follows taste (β = 4), and with a catalogue books of one series or author
            // share planted factors, so the lists below are ones a reader can judge.
            let books = try self.catalog.flatMap { Self.isMovieCatalog($0) ? nil : try Self.loadCatalog($0).items }
            let configuration = SyntheticRatings.Configuration.goodbooksReading(scale: scale ?? 1, catalog: books)
            data = try SyntheticRatings.generate(configuration)
            print("Generated goodbooks-shaped ratings (reading follows taste\(configuration.itemGroups == nil ? "" : ", series and authors share taste")): \(data.count) ratings, \(data.userCount) readers, \(data.itemCount) books")
        }
        // The reader must exist before minutes of training are spent.
        guard let userIndex = data.userIDs.index(of: user) else {
            throw CommandFailure("--user: reader \(user) is not in the data (user IDs run from \(data.userIDs.rawIDs.first ?? 0) to \(data.userIDs.rawIDs.last ?? 0))")
        }
        let catalog = try self.catalog.map(Self.loadCatalog)
        // The words of the catalogue, else of the file's item column; generated data is books.
        let nouns = catalog?.items.nouns ?? detectedNouns
        let split = try data.randomSplit(testFraction: 0.2, seed: 42)
        print("Split 80/20 (seed 42): \(split.train.count) train, \(split.test.count) test")
        for kind in [BaselineModel.Kind.globalMean, .biases] {
            let baseline = try BaselineModel(kind, fittedOn: split.train)
            print("  baseline \(kind.rawValue): test \(try RatingMetrics(model: baseline, data: split.test))")
        }
        // The demo watches its test split, which must not choose the epoch: no early stopping.
        var recipe = try adjustedRecipe(self.model.recipe, RecipeChanges(dimension: dimension, epochs: epochs, seed: 42,
                                                                         deterministic: deterministic))
        if var gradient = recipe.fitter as? GradientTraining { gradient.training.earlyStoppingPatience = nil; recipe.fitter = gradient }
        print("Training \(recipe.name) (\(recipe.summary)):")
        let fitted = try fitWithProgress(recipe, train: split.train, validation: split.test, label: "test")
        let model = fitted.model
        print("Test: \(try RatingMetrics(model: model, data: split.test)) (best epoch \(fitted.history!.bestEpoch))")

        func title(_ raw: RawID?) -> String {
            guard let raw else { return "?" }
            if let item = catalog?.items[rawID: raw] { return "\(item.title)\(item.authors.map { " — \($0)" } ?? "")" }
            return "item \(raw)"
        }
        // Top-N lists come from the model trained for ranking (EASE, the best of the ranking
        // suite); the rating model above predicts stars, and ranks worse than most popular.
        // Its 200 largest weights per item keep its recall and score every reader about as
        // fast as an embedding model (Docs/Benchmarks.md, "EASE with a sparse B").
        let preset = try Recipe.ease.adjusted(RecipeChanges(weightsPerItem: 200))
        var ranker: (any Model)? = nil
        let fitSeconds = try measure { ranker = try preset.fit(split.train).model }
        let popular = try BaselineModel(.popularity, fittedOn: split.train)
        let ranking = try RankingMetrics(model: ranker!, train: split.train, test: split.test, k: 10)
        let popularRanking = try RankingMetrics(model: popular, train: split.train, test: split.test, k: 10)
        print(String(format: "\nTop-N model: %@, fitted in %.1f s. Test recall@10 %.4f, NDCG@10 %.4f (most popular: %.4f, %.4f; %@: %.4f)",
                     preset.summary, fitSeconds, ranking.recall, ranking.ndcg, popularRanking.recall, popularRanking.ndcg,
                     model.summary, try RankingMetrics(model: model, train: split.train, test: split.test, k: 10).recall))
        let scorer = try TopKScorer(model: ranker!, training: split.train)
        print("\nTop 5 for \(nouns.user) \(user) (\(nouns.items) they rated in training excluded):")
        for r in try scorer.recommend(user: userIndex, options: .init(k: 5)) {
            print("  " + title(r.rawItemID))
        }
        let allSeconds = try measure { _ = try scorer.recommendAll(options: .init(k: 10)) }
        print(String(format: "Top 10 for all %d %@: %.2f s", data.userCount, nouns.users, allSeconds))

        // "Similar" as readers mean it: what the top-N model recommends to someone who read
        // only this book (for EASE, the book's row of item-to-item weights).
        let foldIn = try FoldInRecommender(model: ranker!, training: split.train)
        let anchor: ItemIndex = 0
        let anchorID = data.itemIDs.rawID(at: anchor)!
        print("\nPeople who liked \(title(anchorID)) also liked:")
        for r in try foldIn.recommend(readItems: [anchorID], k: 5).recommendations {
            print("  " + title(r.rawItemID))
        }
        // Up to three known books and one ID the catalogue does not have (999,999 unless taken).
        let known = Array(data.itemIDs.rawIDs.prefix(3))
        let unknownID: RawID = data.itemIDs.index(of: 999_999) == nil ? 999_999 : "not-in-the-catalogue"
        let read = known + [unknownID]
        let result = try foldIn.recommend(readItems: read, k: 5)
        print("\nA new \(nouns.user) who liked \(nouns.items) \(known.map(String.init).joined(separator: ", ")) (unknown IDs ignored: \(result.unknownItemIDs)):")
        for r in result.recommendations {
            print("  " + title(r.rawItemID))
        }
    }
}

extension Demo {
    /// The catalogue named on the command line, with its path; errors are the loader's (file,
    /// line, cause), never swallowed.
    static func loadCatalog(_ path: String) throws -> (items: ItemCatalog, path: String) {
        let name = URL(fileURLWithPath: path).lastPathComponent
        if name == "u.item" { return (try ItemCatalog.loadMovieLens100KItems(path: path), path) }
        if isMovieCatalog(path) { return (try ItemCatalog.loadMovieLensCSV(path: path), path) }
        return (try ItemCatalog.loadGoodbooks(path: path), path)
    }

    /// MovieLens catalogues: `u.item`, or a CSV whose header starts with `movieId`.
    static func isMovieCatalog(_ path: String) -> Bool {
        if URL(fileURLWithPath: path).lastPathComponent == "u.item" { return true }
        // A file that cannot be read is not detected here: the loader then says why.
        guard let prefix = try? FileChecks.readPrefix(path, count: 64) else { return false }
        let head = String(decoding: prefix, as: UTF8.self)
        return head.hasPrefix("movieId")
    }
}

func measure(_ body: () throws -> Void) rethrows -> Double {
    let start = Date()
    try body()
    return Date().timeIntervalSince(start)
}
