// The code of Docs/Datasets.md, verbatim (see GettingStartedSnippets.swift).
import EmbedRec
import Testing

@Suite("Snippets: Datasets")
struct DatasetsSnippets {
    /// The real files: compiled, not run (they are the reader's downloads).
    func files() throws {
        let data = try RatingsLoader.load(path: "goodbooks-10k/ratings.csv", format: .goodbooks)
        let books = try ItemCatalog.loadGoodbooks(path: "goodbooks-10k/books.csv")

        let (train, test) = try RatingsLoader.loadPair(
            trainPath: "ml-100k/u1.base", testPath: "ml-100k/u1.test", format: .movieLens100K)
        let movies = try ItemCatalog.loadMovieLens100KItems(path: "ml-100k/u.item")
        _ = (data, books, train, test, movies)
    }

    /// Generated data, with a small stand-in for books.csv.
    @Test func generated() throws {
        let books = try ItemCatalog.loadGoodbooks(text: """
            id,title,authors
            1,"The Hunger Games (The Hunger Games, #1)",Suzanne Collins
            2,"Catching Fire (The Hunger Games, #2)",Suzanne Collins
            3,Twilight,Stephenie Meyer
            """)
        let data = try SyntheticRatings.generate(.goodbooks(scale: 0.25))     // a quarter of the ratings, seed 42
        var shape = SyntheticRatings.Configuration(users: 2_000, items: 1_000, ratings: 40_000, seed: 7)
        shape.exposure = 1                                                     // readers pick by taste
        shape.itemGroups = SyntheticRatings.itemGroups(catalog: books, items: shape.items)
        let tasteDriven = try SyntheticRatings.generate(shape)

        #expect(data.userCount == 53_424 && tasteDriven.itemCount <= 1_000)
        #expect(shape.itemGroups![0] == shape.itemGroups![1])              // one series, one group
    }
}
