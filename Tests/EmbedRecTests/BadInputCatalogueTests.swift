import Foundation
import Testing
@testable import EmbedRec
import _EmbedRecFuzzing

/// The bad-input cases of the reliability issue that Docs/Reliability.md's catalogue lists
/// beside the probe's findings: huge lines, garbage, wrong encodings, repeated pairs, sizes
/// past 32-bit indices or past the file, huge k and a reader who read everything.
@Suite("Bad input: files")
struct BadInputFileTests {
    static let tenMegabytes = 10 << 20

    @Test("10 MB lines: a clean error with the field clipped, or the line parsed, in one pass")
    func tenMegabyteLines() throws {
        let digits = String(repeating: "7", count: Self.tenMegabytes)
        expectFileError(file: "r.csv", line: 2, kind: .invalidFormat("column 1: an ID longer than 32767 bytes")) {
            _ = try RatingsLoader.load(text: "user_id,book_id,rating\n\(digits),1,5\n", name: "r.csv", format: .goodbooks)
        }
        // A 10 MB rating of zeros after the point is still 5; a 10 MB ignored column is skipped.
        let longRating = "5." + String(repeating: "0", count: Self.tenMegabytes)
        #expect(try RatingsLoader.load(text: "user_id,book_id,rating\n1,1,\(longRating)\n", format: .goodbooks).ratings == [5])
        let ignored = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 3)
        #expect(try RatingsLoader.load(text: "1,2,\(digits),4\n", format: ignored).ratings == [4])
        // A 10 MB header names no column.
        #expect(throws: RatingsFileError.self) { _ = try RatingsLoader.load(text: digits + "\n1,2,3\n", format: .goodbooks) }
        // Catalogues: a 10 MB title is kept whole; a 10 MB quoted field left open is an error.
        let title = String(repeating: "t", count: Self.tenMegabytes)
        let catalog = try ItemCatalog.loadGoodbooks(text: "id,title\n1,\(title)\n2,Short\n")
        #expect(catalog[rawID: 1]?.title.utf8.count == Self.tenMegabytes && catalog[rawID: 2]?.title == "Short")
        expectFileError(file: "<text>", line: 2, kind: .invalidFormat("quoted field 2 is not closed before the end of the file")) {
            _ = try ItemCatalog.loadGoodbooks(text: "id,title\n1,\"\(title)\n")
        }
    }

    @Test("binary garbage in every loader: a clean error, never a trap")
    func binaryGarbage() throws {
        var rng = SeededGenerator(seed: 17)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for length in [1, 2, 7, 64, 1000, 100_000] {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            for (_, format) in FuzzEntryPoints.ratingsFormats {
                #expect(throws: RatingsFileError.self) { _ = try RatingsLoader.load(bytes: bytes, name: "g", format: format) }
            }
            #expect(throws: RatingsFileError.self) { _ = try ItemCatalog.loadGoodbooks(bytes: bytes) }
            #expect(throws: RatingsFileError.self) { _ = try ItemCatalog.loadMovieLensCSV(bytes: bytes) }
            #expect(throws: RatingsFileError.self) { _ = try ItemCatalog.loadMovieLens100KItems(bytes: bytes) }
            let path = dir.appendingPathComponent("garbage-\(length).safetensors").path
            #expect(FuzzEntryPoints.model(bytes, scratchPath: path) is SafeTensorsError)
        }
    }

    @Test("non-UTF-8 text: CSV catalogues name the line and byte; u.item is Latin-1; ratings fields are numbers")
    func nonUTF8() throws {
        let latin1Books: [UInt8] = Array("id,title\n1,Plain\n2,Caf".utf8) + [0xE9] + Array("\n".utf8)
        expectFileError(file: "books.csv", line: 3, kind: .invalidFormat(
            "field 2 is not valid UTF-8 (byte 0xE9 at its offset 3); save the file as UTF-8 (a Latin-1 or Windows-1252 file must be converted first)")) {
            _ = try ItemCatalog.loadGoodbooks(bytes: latin1Books, name: "books.csv")
        }
        // A quoted field, and a lone continuation byte, the same way.
        let movies: [UInt8] = Array("movieId,title\n1,\"Bad ".utf8) + [0x80] + Array("\"\n".utf8)
        #expect(throws: RatingsFileError.self) { _ = try ItemCatalog.loadMovieLensCSV(bytes: movies) }
        // Valid multi-byte UTF-8 is kept as written.
        let utf8 = try ItemCatalog.loadGoodbooks(text: "id,title\n1,Café – 東京\n")
        #expect(utf8[rawID: 1]?.title == "Café – 東京")
        // u.item is Latin-1 by definition: 0xE9 is é.
        let uItem: [UInt8] = Array("1|Caf".utf8) + [0xE9] + Array(" (1995)|01-Jan-1995||url".utf8) + Array(String(repeating: "|0", count: 19).utf8)
        #expect(try ItemCatalog.loadMovieLens100KItems(bytes: uItem)[rawID: 1]?.title == "Café (1995)")
        // Ratings: an ID that is not UTF-8 names the encoding; a non-ASCII byte in a rating is not a number; in the header, no column.
        expectFileError(file: "r.csv", line: 2, kind: .invalidText(column: 0, encoding: .utf8)) {
            _ = try RatingsLoader.load(bytes: Array("user_id,book_id,rating\n1".utf8) + [0xFF] + Array(",2,5\n".utf8), name: "r.csv", format: .goodbooks)
        }
        #expect(throws: RatingsFileError.self) {
            _ = try RatingsLoader.load(bytes: Array("user_".utf8) + [0xC3] + Array("id,book_id,rating\n1,2,5\n".utf8), name: "r.csv", format: .goodbooks)
        }
    }

    /// `text` encoded as UTF-16 or UTF-32, with or without a byte-order mark.
    static func wide(_ text: String, bigEndian: Bool, bom: Bool, utf32: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        let units: [UInt32] = utf32 ? text.unicodeScalars.map(\.value) : text.utf16.map(UInt32.init)
        for unit in (bom ? [0xFEFF] : []) + units {
            let width = utf32 ? 4 : 2
            let bytes = (0..<width).map { UInt8(truncatingIfNeeded: unit >> (8 * UInt32($0))) }
            out += bigEndian ? bytes.reversed() : bytes
        }
        return out
    }

    @Test("a UTF-16 or UTF-32 file is refused by name, with the conversion to make", arguments: [false, true])
    func utf16(bigEndian: Bool) throws {
        let ratings = "user_id,book_id,rating\n1,2,5\n"
        let order = bigEndian ? "big-endian" : "little-endian"
        let advice = "EmbedRec reads UTF-8; convert the file first, e.g. `iconv -f UTF-16 -t UTF-8 in > out`"
        expectFileError(file: "r.csv", line: 0, kind: .invalidFormat("the file is UTF-16 (a \(order) byte-order mark); \(advice)")) {
            _ = try RatingsLoader.load(bytes: Self.wide(ratings, bigEndian: bigEndian, bom: true), name: "r.csv", format: .goodbooks)
        }
        expectFileError(file: "r.csv", line: 0, kind: .invalidFormat(
            "the file is UTF-16 \(order) without a byte-order mark, it seems; \(advice)")) {
            _ = try RatingsLoader.load(bytes: Self.wide(ratings, bigEndian: bigEndian, bom: false), name: "r.csv", format: .goodbooks)
        }
        expectFileError(file: "r.csv", line: 0, kind: .invalidFormat("the file is UTF-32 (a \(order) byte-order mark); \(advice)")) {
            _ = try RatingsLoader.load(bytes: Self.wide(ratings, bigEndian: bigEndian, bom: true, utf32: true), name: "r.csv", format: .goodbooks)
        }
        for bytes in [Self.wide("id,title\n1,Dune\n", bigEndian: bigEndian, bom: true),
                      Self.wide("1|Dune (1965)|||url" + String(repeating: "|0", count: 19) + "\n", bigEndian: bigEndian, bom: true)] {
            let error = ModelTestKit.thrownError { _ = try ItemCatalog.loadGoodbooks(bytes: bytes, name: "b.csv") }
            #expect("\(String(describing: error))".contains("UTF-16"))
            let uItemError = ModelTestKit.thrownError { _ = try ItemCatalog.loadMovieLens100KItems(bytes: bytes, name: "u.item") }
            #expect("\(String(describing: uItemError))".contains("UTF-16"))
        }
    }
}

@Suite("Bad input: repeated (user, item) pairs")
struct DuplicatePairTests {
    static let text = "userId,movieId,rating,timestamp\n1,2,5,100\n1,3,4,200\n\n2,2,3,300\n1,2,1,400\n1,2,3,50\n"

    static func load(_ policy: RatingsFileFormat.DuplicatePairs) throws -> RatingsDataset {
        var format = RatingsFileFormat.movieLensCSV
        format.duplicatePairs = policy
        return try RatingsLoader.load(text: text, name: "d.csv", format: format)
    }

    @Test("keep last (the default): the pair's last line, at its own position")
    func keepLast() throws {
        #expect(RatingsFileFormat.movieLensCSV.duplicatePairs == .keepLast)
        let data = try Self.load(.keepLast)
        #expect(data.rawRows == [RawRow(user: 1, item: 3, rating: 4, timestamp: 200), RawRow(user: 2, item: 2, rating: 3, timestamp: 300),
                                 RawRow(user: 1, item: 2, rating: 3, timestamp: 50)])
    }

    @Test("average: one row at the first line with the mean rating and the latest timestamp")
    func average() throws {
        let data = try Self.load(.average)
        #expect(data.rawRows == [RawRow(user: 1, item: 2, rating: 3, timestamp: 400), RawRow(user: 1, item: 3, rating: 4, timestamp: 200),
                                 RawRow(user: 2, item: 2, rating: 3, timestamp: 300)])
    }

    @Test("reject: an error at the repeat's line naming the first one; keep all: every line")
    func rejectAndKeepAll() throws {
        expectFileError(file: "d.csv", line: 6, kind: .duplicatePair(user: 1, item: 2, firstLine: 2)) { _ = try Self.load(.reject) }
        let message = "\(RatingsFileError(file: "d.csv", line: 6, kind: .duplicatePair(user: 1, item: 2, firstLine: 2)))"
        #expect(message.contains("rated item 2 again (first on line 2)") && message.contains(".keepAll"))
        #expect(try Self.load(.keepAll).count == 5)
    }

    @Test("files grouped by user or by item (the one-pass check) still resolve a repeat inside a group")
    func groupedFiles() throws {
        var format = RatingsFileFormat.movieLensCSV
        format.duplicatePairs = .keepLast
        let byItem = try RatingsLoader.load(text: "user,item,rating\n1,5,3\n2,5,4\n1,5,2\n3,6,1\n", format: format)
        #expect(byItem.rawRows.map { "\($0.user) \($0.item) \($0.rating)" } == ["2 5 4.0", "1 5 2.0", "3 6 1.0"])
        let byUser = try RatingsLoader.load(text: "user,item,rating\n1,5,3\n1,6,4\n1,5,2\n2,5,1\n", format: format)
        #expect(byUser.rawRows.map { "\($0.user) \($0.item) \($0.rating)" } == ["1 6 4.0", "1 5 2.0", "2 5 1.0"])
        // Grouped without repeats: every row stays, in file order.
        let clean = try RatingsLoader.load(text: "user,item,rating\n1,5,3\n2,5,4\n3,6,1\n1,6,2\n", format: format)
        #expect(clean.count == 4 && clean.ratings == [3, 4, 1, 2])
    }

    @Test("a file without repeats loads the same under every policy; a pair split across train and test files stays")
    func noRepeatsAndPairs() throws {
        let clean = "1\t2\t5\t1\n1\t3\t4\t2\n2\t2\t3\t3\n"
        var rows: [[RawRow]] = []
        for policy in [RatingsFileFormat.DuplicatePairs.keepLast, .average, .reject, .keepAll] {
            var format = RatingsFileFormat.movieLens100K
            format.duplicatePairs = policy
            rows.append(try RatingsLoader.load(text: clean, format: format).rawRows)
        }
        #expect(Set(rows.map { $0.map { "\($0)" } }).count == 1)
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = dir.appendingPathComponent("u1.base").path, test = dir.appendingPathComponent("u1.test").path
        try "1\t2\t5\t1\n1\t2\t4\t2\n1\t3\t4\t3\n".write(toFile: train, atomically: true, encoding: .utf8)
        try "1\t2\t3\t4\n".write(toFile: test, atomically: true, encoding: .utf8)
        let pair = try RatingsLoader.loadPair(trainPath: train, testPath: test, format: .movieLens100K)
        #expect(pair.train.rawRows.map(\.rating) == [4, 4] && pair.test.rawRows.map(\.rating) == [3])
        var strict = RatingsFileFormat.movieLens100K
        strict.duplicatePairs = .reject
        expectFileError(file: train, line: 2, kind: .duplicatePair(user: 1, item: 2, firstLine: 1)) {
            _ = try RatingsLoader.loadPair(trainPath: train, testPath: test, format: strict)
        }
    }
}

@Suite("Bad input: sizes")
struct BadInputSizeTests {
    /// A ratings file of `rows` distinct users, made on the fly.
    static func distinctUsers(_ rows: Int) -> [UInt8] {
        var text = "user_id,book_id,rating\n"
        for u in 0..<rows { text += "\(u * 7919 + 1),\(u % 13),\(u % 5 + 1)\n" }
        return Array(text.utf8)
    }

    @Test("2³¹ distinct IDs: more rows than Int32 indices fail before the columns are allocated")
    func tooManyDistinctIDs() throws {
        // The limits are the machine's by default (2³¹ − 1 rows); a small one reaches the same
        // check with a generated file of 1,001 distinct users instead of 2³¹.
        let bytes = Self.distinctUsers(1001)
        let limits = RatingsLoader.Limits(rows: 1000)
        expectFileError(file: "big.csv", line: 0, kind: .tooManyDistinct(what: "rating rows", limit: 1000)) {
            _ = try RatingsLoader.parse(bytes: bytes, name: "big.csv", format: .goodbooks, parallelism: .sequential, limits: limits)
        }
        #expect(try RatingsLoader.parse(bytes: Self.distinctUsers(1000), name: "ok.csv", format: .goodbooks, parallelism: .sequential,
                                        limits: limits).userCount == 1000)
        #expect(RatingsLoader.Limits.machine.rows == Int(Int32.max))
        // Columns that would not fit in memory: refused, naming the sizes.
        let error = ModelTestKit.thrownError {
            _ = try RatingsLoader.parse(bytes: bytes, name: "big.csv", format: .goodbooks, parallelism: .sequential,
                                        limits: .init(memoryBytes: 4096))
        }
        guard case .cannotRead(_, let why)? = error as? FileError else {
            Issue.record("expected cannotRead, got \(String(describing: error))")
            return
        }
        #expect(why.contains("its 1001 lines") && why.contains("MiB of memory"))
        // The generator refuses 2³¹ users (or ratings) before allocating their factors (that
        // nothing is allocated first: CommandLineReliabilityTests, under an address-space limit).
        for config in [SyntheticRatings.Configuration(users: 1 << 31, items: 10, ratings: 1_000),
                       .init(users: 1_000, items: 1 << 31, ratings: 1_000),
                       .init(users: 100_000, items: 100_000, ratings: 1 << 31),
                       .init(users: 1 << 30, items: 10, ratings: 1 << 30)] {
            #expect(throws: DatasetError.self) { _ = try SyntheticRatings.generate(config) }
        }
    }

    /// A valid saved BiasedMF with its header rewritten by `edit`.
    static func savedModel(_ edit: (inout SafeTensorsBytes) throws -> Void) throws -> [UInt8] {
        let data = try RecommenderFixture.data()
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("m.safetensors").path
        try Recommender(model: try BiasedMF(for: data, configuration: .init(dimension: 4, globalOffset: 3)), training: data).save(to: path)
        var parts = try SafeTensorsBytes([UInt8](try Data(contentsOf: URL(fileURLWithPath: path))))
        try edit(&parts)
        return try parts.bytes()
    }

    static func openError(_ bytes: [UInt8]) throws -> (any Error)? {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        return FuzzEntryPoints.model(bytes, scratchPath: dir.appendingPathComponent("x.safetensors").path)
    }

    @Test("a safetensors header declaring terabytes: in the length prefix, a tensor, the counts or the configuration")
    func terabyteHeaders() throws {
        // The length prefix: refused before reading (RecommenderFileCorruptionTests covers 4 TB and 2⁶³ too).
        let prefix = try Self.savedModel { _ in }
        var huge = prefix
        for k in 0..<8 { huge[k] = UInt8(truncatingIfNeeded: (UInt64(4) << 40) >> (8 * UInt64(k))) }
        #expect(try Self.openError(huge) as? SafeTensorsError == .headerTooLarge(declared: 4 << 40, limit: SafeTensors.maximumHeaderBytes))
        // A tensor whose shape and offsets declare 4 TB: the offsets are checked against the file.
        let tensor = try Self.savedModel { parts in
            let end = parts.offsets("user_embedding")[0] + 4 << 40
            parts.set("user_embedding", "shape", [1 << 40, 1])
            parts.set("user_embedding", "data_offsets", [parts.offsets("user_embedding")[0], end])
        }
        guard case .offsetsOutOfRange("user_embedding", _, _)? = try Self.openError(tensor) as? SafeTensorsError else {
            Issue.record("expected offsetsOutOfRange"); return
        }
        // Counts of a billion users with the file's small ID maps: refused before the model exists.
        let counts = try Self.savedModel { parts in parts.metadata["user_count"] = "2000000000" }
        #expect(try Self.openError(counts) as? RecommenderFileError == .idMapMismatch("user_ids", count: 60, expected: 2_000_000_000))
        // A configuration of dimension 10⁶ (240 MB for 60 users, 40 items) in a file of a few KB.
        let wide = try Self.savedModel { parts in
            parts.metadata["model_configuration"] = parts.metadata["model_configuration"]!.replacingOccurrences(
                of: "\"dimension\":4", with: "\"dimension\":1000000")
        }
        guard case .invalidMetadata("model_configuration", let why)? = try Self.openError(wide) as? RecommenderFileError else {
            Issue.record("expected invalidMetadata(model_configuration)"); return
        }
        #expect(why.contains("the file holds only"))
    }

    @Test("absurd configurations beyond d = 10⁹ and batch 10¹²: ALS factors and EASE items fail before allocating")
    func absurdConfigurations() throws {
        let data = try SyntheticRatings.generate(.init(users: 30, items: 20, ratings: 300, seed: 5))
        ModelTestKit.expectInvalidConfiguration(mentioning: "GiB") {
            _ = try ImplicitALS(configuration: .init(factors: 1_000_000_000)).fit(data)
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "more elements than Int") {
            _ = try ImplicitALS(configuration: .init(factors: Int.max)).fit(data)
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "items × items") { try EASE.Configuration().validate(items: 1_000_000, solving: false) }
        ModelTestKit.expectInvalidConfiguration(mentioning: "items × items") {
            try EASE.Configuration(weightsPerItem: 100).validate(items: 1_000_000, solving: true)
        }
        ModelTestKit.expectInvalidConfiguration(mentioning: "weights per item") { _ = try EASE(fitting: data, configuration: .init(weightsPerItem: 0)) }
    }
}

@Suite("Bad input: requests")
struct BadInputRequestTests {
    static func recommender() throws -> (Recommender, RatingsDataset) {
        // User 1 rated every item; the others a few.
        var users: [Int64] = [], items: [Int64] = [], ratings: [Float] = []
        for i in 1...12 { users.append(1); items.append(Int64(i)); ratings.append(Float(i % 5 + 1)) }
        for u in 2...20 { for i in [u % 12 + 1, (u * 5) % 12 + 1] { users.append(Int64(u)); items.append(Int64(i)); ratings.append(Float(u % 5 + 1)) } }
        let data = try RatingsDataset(rawUsers: (users).map(RawID.integer), rawItems: (items).map(RawID.integer), ratings: ratings)
        let model = try BiasedMF(for: data, configuration: .init(dimension: 3, initializer: .normal(std: 0.1), globalOffset: 3))
        try Trainer(configuration: .init(epochs: 3, batchSize: 8, deterministic: true)).fit(model, on: data)
        return (try Recommender(model: model, training: data), data)
    }

    @Test("k larger than the catalogue, up to Int.max: every candidate once, ranked; k ≤ 0 an error")
    func hugeK() throws {
        let (served, data) = try Self.recommender()
        for k in [13, 1_000_000, Int.max] {
            let list = try served.recommend(user: 2, k: k).recommendations
            #expect(list.count == data.itemCount - 2)
            #expect(Set(list.map(\.item)).count == list.count)
            #expect(zip(list, list.dropFirst()).allSatisfy { $0.score >= $1.score })
            #expect(try served.similarItems(to: 1, k: k).count == data.itemCount - 1)
            #expect(try served.recommend(newReaderItems: [1, 2], k: k).recommendations.count == data.itemCount - 2)
            #expect(try served.recommend(user: 999, k: k, unknownUser: .popularity).recommendations.count == data.itemCount)
        }
        for k in [0, -1, Int.min] { #expect(throws: RecommenderError.invalidK(k)) { _ = try served.recommend(user: 2, k: k) } }
    }

    @Test("a reader who rated every item: an empty list, not an error or a seen item")
    func readerWhoReadEverything() throws {
        let (served, data) = try Self.recommender()
        #expect(try served.recommend(user: 1, k: 5).recommendations.isEmpty)
        #expect(try served.recommend(newReaderItems: Array(data.itemIDs.rawIDs), k: 5).recommendations.isEmpty)
        let scorer = try TopKScorer(model: served.model, training: data)
        #expect(try scorer.recommend(user: UserIndex(0), options: .init(k: 5)).isEmpty)
        // Without the exclusion the reader gets the top items as usual.
        #expect(try scorer.recommend(user: UserIndex(0), options: .init(k: 5, excludeRated: false)).count == 5)
    }
}
