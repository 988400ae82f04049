import Foundation
import Testing
@testable import EmbedRec

/// Tests on the real datasets in `../shared/data` (next to the package root). Each test runs
/// only when its file exists, so the suite skips cleanly elsewhere.
@Suite("Real data in ../shared/data")
struct RealDataTests {
    @Test("ml-100k u.data: 100,000 ratings, 943 users, 1,682 items",
          .enabled(if: TestSupport.hasData("ml-100k/u.data"), "needs ../shared/data/ml-100k/u.data"))
    func ml100k() throws {
        let path = TestSupport.dataPath("ml-100k/u.data")
        let data = try RatingsLoader.load(path: path, format: .movieLens100K)
        #expect(data.count == 100_000)
        #expect(data.userCount == 943)
        #expect(data.itemCount == 1682)
        #expect(data.userIDs.integerRawIDs! == Array(1...943))
        #expect(data.itemIDs.integerRawIDs! == Array(1...1682))
        #expect(data.ratingRange == 1...5)
        #expect(data.ratings.reduce(0.0) { $0 + Double($1) } == 352_986)
        #expect(data.timestamps?.count == 100_000)
        #expect(data.rawRows.first == RawRow(user: 196, item: 242, rating: 3, timestamp: 881_250_949))
        // The file is over 1 MiB, so the default load ran in chunks; it must match one chunk.
        let sequential = try RatingsLoader.load(path: path, format: .movieLens100K, parallelism: .sequential)
        #expect(sequential.users == data.users && sequential.items == data.items)
        #expect(sequential.ratings == data.ratings && sequential.timestamps == data.timestamps)
    }

    @Test("ml-100k u1.base/u1.test through loadPair: 80,000 / 20,000 with shared maps",
          .enabled(if: TestSupport.hasData("ml-100k/u1.base") && TestSupport.hasData("ml-100k/u1.test"), "needs ../shared/data/ml-100k/u1.base and u1.test"))
    func ml100kPair() throws {
        let (train, test) = try RatingsLoader.loadPair(
            trainPath: TestSupport.dataPath("ml-100k/u1.base"), testPath: TestSupport.dataPath("ml-100k/u1.test"),
            format: .movieLens100K)
        #expect(train.count == 80_000)
        #expect(test.count == 20_000)
        #expect(train.userIDs == test.userIDs && train.itemIDs == test.itemIDs)
        #expect(train.userCount == 943 && train.itemCount == 1682)
        #expect(train.ratings.reduce(0.0) { $0 + Double($1) } == 282_268)
        #expect(test.ratings.reduce(0.0) { $0 + Double($1) } == 70_718)
        #expect(train.ratingsPerUser().filter { $0 > 0 }.count == 943)
        #expect(test.ratingsPerUser().filter { $0 > 0 }.count == 459)
        #expect(test.ratingsPerItem().filter { $0 > 0 }.count == 1410)
        // u1.base ∪ u1.test is u.data.
        if TestSupport.hasData("ml-100k/u.data") {
            let all = try RatingsLoader.load(path: TestSupport.dataPath("ml-100k/u.data"), format: .movieLens100K)
            #expect((train.rawRows + test.rawRows).sorted() == all.sortedRawRows)
        }
    }

    @Test("ml-100k u.item: 1,682 items with Latin-1 titles",
          .enabled(if: TestSupport.hasData("ml-100k/u.item"), "needs ../shared/data/ml-100k/u.item"))
    func ml100kItems() throws {
        let catalog = try ItemCatalog.loadMovieLens100KItems(path: TestSupport.dataPath("ml-100k/u.item"))
        #expect(catalog.count == 1682)
        #expect(catalog.items.map(\.rawID) == (1...1682).map { RawID.integer($0) })
        #expect(catalog[rawID: 1] == ItemMetadata(rawID: 1, title: "Toy Story (1995)", year: 1995,
                                                   genres: ["Animation", "Children's", "Comedy"]))
        #expect(catalog.title(for: 543) == "Misérables, Les (1995)")
        #expect(catalog.title(for: 1104) == "C'est arrivé près de chez vous (1992)")
        #expect(catalog[rawID: 267] == ItemMetadata(rawID: 267, title: "unknown", year: nil, genres: ["unknown"]))
        #expect(catalog.items.allSatisfy { !$0.title.contains("\u{FFFD}") })
        #expect(catalog.items.filter { $0.year != nil }.count >= 1680)
        if TestSupport.hasData("ml-100k/u.data") {
            let data = try RatingsLoader.load(path: TestSupport.dataPath("ml-100k/u.data"), format: .movieLens100K)
            for dense in 0..<Int32(data.itemCount) {
                #expect(catalog.metadata(for: ItemIndex(dense), in: data.itemIDs)?.rawID == data.itemIDs.rawID(at: ItemIndex(dense)))
            }
        }
    }

    @Test("ml-1m ratings.csv: 1,000,209 ratings, 6,040 users, 3,706 items",
          .enabled(if: TestSupport.hasData("ml-1m/ratings.csv"), "needs ../shared/data/ml-1m/ratings.csv"))
    func ml1m() throws {
        let data = try RatingsLoader.load(path: TestSupport.dataPath("ml-1m/ratings.csv"), format: .goodbooks)
        #expect(data.count == 1_000_209)
        #expect(data.userCount == 6040)
        #expect(data.itemCount == 3706)
        #expect(data.timestamps == nil)
        #expect(data.ratingRange == 1...5)
        #expect(data.ratings.allSatisfy { $0 == $0.rounded() })
        #expect(data.ratings.reduce(0.0) { $0 + Double($1) } == 3_582_313)
        #expect(data.rawRows.prefix(2) == [RawRow(user: 1, item: 1, rating: 5), RawRow(user: 6, item: 1, rating: 4)])
    }

    @Test("goodbooks-10k books.csv: 10,000 books with quoted titles intact",
          .enabled(if: TestSupport.hasData("goodbooks-10k/books.csv"), "needs ../shared/data/goodbooks-10k/books.csv"))
    func goodbooksBooks() throws {
        let catalog = try ItemCatalog.loadGoodbooks(path: TestSupport.dataPath("goodbooks-10k/books.csv"))
        #expect(catalog.count == 10_000)
        #expect(catalog.items.map(\.rawID) == (1...10_000).map { RawID.integer($0) })
        #expect(catalog[rawID: 1] == ItemMetadata(
            rawID: 1, title: "The Hunger Games (The Hunger Games, #1)", authors: "Suzanne Collins", year: 2008,
            genres: [], imageURL: "https://images.gr-assets.com/books/1447303603m/2767052.jpg"))
        #expect(catalog[rawID: 2]?.title == "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)")
        #expect(catalog[rawID: 2]?.authors == "J.K. Rowling, Mary GrandPré")
        #expect(catalog[rawID: 2]?.year == 1997)
        #expect(catalog.title(for: 221) == "A Child Called \"It\" (Dave Pelzer #1)")
        #expect(catalog.title(for: 9265) == "My Story: \"A Child Called It\", \"The Lost Boy\", \"A Man Named Dave\"")
        #expect(catalog.title(for: 10_000) == "The First World War")
        // Counts checked against Python's csv module.
        #expect(catalog.items.filter { $0.title.contains(",") }.count == 4608)
        #expect(catalog.items.filter { $0.title.contains("\"") }.count == 5)
        #expect(catalog.items.filter { $0.year == nil }.count == 21)
        #expect(catalog.items.compactMap(\.year).min() == -1750)
        #expect(catalog.items.compactMap(\.year).max() == 2017)
        #expect(catalog.items.allSatisfy { $0.imageURL != nil && $0.authors != nil && !$0.title.isEmpty })
    }
}
