// The goodbooks tutorial end to end: ratings and books.csv in, an 80/20 split, a dot-product
// model trained with the test MSE after each epoch, five books for reader 314 with titles and
// authors, the books most similar to "The Hunger Games", Embedding Projector files and a saved
// recommender.
//
//   swift run BookRecommender --books goodbooks-10k/books.csv --ratings goodbooks-10k/ratings.csv
//   swift run BookRecommender --books goodbooks-10k/books.csv          # generated ratings
//
// Nothing is read that the command line does not name.
import ArgumentParser
import EmbedRec
import Foundation
import OpenBLASRelaunch

@main
struct BookRecommender: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "BookRecommender",
        abstract: "The goodbooks tutorial: train, recommend, find similar books, export, save.",
        discussion: """
        Without --ratings, generates goodbooks-shaped ratings (10,000 books; 53,424 readers and 981,756 ratings × --scale) whose taste follows the series and authors of --books.

        Example:
          swift run BookRecommender --books goodbooks-10k/books.csv --scale 0.2
        """)

    @Option(help: "goodbooks books.csv (titles and authors).")
    var books: String

    @Option(help: "goodbooks ratings.csv (book_id,user_id,rating or user_id,book_id,rating); generated when left out.")
    var ratings: String?

    @Option(help: "Size of the generated ratings (1 = goodbooks-10k's 53,424 readers and 981,756 ratings).")
    var scale: Double = 1

    @Option(help: "Rating recipe (tutorial A's dot5, or \(Recipe.ratingRecipes.map(\.name).filter { $0 != "dot5" }.joined(separator: ", "))).")
    var model: String = "dot5"

    @Option(help: "Training epochs (tutorial A: 10).")
    var epochs: Int = 10

    @Option(help: "The reader to recommend for.")
    var user: String = "314"

    @Option(help: "The title to find similar books for (case-insensitive prefix).")
    var similarTo: String = "The Hunger Games"

    @Option(help: "Folder for the projector files and the saved recommender.")
    var output: String = "book-recommender-out"

    static func main() {
        OpenBLASRelaunch.restartWithRecommendedKernelsIfNeeded()
        main(nil)
    }

    func run() throws {
        let catalog = try ItemCatalog.loadGoodbooks(path: books)
        let data: RatingsDataset
        if let ratings {
            data = try RatingsLoader.load(path: ratings, format: .goodbooks)
        } else {
            // Taste that follows series and authors, so that similar books look right.
            var shape = SyntheticRatings.Configuration.goodbooks(scale: scale)
            shape.users = max(400, Int((53_424 * scale).rounded()))  // fewer readers, as many ratings each
            shape.exposure = 4
            shape.itemGroups = SyntheticRatings.itemGroups(catalog: catalog, items: shape.items)
            data = try SyntheticRatings.generate(shape)
        }
        print("\(data.count) ratings, \(data.userCount) readers, \(data.itemCount) books")

        // Tutorial A: 80/20 split (seed 42), 5-dimensional embeddings, dot product, Adam, MSE.
        let split = try data.randomSplit(testFraction: 0.2, seed: 42)
        guard let recipe = Recipe.ratingRecipes.first(where: { $0.name == model }) else {
            throw ValidationError("--model: no rating recipe named \(model)")
        }
        // As in the tutorial, the test set is only reported after each epoch; it chooses nothing.
        let report = TrainingObserver(afterEpoch: { history in
            let e = history.epochs.last!
            print(String(format: "epoch %2d  train MSE %.4f  test MSE %.4f", e.epoch, e.meanLoss, e.validation!.mse))
            return .proceed
        })
        let fitted = try recipe.adjusted(.init(epochs: epochs)).fit(split.train, options: .init(validation: split.test, observer: report))

        let recommender = try Recommender(model: fitted.model, training: split.train, configuration: fitted.training,
                                          history: fitted.history, catalog: catalog)
        func describe(_ id: RawID?) -> String {
            guard let id, let book = recommender.metadata(for: id) else { return "book \(id.map(\.description) ?? "?")" }
            return "\(book.title) — \(book.authors ?? "unknown author")"
        }
        if recommender.userIDs.index(of: RawID(user)) != nil {
            print("\nFive books for reader \(user) (books they rated left out):")
            for r in try recommender.recommend(user: RawID(user), k: 5).recommendations {
                print(String(format: "  %.2f  ", r.predictedRating!) + describe(r.rawItemID))
            }
        } else {
            print("\nReader \(user) is not in the training ratings.")
        }
        if let anchor = catalog.items.first(where: { $0.title.lowercased().hasPrefix(similarTo.lowercased()) }),
           recommender.itemIDs.index(of: anchor.rawID) != nil {
            print("\nBooks most similar to \(anchor.title):")
            for n in try recommender.similarItems(to: anchor.rawID, k: 5) {
                print(String(format: "  %.3f  ", n.similarity) + describe(n.rawItemID))
            }
        } else {
            print("\nNo rated book's title starts with \"\(similarTo)\".")
        }

        let projector = try EmbeddingExport.writeProjectorFiles(recommender, to: output + "/projector")
        let saved = output + "/books.safetensors"
        try recommender.save(to: saved)
        print("\nProjector files: \(projector.joined(separator: ", "))")
        print("Saved recommender: \(saved) (try: swift run NewReader \(saved) 1:5 2:4)")
    }
}
