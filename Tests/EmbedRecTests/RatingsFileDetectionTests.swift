import Foundation
import Testing
@testable import EmbedRec

/// `RatingsFileFormat.detect`: what it decides from a file's first line, on the layouts of the
/// datasets in ../shared/data and of files nobody shipped with the project.
@Suite("Ratings files: format detection")
struct RatingsFileDetectionTests {
    static func detect(_ text: String) throws -> RatingsFileFormat.Detection {
        try RatingsFileFormat.detect(firstBytes: Array(text.utf8), name: "f")
    }

    @Test("separators, headers and scales of the known layouts")
    func knownLayouts() throws {
        let cases: [(String, String, RatingsFileFormat.Columns, ClosedRange<Float>?)] = [
            ("userId,movieId,rating,timestamp\r\n1,31,2.5,1260759144\n", ",", .byHeaderNames, 0.5...5),   // ml-latest
            ("book_id,user_id,rating\n1,314,5\n", ",", .byHeaderNames, 1...5),                              // goodbooks
            ("user,item,rating\n1,1,5\n", ",", .byHeaderNames, nil),                                         // ../shared ml-1m
            ("196\t242\t3\t881250949\n", "\t", .byPosition(user: 0, item: 1, rating: 2, timestamp: 3, hasHeader: false), 1...5),  // u.data
            ("1::1193::5::978300760\n", "::", .byPosition(user: 0, item: 1, rating: 2, timestamp: 3, hasHeader: false), 0.5...5),  // ratings.dat
            ("7;12;3.25\n", ";", .byPosition(user: 0, item: 1, rating: 2, timestamp: nil, hasHeader: false), nil),
        ]
        for (text, separator, columns, scale) in cases {
            let d = try Self.detect(text)
            #expect(d.format.separator == separator && d.format.columns == columns && d.format.ratingScale == scale, "\(text): \(d)")
            #expect(d.format.values == .ratings)
        }
        #expect(try Self.detect("\u{FEFF}\n\nuser_id,item_id,rating\n").format.columns == .byHeaderNames, "a BOM and blank lines go first")
    }

    @Test("header names are compared normalized: User-ID, userId and user_id are one name")
    func normalizedNames() throws {
        #expect(RatingsFileFormat.normalizedColumnName("\"User-ID\"") == "userid")
        #expect(RatingsFileFormat.normalizedColumnName("Book-Rating") == "bookrating")
        #expect(RatingsFileFormat.normalizedColumnName("user_id") == "userid")
        let crossing = try Self.detect("\"User-ID\";\"ISBN\";\"Book-Rating\"\n")
        #expect(crossing.format.separator == ";" && crossing.format.values == .ratings && crossing.format.ratingScale == nil)
        #expect(crossing.summary == "semicolon-separated, header User-ID, ISBN, Book-Rating; ratings in 'Book-Rating'; rating scale from the data")
    }

    @Test("a count column makes the values counts: implicit feedback")
    func counts() throws {
        let lastfm = try Self.detect("userID\tartistID\tweight\r\n2\t51\t13883\r\n")
        #expect(lastfm.format.values == .counts && lastfm.format.ratingScale == nil && lastfm.format.columns == .byHeaderNames)
        #expect(lastfm.summary == "tab-separated, header userID, artistID, weight; counts in 'weight' (implicit feedback: for top-N models, not ratings)")
        // A rating column wins over a count column.
        #expect(try Self.detect("user,item,rating,count\n").format.values == .ratings)
    }

    @Test("what it cannot tell is an error naming the file and the line")
    func refusals() throws {
        for (text, words) in [("", "empty"), ("\n\r\n", "empty"), ("1 2 3\n", "separator"),
                              ("user,item,stars_given\n1,2,5\n", "(--rating-column stars_given, --count-column stars_given)"),
                              ("who,what,stars\n1,2,3\n", "no user column"), ("{\"user\": 1\n", "not a JSON object")] {
            let error = #expect(throws: RatingsFileError.self, "\(text.debugDescription)") { try Self.detect(text) }
            #expect(error?.file == "f" && "\(error.map { "\($0)" } ?? "")".contains(words), "\(String(describing: error))")
        }
    }

    @Test("a detected file loads: counts by their header name, any header spelling")
    func loads() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("plays.tsv").path
        try "userID\tartistID\tweight\r\n2\t51\t13883\r\n2\t52\t11690\r\n3\t51\t7\r\n".write(toFile: path, atomically: true, encoding: .utf8)
        let detection = try RatingsFileFormat.detect(path: path)
        let data = try RatingsLoader.load(path: path, format: detection.format)
        #expect(data.count == 3 && data.userIDs.integerRawIDs! == [2, 3] && data.itemIDs.integerRawIDs! == [51, 52])
        #expect(data.ratings == [13883, 11690, 7])
        // The same header read as ratings has no rating column.
        #expect(throws: RatingsFileError.self) { _ = try RatingsLoader.load(path: path, format: .init(separator: "\t", columns: .byHeaderNames)) }
        #expect(throws: FileError.self) { _ = try RatingsFileFormat.detect(path: dir.path) }
    }

    @Test("the shared datasets' files are detected as they are", .enabled(if: TestSupport.hasData("lastfm-2k/user_artists.dat"), "needs ../shared/data"))
    func sharedFiles() throws {
        let lastfm = try RatingsFileFormat.detect(path: TestSupport.dataPath("lastfm-2k/user_artists.dat"))
        #expect(lastfm.format.values == .counts)
        let data = try RatingsLoader.load(path: TestSupport.dataPath("lastfm-2k/user_artists.dat"), format: lastfm.format)
        #expect(data.count == 92_834 && data.userCount == 1_892 && data.itemCount == 17_632, "the data README's counts")
        let ml100k = try RatingsFileFormat.detect(path: TestSupport.dataPath("ml-100k/u.data"))
        #expect(ml100k.format == .movieLens100K)
    }

    @Test("embedrec train on a file of play counts: says what it read, fits a top-N model, refuses a rating model",
          .enabled(if: OpenBLASRelaunchTests.executable != nil, "the embedrec binary is built next to the tests"))
    func commandLineCounts() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try SyntheticRatings.generate(.init(users: 120, items: 60, ratings: 2_400, seed: 3))
        let path = dir.appendingPathComponent("user_artists.dat").path
        let rows = (0..<data.count).map { "\(data.userIDs.integerRawIDs![Int(data.users[$0])])\t\(data.itemIDs.integerRawIDs![Int(data.items[$0])])\t\(Int(data.ratings[$0]) * 37)" }
        try ("userID\tartistID\tweight\r\n" + rows.joined(separator: "\r\n") + "\r\n").write(toFile: path, atomically: true, encoding: .utf8)
        let model = dir.appendingPathComponent("m.safetensors").path
        let fitted = try ProgramRunner.embedrec(["train", path, "--deterministic", "--output", model])
        #expect(fitted.status == 0, "\(fitted.err)")
        #expect(fitted.out.contains("counts in 'weight' (implicit feedback") && fitted.out.contains("\(data.count) rows"), "\(fitted.out)")
        #expect(fitted.out.contains("Fitting weighted ALS") && !fitted.out.contains("RMSE"), "\(fitted.out)")
        #expect(fitted.out.contains("weighting log(1 + value)"), "counts weigh log(1 + count): \(fitted.out)")
        // evaluate on counts: ranking metrics only, no model's RMSE of play counts.
        let evaluated = try ProgramRunner.embedrec(["evaluate", model, path, "--json"])
        #expect(evaluated.status == 0, "\(evaluated.err)")
        let object = try JSONSerialization.jsonObject(with: Data(evaluated.out.utf8)) as? [String: Any]
        let evaluatedRows = object?["models"] as? [[String: Any]] ?? []
        #expect(evaluatedRows.count == 4 && evaluatedRows.allSatisfy { $0["rmse"] is NSNull && $0["mae"] is NSNull && $0["recall"] is Double }, "\(evaluated.out)")
        let refused = try ProgramRunner.embedrec(["train", path, "--model", "biasedmf"])
        #expect(refused.status == 64 && refused.err.contains("holds implicit feedback (counts or bare interactions), not ratings"), "\(refused.err)")
        #expect(!refused.out.contains("Fitting"))
    }
}
