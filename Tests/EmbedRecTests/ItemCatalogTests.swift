import Foundation
import Testing
@testable import EmbedRec

/// The header of goodbooks-10k `books.csv` (later release, `book_id` first).
private let goodbooksHeader = "book_id,goodreads_book_id,best_book_id,work_id,books_count,isbn,isbn13,authors,original_publication_year,original_title,title,language_code,average_rating,ratings_count,work_ratings_count,work_text_reviews_count,ratings_1,ratings_2,ratings_3,ratings_4,ratings_5,image_url,small_image_url"

/// A goodbooks row with the fields this loader reads; the rest are filler.
private func goodbooksRow(_ id: String, authors: String, year: String, originalTitle: String = "", title: String, image: String) -> String {
    "\(id),1,1,1,1,1,1,\(authors),\(year),\(originalTitle),\(title),eng,4.0,1,1,1,1,1,1,1,1,\(image),s.jpg"
}

@Suite("ItemCatalog")
struct ItemCatalogTests {
    // MARK: goodbooks

    @Test("goodbooks books.csv: quoted titles with commas, quotes and newlines")
    func goodbooks() throws {
        let text = [
            goodbooksHeader,
            goodbooksRow("3", authors: "\"J.K. Rowling, Mary GrandPré\"", year: "1997.0",
                         title: "\"Harry Potter and the Sorcerer's Stone (Harry Potter, #1)\"", image: "https://x/3.jpg"),
            goodbooksRow("1", authors: "Suzanne Collins", year: "2008.0", originalTitle: "The Hunger Games",
                         title: "\"The Hunger Games (The Hunger Games, #1)\"", image: "https://x/1.jpg"),
            goodbooksRow("221", authors: "Dave Pelzer", year: "1995.0",
                         title: "\"A Child Called \"\"It\"\" (Dave Pelzer #1)\"", image: "https://x/221.jpg"),
            goodbooksRow("79", authors: "Homer", year: "-720.0", originalTitle: "\"Ὀδύσσεια\"",
                         title: "\"The Odyssey,\nin two lines\"", image: ""),
            goodbooksRow("5", authors: "  Anonymous ", year: "", originalTitle: "Fallback Title", title: "", image: "https://x/5.jpg"),
        ].joined(separator: "\n") + "\n"
        let catalog = try ItemCatalog.loadGoodbooks(text: text, name: "books.csv")
        #expect(catalog.count == 5)
        #expect(catalog.items.map(\.rawID) == [1, 3, 5, 79, 221])
        #expect(catalog[rawID: 1] == ItemMetadata(
            rawID: 1, title: "The Hunger Games (The Hunger Games, #1)", authors: "Suzanne Collins",
            year: 2008, genres: [], imageURL: "https://x/1.jpg"))
        #expect(catalog[rawID: 3]?.authors == "J.K. Rowling, Mary GrandPré")
        #expect(catalog[rawID: 3]?.title == "Harry Potter and the Sorcerer's Stone (Harry Potter, #1)")
        #expect(catalog.title(for: 221) == "A Child Called \"It\" (Dave Pelzer #1)")
        #expect(catalog[rawID: 79]?.title == "The Odyssey,\nin two lines")
        #expect(catalog[rawID: 79]?.year == -720)
        #expect(catalog[rawID: 79]?.imageURL == nil)
        #expect(catalog[rawID: 5]?.title == "Fallback Title")
        #expect(catalog[rawID: 5]?.year == nil)
        #expect(catalog[rawID: 5]?.authors == "Anonymous")
        #expect(catalog[rawID: 2] == nil)
        #expect(catalog.title(for: 2) == nil)
    }

    @Test("goodbooks original header: the id column wins over book_id (a Goodreads ID there)")
    func goodbooksOriginalHeader() throws {
        let text = """
            id,book_id,best_book_id,work_id,authors,original_publication_year,title,image_url
            1,2767052,2767052,2792775,Suzanne Collins,2008.0,"The Hunger Games (The Hunger Games, #1)",https://x/1.jpg
            2,3,3,4640799,"J.K. Rowling, Mary GrandPré",1997.0,Harry Potter,https://x/3.jpg
            """
        let catalog = try ItemCatalog.loadGoodbooks(text: text)
        #expect(catalog.items.map(\.rawID) == [1, 2])
        #expect(catalog.title(for: 1) == "The Hunger Games (The Hunger Games, #1)")
        #expect(catalog[rawID: 3] == nil)
        // Only the required columns.
        let minimal = try ItemCatalog.loadGoodbooks(text: "Title,Book_ID\nA,1\n\"B, b\",2\n")
        #expect(minimal[rawID: 2] == ItemMetadata(rawID: 2, title: "B, b"))
    }

    @Test("RFC 4180 details: BOM, CRLF, blank lines, no final newline, empty last field, CRLF inside quotes")
    func rfc4180() throws {
        let lf = "id,title,authors,image_url\n1,\"x, y\",A,\n\n2,\"\",B,u\n3,\"multi\nline\",C,\n"
        let crlf = "\u{FEFF}id,title,authors,image_url\r\n1,\"x, y\",A,\r\n\r\n\r\n2,\"\",B,u\r\n3,\"multi\nline\",C,"
        let a = try ItemCatalog.loadGoodbooks(text: lf), b = try ItemCatalog.loadGoodbooks(text: crlf)
        #expect(a.items == b.items)
        #expect(a.items.map(\.title) == ["x, y", "", "multi\nline"])
        #expect(a.items.map(\.imageURL) == [nil, "u", nil])
        // CR LF inside a quoted field is data.
        let inside = try ItemCatalog.loadGoodbooks(text: "id,title\r\n7,\"a\r\nb\"\r\n")
        #expect(inside.title(for: 7) == "a\r\nb")
        // Spaces after a closing quote are tolerated; a quote inside an unquoted field is data.
        let lenient = try ItemCatalog.loadGoodbooks(text: "id,title\n1,\"quoted\"  \n2,say \"hi\"\n")
        #expect(lenient.items.map(\.title) == ["quoted", "say \"hi\""])
        // A separator followed by a combining mark is still a separator (bytes, not graphemes).
        let combining = try ItemCatalog.loadGoodbooks(text: "id,title\n1,\u{301}x\n")
        #expect(combining.title(for: 1) == "\u{301}x")
        // Invalid UTF-8 is an error naming the line (it used to decode with replacement
        // characters, so a Latin-1 file loaded with its accents silently lost).
        #expect(throws: RatingsFileError.self) {
            _ = try ItemCatalog.loadGoodbooks(bytes: Array("id,title\n1,a".utf8) + [0xFF, 0xFE] + Array("b\n".utf8))
        }
    }

    @Test("goodbooks errors name file, line and kind")
    func goodbooksErrors() throws {
        let load = { (text: String) in _ = try ItemCatalog.loadGoodbooks(text: text, name: "books.csv") }
        expectFileError(file: "books.csv", line: 0, kind: .emptyFile) { try load("") }
        expectFileError(file: "books.csv", line: 0, kind: .emptyFile) { try load("\u{FEFF}\r\n\n") }
        expectFileError(file: "books.csv", line: 0, kind: .headerOnly) { try load("id,title\n") }
        // Item IDs may be text (ISBNs): found by their spelling.
        #expect(try ItemCatalog.loadGoodbooks(text: "id,title\n1,A\nabc,B\n")[rawID: "abc"]?.title == "B")
        #expect(try ItemCatalog.loadGoodbooks(text: "title,id\nA,1.5\n")[rawID: "1.5"]?.title == "A")
        expectFileError(file: "books.csv", line: 2, kind: .invalidFormat("column 1: an empty item ID")) { try load("id,title\n,A\n") }
        expectFileError(file: "books.csv", line: 4, kind: .invalidFormat("duplicate item id 1 (first on line 2)")) {
            try load("id,title\n1,A\n2,B\n1,C\n")
        }
        expectFileError(file: "books.csv", line: 3, kind: .wrongColumnCount(expected: 2, found: 3)) {
            try load("id,title\n1,A\n2,B,extra\n")
        }
        expectFileError(file: "books.csv", line: 2, kind: .wrongColumnCount(expected: 3, found: 2)) {
            try load("id,title,authors\n1,\"A, B\"\n")
        }
        expectFileError(file: "books.csv", line: 2, kind: .notANumber(column: 2, text: "soon")) {
            try load("id,title,original_publication_year\n1,A,soon\n")
        }
        expectFileError(file: "books.csv", line: 2, kind: .notANumber(column: 2, text: "nan")) {
            try load("id,title,original_publication_year\n1,A,nan\n")
        }
        // A multi-line quoted field moves the line count on.
        expectFileError(file: "books.csv", line: 5, kind: .invalidFormat("column 1: an empty item ID")) {
            try load("id,title\n1,\"one\ntwo\nthree\"\n,B\n")
        }
        let fractional = captureFileError { try load("id,title,original_publication_year\n1,A,2008.5\n") }
        #expect(fractional?.line == 2)
        if case .invalidFormat? = fractional?.kind {} else { Issue.record("expected invalidFormat, got \(String(describing: fractional))") }
    }

    @Test("broken quoting is an error at the right line")
    func quotingErrors() {
        let unterminated = captureFileError {
            _ = try ItemCatalog.loadGoodbooks(text: "id,title\n1,A\n2,\"never closed\n3,C\n", name: "b.csv")
        }
        #expect(unterminated?.line == 3)
        if case .invalidFormat(let why)? = unterminated?.kind { #expect(why.contains("not closed")) } else {
            Issue.record("expected invalidFormat, got \(String(describing: unterminated))")
        }
        let trailing = captureFileError {
            _ = try ItemCatalog.loadGoodbooks(text: "id,title\n1,\"A\"B\n", name: "b.csv")
        }
        #expect(trailing?.line == 2)
        if case .invalidFormat? = trailing?.kind {} else { Issue.record("expected invalidFormat, got \(String(describing: trailing))") }
    }

    @Test("missing or repeated header columns")
    func headerErrors() {
        for text in ["id,name\n1,A\n", "book,title\n1,A\n", "goodreads_book_id,title\n1,A\n"] {
            let error = captureFileError { _ = try ItemCatalog.loadGoodbooks(text: text, name: "h.csv") }
            #expect(error?.file == "h.csv")
            #expect(error?.line == 1)
            if case .unknownHeader? = error?.kind {} else { Issue.record("expected unknownHeader for \(text.debugDescription), got \(String(describing: error))") }
        }
        let twice = captureFileError { _ = try ItemCatalog.loadGoodbooks(text: "id,title,title\n1,A,B\n", name: "h.csv") }
        if case .unknownHeader(let why)? = twice?.kind { #expect(why.contains("title")) } else {
            Issue.record("expected unknownHeader, got \(String(describing: twice))")
        }
        let movies = captureFileError { _ = try ItemCatalog.loadMovieLensCSV(text: "\n\nmovie,title\n1,A\n", name: "m.csv") }
        #expect(movies?.line == 3)
        #expect(movies?.description.hasPrefix("m.csv:3: unknown header") == true)
    }

    // MARK: MovieLens movies.csv

    @Test("MovieLens movies.csv: genres, years from titles, quoted titles")
    func movieLensCSV() throws {
        let text = """
            movieId,title,genres
            1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy
            11,"American President, The (1995)",Comedy|Drama|Romance
            193609,Andrew Dice Clay: Dice Rules (1991),Comedy
            176601,Black Mirror,(no genres listed)
            140956,"Ready Player One",Action|Sci-Fi
            171749,Death Note: Desu nôto (2006–2007),(no genres listed)
            26,"Othello (1995) ",Drama
            5,"Film (with parens) (20 01)",Drama
            """
        let catalog = try ItemCatalog.loadMovieLensCSV(text: text, name: "movies.csv")
        #expect(catalog.count == 8)
        #expect(catalog[rawID: 1] == ItemMetadata(
            rawID: 1, title: "Toy Story (1995)", year: 1995,
            genres: ["Adventure", "Animation", "Children", "Comedy", "Fantasy"]))
        #expect(catalog[rawID: 11]?.title == "American President, The (1995)")
        #expect(catalog[rawID: 11]?.genres == ["Comedy", "Drama", "Romance"])
        #expect(catalog[rawID: 193_609]?.year == 1991)
        #expect(catalog[rawID: 176_601]?.year == nil)
        #expect(catalog[rawID: 176_601]?.genres == [])
        #expect(catalog[rawID: 140_956]?.year == nil)
        #expect(catalog[rawID: 171_749]?.year == 2006)
        #expect(catalog[rawID: 26]?.title == "Othello (1995)")
        #expect(catalog[rawID: 26]?.year == 1995)
        #expect(catalog[rawID: 5]?.year == nil)
        #expect(catalog.items.allSatisfy { $0.authors == nil && $0.imageURL == nil })
        // Without a genres column.
        let bare = try ItemCatalog.loadMovieLensCSV(text: "movie_id,title\n3,Heat (1995)\n")
        #expect(bare[rawID: 3] == ItemMetadata(rawID: 3, title: "Heat (1995)", year: 1995))
        expectFileError(file: "m.csv", line: 3, kind: .invalidFormat("duplicate item id 1 (first on line 2)")) {
            _ = try ItemCatalog.loadMovieLensCSV(text: "movieId,title,genres\n1,A,B\n1,C,D\n", name: "m.csv")
        }
    }

    // MARK: MovieLens 100K u.item

    static func uItemLine(_ id: String, _ title: [UInt8], date: String, flags: [Int]) -> [UInt8] {
        var flagText = [Int](repeating: 0, count: 19)
        for f in flags { flagText[f] = 1 }
        return Array("\(id)|".utf8) + title + Array("|\(date)||http://us.imdb.com/x|".utf8)
            + Array(flagText.map(String.init).joined(separator: "|").utf8)
    }

    @Test("u.item: Latin-1 titles, genre flags, years")
    func uItem() throws {
        var bytes: [UInt8] = []
        bytes += Self.uItemLine("1", Array("Toy Story (1995)".utf8), date: "01-Jan-1995", flags: [3, 4, 5]) + [10]
        // "Misérables, Les (1995)" with é as the single Latin-1 byte 0xE9.
        bytes += Self.uItemLine("543", Array("Mis".utf8) + [0xE9] + Array("rables, Les (1995)".utf8), date: "01-Jan-1995", flags: [8, 14]) + [13, 10]
        bytes += Self.uItemLine("267", Array("unknown".utf8), date: "", flags: [0]) + [10, 10]
        bytes += Self.uItemLine("1300", Array("No Year In Title".utf8), date: "27-Jun-1997", flags: [18])  // no final newline
        let catalog = try ItemCatalog.loadMovieLens100KItems(bytes: bytes, name: "u.item")
        #expect(catalog.count == 4)
        #expect(catalog[rawID: 1] == ItemMetadata(rawID: 1, title: "Toy Story (1995)", year: 1995,
                                                   genres: ["Animation", "Children's", "Comedy"]))
        #expect(catalog.title(for: 543) == "Misérables, Les (1995)")
        #expect(catalog[rawID: 543]?.genres == ["Drama", "Romance"])
        #expect(catalog[rawID: 267] == ItemMetadata(rawID: 267, title: "unknown", year: nil, genres: ["unknown"]))
        #expect(catalog[rawID: 1300]?.year == 1997)
        #expect(catalog[rawID: 1300]?.genres == ["Western"])
        #expect(catalog.items.allSatisfy { $0.imageURL == nil && $0.authors == nil })

        // The same content already decoded, through the text variant.
        let utf8Text = "1|Toy Story (1995)|01-Jan-1995||u|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n543|Misérables, Les (1995)|01-Jan-1995||u|0|0|0|0|0|0|0|0|1|0|0|0|0|0|1|0|0|0|0\n"
        let fromText = try ItemCatalog.loadMovieLens100KItems(text: utf8Text)
        #expect(fromText[rawID: 1] == catalog[rawID: 1])
        #expect(fromText[rawID: 543] == catalog[rawID: 543])
        // A UTF-8 byte-order mark switches the byte decoder to UTF-8.
        let bom = try ItemCatalog.loadMovieLens100KItems(bytes: [0xEF, 0xBB, 0xBF] + Array(utf8Text.utf8))
        #expect(bom.title(for: 543) == "Misérables, Les (1995)")
        // Custom genre lists change the expected width.
        let two = try ItemCatalog.loadMovieLens100KItems(text: "9|T (2000)|||u|1|1\n", genreNames: ["A", "B"])
        #expect(two[rawID: 9]?.genres == ["A", "B"])
    }

    @Test("u.item errors")
    func uItemErrors() {
        expectFileError(file: "u.item", line: 2, kind: .wrongColumnCount(expected: 24, found: 23)) {
            let good = Self.uItemLine("1", Array("A".utf8), date: "", flags: [])
            let short = Array(Self.uItemLine("2", Array("B".utf8), date: "", flags: []).dropLast(2))
            _ = try ItemCatalog.loadMovieLens100KItems(bytes: good + [10] + short, name: "u.item")
        }
        expectFileError(file: "u.item", line: 1, kind: .invalidFormat("column 1: an empty item ID")) {
            _ = try ItemCatalog.loadMovieLens100KItems(bytes: Self.uItemLine(" ", Array("A".utf8), date: "", flags: []), name: "u.item")
        }
        let flag = captureFileError {
            var line = Self.uItemLine("1", Array("A".utf8), date: "", flags: [])
            line[line.count - 1] = UInt8(ascii: "2")
            _ = try ItemCatalog.loadMovieLens100KItems(bytes: line, name: "u.item")
        }
        #expect(flag?.line == 1)
        if case .invalidFormat(let why)? = flag?.kind { #expect(why.contains("Western")) } else {
            Issue.record("expected invalidFormat, got \(String(describing: flag))")
        }
        expectFileError(file: "u.item", line: 0, kind: .emptyFile) {
            _ = try ItemCatalog.loadMovieLens100KItems(bytes: Array("\n \n".utf8), name: "u.item")
        }
        expectFileError(file: "u.item", line: 3, kind: .invalidFormat("duplicate item id 1 (first on line 1)")) {
            let line = Self.uItemLine("1", Array("A".utf8), date: "", flags: [])
            _ = try ItemCatalog.loadMovieLens100KItems(bytes: line + [10, 10] + line, name: "u.item")
        }
    }

    // MARK: Catalogue API

    @Test("lookups by dense index through an IDMap")
    func denseLookup() throws {
        let catalog = try ItemCatalog(items: [
            ItemMetadata(rawID: 193_609, title: "Last"),
            ItemMetadata(rawID: 1, title: "First"),
            ItemMetadata(rawID: 50, title: "Middle"),
        ])
        #expect(catalog.items.map(\.rawID) == [1, 50, 193_609])
        #expect(catalog.count == 3 && !catalog.isEmpty)
        let data = try RatingsLoader.load(
            text: "userId,movieId,rating\n1,193609,4\n1,50,3\n2,7,5\n", format: .movieLensCSV)
        // Dense items: 0 → 7, 1 → 50, 2 → 193609.
        #expect(catalog.metadata(for: 0, in: data.itemIDs) == nil)  // 7 is not catalogued
        #expect(catalog.metadata(for: 1, in: data.itemIDs)?.title == "Middle")
        #expect(catalog.metadata(for: 2, in: data.itemIDs)?.title == "Last")
        #expect(catalog.metadata(for: 3, in: data.itemIDs) == nil)
        #expect(catalog.metadata(for: -1, in: data.itemIDs) == nil)
        #expect(catalog.metadata(for: ItemIndex(.max), in: data.itemIDs) == nil)
        #expect(throws: DatasetError.self) {
            try ItemCatalog(items: [ItemMetadata(rawID: 1, title: "a"), ItemMetadata(rawID: 1, title: "b")])
        }
        #expect(try ItemCatalog(items: []).isEmpty)
    }

    @Test("loading from paths")
    func paths() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let books = dir.appendingPathComponent("books.csv")
        try Data("id,title\n1,\"A, b\"\n".utf8).write(to: books)
        #expect(try ItemCatalog.loadGoodbooks(path: books.path).title(for: 1) == "A, b")
        let movies = dir.appendingPathComponent("movies.csv")
        try Data("movieId,title,genres\n2,B (1999),Drama\n".utf8).write(to: movies)
        #expect(try ItemCatalog.loadMovieLensCSV(path: movies.path)[rawID: 2]?.year == 1999)
        let items = dir.appendingPathComponent("u.item")
        try Data(Self.uItemLine("3", [0x43, 0xE9], date: "", flags: [1])).write(to: items)
        #expect(try ItemCatalog.loadMovieLens100KItems(path: items.path).title(for: 3) == "Cé")
        let missing = dir.appendingPathComponent("none.csv").path
        #expect(throws: FileError.cannotRead(path: missing, reason: "No such file or directory")) { _ = try ItemCatalog.loadGoodbooks(path: missing) }
        expectFileError(file: books.path, line: 2, kind: .invalidFormat("column 1: an empty item ID")) {
            try Data("id,title\n,A\n".utf8).write(to: books)
            _ = try ItemCatalog.loadGoodbooks(path: books.path)
        }
    }

    @Test("random garbage never traps the catalogue loaders")
    func garbage() {
        let alphabet: [UInt8] = Array("0123456789,|\"\n\r .-eid title movieId genres ()".utf8) + [0xEF, 0xBB, 0xBF, 0xE9, 0x00, 0xCC, 0x81]
        var rng = SeededGenerator(seed: 99)
        var parsed = 0, thrown = 0
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Well-formed records (CSV or u.item shaped), then a few random byte changes.
                var text = ""
                for _ in 0..<rng.nextInt(below: 5) {
                    let id = rng.nextInt(below: 50)
                    text += rng.nextInt(below: 2) == 0
                        ? "\(id),\"T, \"\"\(id)\"\" (19\(rng.nextInt(below: 100)))\",G|H\r\n"
                        : "\(id)|T \(id)|01-Jan-1995||u|\(rng.nextInt(below: 2))\n"
                }
                bytes = Array(text.utf8)
                for _ in 0..<rng.nextInt(below: 3) where !bytes.isEmpty {
                    bytes[rng.nextInt(below: bytes.count)] = alphabet[rng.nextInt(below: alphabet.count)]
                }
            } else {
                bytes = (0..<rng.nextInt(below: 150)).map { _ in
                    rng.nextInt(below: 10) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[rng.nextInt(below: alphabet.count)]
                }
            }
            switch round % 4 {
            case 0: bytes = Array("id,title,genres\n".utf8) + bytes
            case 1: bytes = Array("movieId,title,genres\n".utf8) + bytes
            default: break
            }
            let loaders: [([UInt8]) throws -> ItemCatalog] = [
                { try ItemCatalog.loadGoodbooks(bytes: $0, name: "g") },
                { try ItemCatalog.loadMovieLensCSV(bytes: $0, name: "g") },
                { try ItemCatalog.loadMovieLens100KItems(bytes: $0, name: "g", genreNames: ["A"]) },
            ]
            for load in loaders {
                do {
                    let catalog = try load(bytes)
                    parsed += 1
                    #expect(catalog.items.map(\.rawID) == catalog.items.map(\.rawID).sorted())
                    #expect(Set(catalog.items.map(\.rawID)).count == catalog.count)
                } catch let error as RatingsFileError {
                    thrown += 1
                    #expect(error.file == "g")
                    #expect(error.line >= 0 && error.line <= bytes.filter { $0 == 10 }.count + 1)
                } catch {
                    Issue.record("unexpected error type: \(error)")
                }
            }
        }
        #expect(parsed > 0 && thrown > 0)
    }
}

