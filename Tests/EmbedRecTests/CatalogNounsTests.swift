import Foundation
import Testing
@testable import EmbedRec

/// The catalogue's words: found from a catalogue or an item column's name, given or not, saved
/// with the recommender and opened again.
@Suite("Catalogue nouns")
struct CatalogNounsTests {
    @Test("the item column's name and the catalogue say what the items are; nothing says users and items")
    func found() throws {
        func nouns(_ text: String) throws -> CatalogNouns? {
            try RatingsFileFormat.detect(firstBytes: Array(text.utf8), name: "f").nouns
        }
        #expect(try nouns("book_id,user_id,rating\n1,2,3\n") == .books)
        #expect(try nouns("\"User-ID\";\"ISBN\";\"Book-Rating\"\n1;X;3\n") == .books)
        #expect(try nouns("userId,movieId,rating,timestamp\n1,2,3.5,9\n") == .films)
        #expect(try nouns("userID\tartistID\tweight\n2\t51\t13883\n") == .artists)
        #expect(try nouns("{\"user\": \"a\", \"asin\": \"B01\", \"rating\": 5}\n") == .products)
        #expect(try nouns("user,item,rating\n1,1,5\n") == nil && nouns("196\t242\t3\t881250949\n") == nil)
        #expect(try ItemCatalog.loadGoodbooks(text: "book_id,title\n1,Dune\n").nouns == .books)
        #expect(try ItemCatalog.loadMovieLensCSV(text: "movieId,title,genres\n1,Toy Story (1995),Animation\n").nouns == .films)
        #expect(try ItemCatalog(items: [ItemMetadata(rawID: 1, title: "x")]).nouns == .generic)
    }

    @Test("a recommender takes the catalogue's words unless given others, saves them and opens them again")
    func saved() throws {
        let data = try SyntheticRatings.generate(.init(users: 40, items: 20, ratings: 400, seed: 2))
        let model = try Recipe.ease.fit(data).model
        let books = try ItemCatalog.loadGoodbooks(text: "book_id,title\n" + data.itemIDs.rawIDs.map { "\($0),Book \($0)" }.joined(separator: "\n"))
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for (catalog, given, expected) in [(books, nil, CatalogNouns.books), (books, .artists, .artists), (nil, nil, .generic),
                                           (nil, .films, .films)] as [(ItemCatalog?, CatalogNouns?, CatalogNouns)] {
            let recommender = try Recommender(model: model, training: data, catalog: catalog, nouns: given)
            #expect(recommender.nouns == expected && (recommender.catalog.map { $0.nouns == expected } ?? true))
            let path = dir.appendingPathComponent("r.safetensors").path
            try recommender.save(to: path)
            let opened = try Recommender(contentsOf: path)
            #expect(opened.nouns == expected && (opened.catalog.map { $0.nouns == expected } ?? true), "\(expected)")
            // Users and items are not written: files of older readers stay as they were.
            let header = try String(decoding: Data(contentsOf: URL(fileURLWithPath: path)).prefix(4096), as: UTF8.self)
            #expect(header.contains("\"nouns\"") == (expected != .generic))
        }
    }
}

/// Item co-occurrence: the cosine of two items' users, known answers.
@Suite("Item co-occurrence")
struct ItemCooccurrenceTests {
    @Test("cosine of the users two items share, best first; the item itself and items never co-rated left out")
    func knownAnswers() throws {
        // Users 1 and 2 rated a and b; user 3 rated a and c; user 4 rated d alone; user 1 rated a twice.
        let data = try RatingsDataset(rawUsers: [1, 1, 2, 2, 3, 3, 4, 1], rawItems: ["a", "b", "a", "b", "a", "c", "d", "a"],
                                      ratings: [5, 4, 3, 2, 1, 5, 4, 2])
        let index = ItemCooccurrence(data: data)
        let a = data.itemIDs.index(of: "a")!
        let found = index.neighbours(of: a, k: 10).map { (data.itemIDs.rawIDs[$0.item.offset], $0.cosine) }
        #expect(found.map(\.0) == ["b", "c"])
        #expect(abs(found[0].1 - Float(2 / (3.0 * 2).squareRoot())) < 1e-6 && abs(found[1].1 - Float(1 / 3.0.squareRoot())) < 1e-6)
        #expect(index.neighbours(of: data.itemIDs.index(of: "d")!, k: 5).isEmpty)
        // Through a recommender: raw IDs, k, and an unknown item refused.
        let recommender = try Recommender(model: try Recipe.ease.fit(data).model, training: data)
        #expect(try recommender.coRatedItems(to: "a", k: 1).map(\.rawItemID) == ["b"])
        #expect(throws: RecommenderError.self) { _ = try recommender.coRatedItems(to: "z", k: 3) }
        #expect(throws: RecommenderError.self) { _ = try recommender.coRatedItems(to: "a", k: 0) }
    }
}
