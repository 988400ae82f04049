import Foundation
import Testing
@testable import EmbedRec

/// The example programs under Examples/, run from their built binaries on small generated files,
/// and on ../shared/data when it is there.
@Suite("Example programs")
struct ExampleProgramTests {
    static let bookRecommender = ProgramRunner.path(of: "BookRecommender")
    static let modelComparison = ProgramRunner.path(of: "ModelComparison")
    static let newReader = ProgramRunner.path(of: "NewReader")

    /// A books.csv with the goodbooks columns the loader reads, "The Hunger Games" as book 1.
    static func booksFile(in dir: URL, count: Int) throws -> String {
        var text = "book_id,authors,original_publication_year,title\n"
        text += "1,Suzanne Collins,2008.0,\"The Hunger Games (The Hunger Games, #1)\"\n"
        for id in 2...count { text += "\(id),Author \(id % 7),2000.0,Book \(id)\n" }
        let path = dir.appendingPathComponent("books.csv").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test("BookRecommender and NewReader on generated files: the tutorial's steps, then a new reader from the saved file",
          .enabled(if: bookRecommender != nil && newReader != nil, "the example binaries are built next to the tests"))
    func bookRecommenderThenNewReader() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let books = try Self.booksFile(in: dir, count: 60)
        let ratings = dir.appendingPathComponent("ratings.csv").path
        let data = try SyntheticRatings.generate(.init(users: 400, items: 60, ratings: 8000, seed: 4))
        try RatingsWriter.writeCSV(data, to: ratings, header: ["book_id", "user_id", "rating"], columns: [.item, .user, .rating])
        let out = dir.appendingPathComponent("out").path
        let run = try ProgramRunner.run(Self.bookRecommender!, ["--books", books, "--ratings", ratings, "--epochs", "3", "--output", out])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.components(separatedBy: "test MSE").count == 4, "\(run.out)")
        #expect(run.out.contains("Five books for reader 314"))
        #expect(run.out.contains("Books most similar to The Hunger Games (The Hunger Games, #1):"), "\(run.out)")
        #expect(run.out.contains(" — Author "), "titles with authors: \(run.out)")
        for file in ["projector/vecs.tsv", "projector/meta.tsv", "projector/projector_config.json", "books.safetensors"] {
            #expect(FileManager.default.fileExists(atPath: out + "/" + file), "\(file)")
        }
        let saved = out + "/books.safetensors"
        let reader = try ProgramRunner.run(Self.newReader!, [saved, "1:5", "2:4", "3", "999999", "--k", "4"])
        #expect(reader.status == 0, "\(reader.err)")
        let expected = try Recommender(contentsOf: saved).recommend(newReaderItems: [1, 2, 3, 999999], ratings: [5, 4, nil, nil], k: 4)
        let titles = expected.recommendations.map { "Book \($0.rawItemID) — " }
        #expect(titles.allSatisfy { reader.out.contains($0) } && reader.out.contains("ignored: 999999"), "\(reader.out)")
        // A reading-list file gives the same list.
        let list = dir.appendingPathComponent("list.csv").path
        try "book_id,rating\n1,5\n2,4\n3\n999999\n".write(toFile: list, atomically: true, encoding: .utf8)
        let fromFile = try ProgramRunner.run(Self.newReader!, [saved, "--list", list, "--k", "4"])
        #expect(fromFile.status == 0 && fromFile.out == reader.out, "\(fromFile.out)\n\(reader.out)\n\(fromFile.err)")
        // Bad input: one line, non-zero exit, no crash.
        try "book_id,rating\n1,5\n,4\n".write(toFile: list, atomically: true, encoding: .utf8)
        for (program, arguments, message) in [
            (Self.newReader!, [saved, "--list", list], "list.csv:3: \",4\" is not BOOK_ID"),
            (Self.newReader!, [saved, "1:high"], "is not a finite number"),
            (Self.newReader!, [ratings, "1"], ratings),
            (Self.newReader!, [saved], "give the books read"),
            (Self.bookRecommender!, ["--books", dir.appendingPathComponent("none.csv").path], "none.csv"),
            (Self.bookRecommender!, ["--books", books, "--ratings", books], "books.csv"),
        ] {
            let result = try ProgramRunner.run(program, arguments)
            #expect(result.status != 0 && result.err.contains(message), "\(arguments): \(result.err)")
            #expect(!result.err.contains("Fatal error") && result.err.split(separator: "\n").count <= 3, "\(result.err)")
        }
    }

    @Test("BookRecommender generates goodbooks-shaped ratings when no ratings file is given",
          .enabled(if: bookRecommender != nil, "the example binary is built next to the tests"))
    func generatedRatings() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let books = try Self.booksFile(in: dir, count: 10_000)
        let run = try ProgramRunner.run(Self.bookRecommender!, ["--books", books, "--scale", "0.02", "--epochs", "1", "--output", dir.path + "/out"])
        #expect(run.status == 0, "\(run.err)")
        #expect(run.out.contains("ratings, 1068 readers"), "\(run.out)")
        // The generation is seeded: at this scale (19,635 ratings over 5,864 of the books) book 1,
        // The Hunger Games, is not among the rated ones, and the program says so rather than
        // listing neighbours of an item it never trained.
        #expect(run.out.contains("No rated book's title starts with \"The Hunger Games\""), "\(run.out)")
        #expect(!run.out.contains("Books most similar to The Hunger Games"), "\(run.out)")
    }

    @Test("ModelComparison: a table of validation MSE per epoch for V1, V2 and Net",
          .enabled(if: modelComparison != nil, "the example binary is built next to the tests"))
    func comparisonTable() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticRatings.generate(.init(users: 200, items: 80, ratings: 5000, seed: 6))
        let udata = dir.appendingPathComponent("u.data").path
        let rows = (0..<data.count).map { r in
            "\(data.userIDs.integerRawIDs![Int(data.users[r])])\t\(data.itemIDs.integerRawIDs![Int(data.items[r])])\t\(Int(data.ratings[r]))\t0\n"
        }
        try rows.joined().write(toFile: udata, atomically: true, encoding: .utf8)
        let run = try ProgramRunner.run(Self.modelComparison!, [udata, "--epochs", "2"])
        #expect(run.status == 0, "\(run.err)")
        let table = run.out.split(separator: "\n").drop { !$0.hasPrefix("epoch") }
        #expect(table.first?.split(separator: " ") == ["epoch", "v1", "v2", "net"], "\(run.out)")
        #expect(table.dropFirst().prefix(2).map { $0.split(separator: " ").count } == [4, 4], "\(run.out)")
        #expect(run.out.contains("5000 ratings, 200 users, 80 items; 4500 training, 500 validation"), "\(run.out)")
        let bad = try ProgramRunner.run(Self.modelComparison!, [dir.appendingPathComponent("missing.dat").path])
        #expect(bad.status != 0 && bad.err.contains("missing.dat") && !bad.err.contains("Fatal error"), "\(bad.err)")
    }

    @Test("the examples on ../shared/data: ModelComparison on ml-100k, BookRecommender with the real books.csv",
          .enabled(if: modelComparison != nil && TestSupport.hasData("ml-100k/u.data") && TestSupport.hasData("goodbooks-10k/books.csv"),
                   "needs ../shared/data (ml-100k, goodbooks-10k/books.csv)"))
    func realData() throws {
        let comparison = try ProgramRunner.run(Self.modelComparison!, [TestSupport.dataPath("ml-100k/u.data"), "--epochs", "1"])
        #expect(comparison.status == 0 && comparison.out.contains("100000 ratings, 943 users, 1682 items"), "\(comparison.err)")
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let books = try ProgramRunner.run(Self.bookRecommender!, ["--books", TestSupport.dataPath("goodbooks-10k/books.csv"),
                                                                  "--scale", "0.02", "--epochs", "1", "--output", dir.path])
        #expect(books.status == 0 && books.out.contains("Five books for reader 314"), "\(books.out) \(books.err)")
        // Titles and authors from the real catalogue.
        let five = books.out.components(separatedBy: "Five books for reader 314")[1].split(separator: "\n").dropFirst().prefix(5)
        let catalogue = try ItemCatalog.loadGoodbooks(path: TestSupport.dataPath("goodbooks-10k/books.csv"))
        #expect(five.count == 5 && five.allSatisfy { line in catalogue.items.contains { line.hasSuffix("\($0.title) — \($0.authors ?? "")") } }, "\(books.out)")
    }
}
