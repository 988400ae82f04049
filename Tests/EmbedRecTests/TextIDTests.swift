import Foundation
import Testing
@testable import EmbedRec
import _EmbedRecFuzzing

/// IDs of any kind: text columns, quoting, encodings, and text IDs through the saved file and
/// the command line.
@Suite("Text IDs")
struct TextIDTests {
    @Test("quoted fields with both escapes, a text item column beside an integer user column, sorted by bytes")
    func quotedTextColumns() throws {
        let text = "\"276725\";\"034545104X\";\"0\"\r\n\"276726\";\"0155061224\";\"5\"\r\n"
            + "\"48821\";\"\\\"8804501367\\\"\";\"0\"\r\n\"7\";\"a\"\"b;c\";\"10\"\r\n\"7\" ; \"034545104X\" ; \"3\""
        var format = RatingsFileFormat.delimited(separator: ";", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        format.duplicatePairs = .keepAll
        let data = try RatingsLoader.load(text: text, format: format)
        #expect(data.count == 5 && !data.userIDs.holdsText && data.itemIDs.holdsText)
        #expect(data.userIDs.integerRawIDs == [7, 48821, 276_725, 276_726])
        // Escapes resolved (`\"` and `""`), a separator inside quotes kept, ascending by bytes.
        #expect(Array(data.itemIDs.rawIDs) == [.text("\"8804501367\""), .text("0155061224"), .text("034545104X"), .text("a\"b;c")])
        #expect(data.rawRows.map(\.item) == [.text("034545104X"), .text("0155061224"), .text("\"8804501367\""), .text("a\"b;c"), .text("034545104X")])
        #expect(data.ratings == [0, 5, 0, 10, 3])
        // The fuzzers' reference reading agrees row for row (the entry point traps otherwise).
        for body in [text, "u,i,r\n\"1\",\"x\",4\n2,\"y\"\"z\",5\n", "user,item,rating\n1,\"a,b\",3\n"] {
            _ = FuzzEntryPoints.ratings([0] + Array(body.utf8))
        }
        // Broken quoting names the line.
        expectFileError(file: "<text>", line: 2, kind: .invalidFormat("column 2: a quoted field is not closed on its line")) {
            _ = try RatingsLoader.load(text: "1;\"a\";3\n2;\"b;4\n", format: format)
        }
        expectFileError(file: "<text>", line: 1, kind: .invalidFormat("column 2: text after the closing quote of a field")) {
            _ = try RatingsLoader.load(text: "1;\"a\"x;3\n", format: format)
        }
    }

    @Test("Latin-1 IDs are decoded to UTF-8; in a UTF-8 file the same byte is an error naming the line and the fix")
    func encodings() throws {
        let bytes: [UInt8] = Array("1;A;5\n2;".utf8) + [0x39, 0xE9, 0x41] + Array(";4\n".utf8)
        var format = RatingsFileFormat.delimited(separator: ";", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        let error = #expect(throws: RatingsFileError.self) { _ = try RatingsLoader.load(bytes: bytes, name: "bx.csv", format: format) }
        #expect(error?.line == 2 && error?.kind == .invalidText(column: 1, encoding: .utf8))
        #expect(error?.description.contains("--encoding latin1") == true)
        format.encoding = .latin1
        let data = try RatingsLoader.load(bytes: bytes, name: "bx.csv", format: format)
        #expect(Array(data.itemIDs.rawIDs) == [.text("9éA"), .text("A")])
        #expect(data.itemIDs.index(of: "9éA") == 0)
    }

    @Test("a train/test pair whose files differ in kind shares one text map; integers typed by a person find text IDs")
    func pairOfKinds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("textids-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let train = dir.appendingPathComponent("train.csv").path, test = dir.appendingPathComponent("test.csv").path
        try "user,item,rating\n1,10,4\n2,9,5\n".write(toFile: train, atomically: true, encoding: .utf8)
        try "user,item,rating\n1,B07,3\n".write(toFile: test, atomically: true, encoding: .utf8)
        let pair = try RatingsLoader.loadPair(trainPath: train, testPath: test, format: .goodbooks)
        #expect(pair.train.itemIDs == pair.test.itemIDs && pair.train.itemIDs.holdsText)
        #expect(Array(pair.train.itemIDs.rawIDs) == [.text("10"), .text("9"), .text("B07")])
        #expect(pair.train.itemIDs.index(of: 9) == 1 && pair.train.itemIDs.index(of: .text("9")) == 1)
        #expect(pair.test.rawRows.map(\.item) == [.text("B07")])
    }

    @Test("a recommender with text IDs saves as version 2, opens with the same answers, and refuses unsorted IDs")
    func savedTextIDs() throws {
        var rows: [(RawID, RawID, Float)] = []
        var rng = SeededGenerator(seed: 5)
        for u in 0..<60 { for _ in 0..<12 { rows.append((.text("reader-\(u)"), .text("ISBN\(rng.nextInt(below: 80))X"), Float(1 + rng.nextInt(below: 5)))) } }
        let data = try RatingsDataset(rawUsers: rows.map(\.0), rawItems: rows.map(\.1), ratings: rows.map(\.2))
        let fitted = try Recipe.named("als")!.fit(data)
        let recommender = try Recommender(model: fitted.model, training: data)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("textids-\(getpid()).safetensors").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try recommender.save(to: path)
        let file = try SafeTensorsFile(path: path)
        #expect(file.metadata["format_version"] == "2" && file.tensors["item_ids"]?.dtype == .u8)
        let opened = try Recommender(contentsOf: path)
        #expect(opened.userIDs == recommender.userIDs && opened.itemIDs == recommender.itemIDs)
        #expect(try opened.recommend(user: "reader-7", k: 5) == recommender.recommend(user: "reader-7", k: 5))
        #expect(try opened.similarItems(to: "ISBN3X", k: 3).map(\.rawItemID) == recommender.similarItems(to: "ISBN3X", k: 3).map(\.rawItemID))
        #expect(try opened.recommend(user: "reader-7", k: 5).recommendations.allSatisfy { if case .text = $0.rawItemID { true } else { false } })
        #expect(throws: RecommenderError.unknownUser("reader-999")) { _ = try opened.recommend(user: "reader-999", k: 5) }
        // Integer maps still write version 1, which older readers open.
        let integers = try RatingsDataset(rawUsers: [1, 2, 2], rawItems: [5, 5, 6], ratings: [4, 3, 5])
        try Recommender(model: try Recipe.named("als")!.fit(integers).model, training: integers).save(to: path)
        #expect(try SafeTensorsFile(path: path).metadata["format_version"] == "1")
        // A text map out of order is refused, not trusted.
        let texts = TextIDs(bytes: Array("ba".utf8), offsets: [0, 1, 2])
        #expect(texts.firstUnsortedPosition() == 1)
    }

    @Test("Book-Crossing end to end: Latin-1, quoted ISBNs, implicit zeros; IDs echoed as the file has them",
          .enabled(if: TestSupport.hasData("book-crossing-sample/BX-Book-Ratings.sample.csv"), "needs ../shared/data/book-crossing-sample"))
    func bookCrossing() throws {
        let file = TestSupport.dataPath("book-crossing-sample/BX-Book-Ratings.sample.csv")
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("bx-\(getpid())")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let model = dir.appendingPathComponent("bx.safetensors").path
        let refused = try ProgramRunner.embedrec(["train", file])
        #expect(refused.status != 0 && refused.err.contains(":38357: column 2") && refused.err.contains("--encoding latin1"), "\(refused.err)")
        let train = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1", "--output", model], timeout: 600)
        #expect(train.status == 0, "\(train.err)")
        #expect(train.out.contains("semicolon-separated") && train.out.contains("4287 users, 29248 items"), "\(train.out)")
        // Zeros are interactions for the top-N model chosen by default, never RMSE.
        #expect(train.out.contains("Rating 0 records an interaction without a rating") && train.out.contains("weighted ALS"), "\(train.out)")
        #expect(!train.out.contains("RMSE"), "\(train.out)")
        let top = try ProgramRunner.embedrec(["recommend", model, "--user", "43842", "--k", "3", "--json"])
        #expect(top.status == 0 && top.out.contains("\"item\":\"0"), "\(top.out) \(top.err)")
        let similar = try ProgramRunner.embedrec(["similar", model, "--item", "034545104X", "--k", "3"])
        #expect(similar.status == 0 && similar.out.contains("034545104X"), "\(similar.out) \(similar.err)")
        let opened = try Recommender(contentsOf: model)
        #expect(opened.itemIDs.index(of: "\"8804501367\"") != nil && opened.itemIDs.index(of: "393\u{DF}704064") != nil)
        // A rating model learns from the explicit ratings only.
        let rating = try ProgramRunner.embedrec(["train", file, "--encoding", "latin1", "--model", "biasedmf", "--epochs", "2"], timeout: 600)
        #expect(rating.status == 0 && rating.out.contains("learns from the") && rating.out.contains("RMSE"), "\(rating.out) \(rating.err)")
    }
}

extension TextIDTests {
    @Test("interning thousands of IDs of 1–40 bytes (the table grows, IDs share their first eight bytes, the last ends the buffer) gives the byte-sorted positions")
    func internedPositions() throws {
        var rng = SeededGenerator(seed: 77)
        let alphabet = Array("abcXYZ019-_~".utf8)
        // Many IDs share a long common start, so only the bytes after the eighth tell them apart.
        let distinct = (0..<3_000).map { k -> [UInt8] in
            let length = Int.random(in: 1...40, using: &rng)
            let start: [UInt8] = k % 3 == 0 ? Array("sharedprefix".utf8) : []
            return Array((start + (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &rng)] }).prefix(40))
        }
        var buffer: [UInt8] = [], slices: [Int64] = [], expected: [[UInt8]] = []
        for row in 0..<20_000 {
            // Runs of one ID (the previous-row shortcut) and random repeats.
            let id = row % 7 == 0 && !expected.isEmpty ? expected.last! : distinct[Int.random(in: 0..<distinct.count, using: &rng)]
            slices.append(RatingsParser.TextSlice(offset: buffer.count, length: id.count, escaped: false).packed)
            buffer += id
            if row < 19_999 { buffer.append(10) }
            expected.append(id)
        }
        let (texts, positions) = try buffer.withUnsafeBufferPointer {
            try TextIDs.interning(slices: slices, in: $0, encoding: .utf8)
        }
        let sorted = Array(Set(expected)).sorted { $0.lexicographicallyPrecedes($1) }
        #expect(texts.count == sorted.count)
        #expect((0..<texts.count).allSatisfy { Array(texts.bytes[texts.offsets[$0]..<texts.offsets[$0 + 1]]) == sorted[$0] })
        let rank = Dictionary(uniqueKeysWithValues: sorted.enumerated().map { ($1, Int32($0)) })
        #expect(positions == expected.map { rank[$0]! })
        // An escaped and a plain spelling of one ID are one position after decoding.
        let quoted = try RatingsLoader.load(text: "1,\"a\"\"b\"\n2,\"a\"\"b\"\n3,x\n", format: .delimited(
            separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: nil))
        #expect(Array(quoted.itemIDs.rawIDs) == [.text("a\"b"), .text("x")] && quoted.items == [0, 0, 1])
    }
}

extension TextIDTests {
    @Test("the ID hash is the same whether its last partial word is read at once or a byte at a time")
    func hashTails() {
        var rng = SeededGenerator(seed: 3)
        let buffer = (0..<64).map { _ in UInt8.random(in: 0...255, using: &rng) }
        buffer.withUnsafeBytes { b in
            for length in 0...24 {
                let key = b.baseAddress! + 5
                let bytewise = TextIDs.hash(key, length: length, readable: length)
                #expect(TextIDs.hash(key, length: length, readable: 59) == bytewise, "length \(length)")
                #expect(TextIDs.hash(UnsafeRawBufferPointer(start: key, count: length)) == bytewise, "length \(length)")
            }
        }
    }
}
