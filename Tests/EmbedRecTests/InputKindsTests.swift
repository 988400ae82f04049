import Foundation
import Testing
@testable import EmbedRec

/// The kinds of input beyond a delimited file of ratings: files with no value column, columns a
/// person names, JSON lines, gzip — each loaded to the rows it holds, and each fault a one-line
/// error naming the file and the line.
@Suite("Ratings files: bare interactions, chosen columns, JSON lines, gzip")
struct InputKindsTests {
    static func detect(_ text: String, columns: RatingsFileFormat.ColumnChoices = .init()) throws -> RatingsFileFormat.Detection {
        try RatingsFileFormat.detect(firstBytes: Array(text.utf8), name: "f", columns: columns)
    }

    static func load(_ text: String, columns: RatingsFileFormat.ColumnChoices = .init()) throws -> RatingsDataset {
        try RatingsLoader.load(text: text, name: "f", format: try detect(text, columns: columns).format)
    }

    @Test("a file of user,item pairs holds interactions: every row weighs 1, with or without a header")
    func bareInteractions() throws {
        let headed = try Self.load("customer,product,note\nc1,p9,gift\nc2,p9,\nc1,p3,x\n")
        #expect(try Self.detect("customer,product\nc1,p9\n").format.values == .interactions)
        #expect(headed.sortedRawRows == [RawRow(user: "c1", item: "p3", rating: 1), RawRow(user: "c1", item: "p9", rating: 1),
                                         RawRow(user: "c2", item: "p9", rating: 1)])
        let bare = try Self.detect("7;12\n8;12\n")
        #expect(bare.format.values == .interactions && bare.format.columns == .byPosition(user: 0, item: 1, rating: nil, timestamp: nil, hasHeader: false))
        #expect(bare.summary.contains("each row is one interaction"), "\(bare.summary)")
        let loaded = try RatingsLoader.load(text: "7;12\n8;12\n8;13\n", format: bare.format)
        #expect(loaded.ratings == [1, 1, 1] && loaded.userIDs.integerRawIDs! == [7, 8])
        // A value column in a format that reads interactions is ignored, not parsed.
        var ignoring = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        ignoring.values = .interactions
        #expect(try RatingsLoader.load(text: "1,2,not a number\n", format: ignoring).ratings == [1])
        // Without a value column a format must say it holds interactions.
        var wrong = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: nil)
        wrong.values = .ratings
        #expect(throws: RatingsFileError.self) { _ = try RatingsLoader.load(text: "1,2\n", format: wrong) }
        #expect(RankingMetrics.defaultRelevanceThreshold(ratingScale: 1...1, values: .interactions) < 1, "every interaction is relevant")
    }

    @Test("a header whose names nobody guessed: columns chosen by name or position; a numeric column left unnamed is an error")
    func chosenColumns() throws {
        let text = "who,what,stars,when\nann,dune,4.5,1700000000\nbob,dune,3,1700000100\n"
        #expect(throws: RatingsFileError.self) { _ = try Self.detect(text) }
        let byName = try Self.load(text, columns: .init(user: .name("who"), item: .name("What"), value: .name("stars"), timestamp: .name("when")))
        #expect(byName.sortedRawRows == [RawRow(user: "ann", item: "dune", rating: 4.5, timestamp: 1_700_000_000),
                                         RawRow(user: "bob", item: "dune", rating: 3, timestamp: 1_700_000_100)])
        let byPosition = try Self.load(text, columns: .init(user: .position(0), item: .position(1), value: .position(2), timestamp: .position(3)))
        #expect(byPosition.sortedRawRows == byName.sortedRawRows)
        // The same column read as counts, or not at all.
        let counts = try Self.detect(text, columns: .init(user: .name("who"), item: .name("what"), value: .name("stars"), values: .counts))
        #expect(counts.format.values == .counts)
        let bare = try Self.load(text, columns: .init(user: .name("who"), item: .name("what"), values: .interactions))
        #expect(bare.ratings == [1, 1])
        // What cannot be: a name not in the header, a position past it, one column in two roles.
        for choices in [RatingsFileFormat.ColumnChoices(user: .name("whom"), item: .name("what")),
                        .init(user: .position(9), item: .name("what")), .init(user: .name("who"), item: .name("who"))] {
            let error = #expect(throws: RatingsFileError.self, "\(choices)") { _ = try Self.detect(text, columns: choices) }
            #expect(error?.line == 1, "\(String(describing: error))")
        }
        // A headerless file takes positions; a name there cannot be found.
        let headless = try Self.load("5,x,u1\n6,y,u2\n", columns: .init(user: .position(2), item: .position(1), value: .position(0)))
        #expect(headless.sortedRawRows == [RawRow(user: "u1", item: "x", rating: 5), RawRow(user: "u2", item: "y", rating: 6)])
        // Only the IDs chosen: the value is the first column they leave free.
        let idsOnly = try Self.detect("5,x,u1\n6,y,u2\n", columns: .init(user: .position(2), item: .position(1)))
        #expect(idsOnly.format.columns == .byPosition(user: 2, item: 1, rating: 0, timestamp: nil, hasHeader: false), "\(idsOnly)")
        // A header is data when the next line has text in the same places: ISBNs and dates, not names.
        let dated = try Self.detect("u1,i1,2020-01-01\nu2,i1,2020-01-02\n")
        #expect(dated.format.columns == .byPosition(user: 0, item: 1, rating: 2, timestamp: nil, hasHeader: false))
    }

    @Test("JSON lines: integer and string IDs, values as numbers or numeric strings, timestamps, other fields ignored")
    func jsonLines() throws {
        let text = """
            {"reviewerID": "A2SUAM1J3GNN3B", "asin": "0000013714", "overall": 5.0, "unixReviewTime": 1393545600, "summary": "ok"}
            {"reviewerID": "A14VAT5EAX3D9S", "asin": 13714, "overall": "4", "unixReviewTime": 1363392000}

            {"reviewerID": "A2SUAM1J3GNN3B", "asin": "B00004Y2UT", "overall": 3, "unixReviewTime": 1377648000}\r

            """
        let detection = try Self.detect(text, columns: .init(user: .name("reviewerID"), value: .name("overall"), timestamp: .name("unixReviewTime")))
        #expect(detection.format.columns == .jsonFields(user: "reviewerID", item: "asin", value: "overall", timestamp: "unixReviewTime"))
        #expect(detection.summary.hasPrefix("JSON lines"), "\(detection.summary)")
        let data = try RatingsLoader.load(text: text, name: "f", format: detection.format)
        // The item column mixes a JSON integer and strings: text, the integer by its spelling
        // (so "0000013714" and 13714 stay two items, as the file has them).
        #expect(data.itemIDs.holdsText && data.itemCount == 3)
        #expect(data.sortedRawRows == [RawRow(user: "A14VAT5EAX3D9S", item: .text("13714"), rating: 4, timestamp: 1_363_392_000),
                                       RawRow(user: "A2SUAM1J3GNN3B", item: "0000013714", rating: 5, timestamp: 1_393_545_600),
                                       RawRow(user: "A2SUAM1J3GNN3B", item: "B00004Y2UT", rating: 3, timestamp: 1_377_648_000)])
        // Integer IDs stay integers; the usual names are found without choices.
        let plain = try Self.load("{\"user_id\": 3, \"movieId\": 10, \"rating\": 4.5}\n{\"user_id\": 1, \"movieId\": 10, \"rating\": 2}\n")
        #expect(plain.userIDs.integerRawIDs! == [1, 3] && plain.ratings == [4.5, 2])
        // No value field: interactions.
        let bare = try Self.load("{\"user\": \"a\", \"item\": \"x\"}\n{\"user\": \"b\", \"item\": \"x\"}\n")
        #expect(bare.ratings == [1, 1])
    }

    @Test("JSON lines: a fault names its line")
    func jsonLinesFaults() throws {
        let format = RatingsFileFormat.jsonLines(userField: "u", itemField: "i", valueField: "r", timestampField: nil)
        let cases: [(String, Int, String)] = [
            ("{\"u\": 1, \"i\": 2, \"r\": 3}\n{\"u\": 1, \"r\": 3}\n", 2, "no field 'i'"),
            ("{\"u\": 1, \"i\": 2, \"r\": 3}\n\n{\"u\": 1, \"i\": 2, \"r\": \"high\"}\n", 3, "field 'r' is not a number"),
            ("{\"u\": 1.5, \"i\": 2, \"r\": 3}\n", 1, "field 'u' is not an ID"),
            ("{\"u\": \"\", \"i\": 2, \"r\": 3}\n", 1, "field 'u' is not an ID"),
            ("{\"u\": 1, \"i\": 2, \"r\": 3}\n{\"u\": 1, \"i\": 2, \"r\": 3\n", 2, "not a JSON object on one line"),
        ]
        for (text, line, words) in cases {
            let error = captureFileError { _ = try RatingsLoader.load(text: text, name: "f", format: format) }
            #expect(error?.line == line && "\(error.map { "\($0)" } ?? "")".contains(words), "\(String(describing: error))")
        }
        var scaled = format
        scaled.ratingScale = 1...5
        expectFileError(file: "f", line: 1, kind: .ratingOutsideScale(text: "7", scale: 1...5)) {
            _ = try RatingsLoader.load(text: "{\"u\": 1, \"i\": 2, \"r\": 7}\n", name: "f", format: scaled)
        }
        #expect(throws: RatingsFileError.self) { _ = try Self.detect("{\"u\": 1}\n", columns: .init(user: .position(0))) }
    }

    /// `user,item,rating\n1,2,5\n` gzip-compressed (Python's gzip, mtime 0), and `3,4,1\n`: a
    /// known answer that does not depend on a gzip on the machine.
    static let firstMember: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 43, 45, 78, 45, 210, 201, 44, 73, 205, 213, 41, 74, 44, 201, 204, 75,
                                       231, 50, 212, 49, 210, 49, 229, 2, 0, 17, 64, 37, 0, 23, 0, 0, 0]
    static let secondMember: [UInt8] = [31, 139, 8, 0, 0, 0, 0, 0, 2, 255, 51, 214, 49, 209, 49, 228, 2, 0, 123, 40, 139, 95, 6, 0, 0, 0]

    @Test("gzip: inflated by its magic bytes whatever the name, several members in a row; a cut or corrupt stream is refused")
    func gzip() throws {
        #expect(try Gzip.inflate(Self.firstMember, limit: 1 << 20) == Array("user,item,rating\n1,2,5\n".utf8))
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ratings.bin").path
        try Data(Self.firstMember + Self.secondMember).write(to: URL(fileURLWithPath: path))
        let detection = try RatingsFileFormat.detect(path: path)
        let data = try RatingsLoader.load(path: path, format: detection.format)
        #expect(data.sortedRawRows == [RawRow(user: 1, item: 2, rating: 5), RawRow(user: 3, item: 4, rating: 1)])
        // The limit stops an inflation that would not fit; a prefix inflates as far as it goes.
        #expect(throws: Gzip.Failure.self) { _ = try Gzip.inflate(Self.firstMember, limit: 10) }
        #expect(try Gzip.inflate(Array(Self.firstMember.prefix(20)), limit: 4_096, truncated: true).count < 23)
        for (bytes, words) in [(Array(Self.firstMember.dropLast(6)), "cut short"), (Self.firstMember.enumerated().map { $0.offset == 14 ? 0xFF : $0.element }, "not a valid gzip stream")] {
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            let error = #expect(throws: FileError.self) { _ = try RatingsLoader.load(path: path, format: detection.format) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(words) && "\(error.map { "\($0)" } ?? "")".contains(path), "\(String(describing: error))")
        }
    }

    @Test("gzip: a large file inflates to the very rows of the plain file",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/bin/gzip"), "needs /bin/gzip to compress"))
    func gzipLarge() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticRatings.generate(.init(users: 3_000, items: 800, ratings: 120_000, seed: 4))
        let plain = dir.appendingPathComponent("r.csv").path
        try RatingsWriter.writeCSV(data, to: plain, header: ["user_id", "book_id", "rating"], columns: [.user, .item, .rating])
        let gzip = Process()
        gzip.executableURL = URL(fileURLWithPath: "/bin/gzip")
        gzip.arguments = ["-k", plain]
        try gzip.run(); gzip.waitUntilExit()
        let loaded = try RatingsLoader.load(path: plain + ".gz", format: try RatingsFileFormat.detect(path: plain + ".gz").format)
        #expect(loaded.sortedRawRows == (try RatingsLoader.load(path: plain, format: .goodbooks)).sortedRawRows)
    }
}
