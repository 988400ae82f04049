import Foundation
import Testing
@testable import EmbedRec

@Suite("RatingsLoader: formats")
struct RatingsLoaderFormatTests {
    @Test("goodbooks book_id,user_id,rating (original release)")
    func goodbooksBookFirst() throws {
        let data = try RatingsLoader.load(
            text: "book_id,user_id,rating\n1,10,5\n2,10,3\n1,20,4\n7,30,1\n", format: .goodbooks)
        #expect(data.count == 4)
        #expect(data.userIDs.integerRawIDs! == [10, 20, 30])
        #expect(data.itemIDs.integerRawIDs! == [1, 2, 7])
        #expect(data.rawRows.map(\.user) == [10, 10, 20, 30])
        #expect(data.rawRows.map(\.item) == [1, 2, 1, 7])
        #expect(data.ratings == [5, 3, 4, 1])
        #expect(data.timestamps == nil)
    }

    @Test("goodbooks user_id,book_id,rating (later release) swaps the columns by header")
    func goodbooksUserFirst() throws {
        let bookFirst = try RatingsLoader.load(
            text: "book_id,user_id,rating\n1,10,5\n2,10,3\n1,20,4\n7,30,1\n", format: .goodbooks)
        let userFirst = try RatingsLoader.load(
            text: "user_id,book_id,rating\n10,1,5\n10,2,3\n20,1,4\n30,7,1\n", format: .goodbooks)
        #expect(userFirst.rawRows == bookFirst.rawRows)
        #expect(userFirst.userIDs == bookFirst.userIDs)
        #expect(userFirst.itemIDs == bookFirst.itemIDs)
        // The same bytes read with the other header really swap users and items.
        let swapped = try RatingsLoader.load(
            text: "book_id,user_id,rating\n10,1,5\n10,2,3\n20,1,4\n30,7,1\n", format: .goodbooks)
        #expect(swapped.userIDs.integerRawIDs! == [1, 2, 7])
        #expect(swapped.itemIDs.integerRawIDs! == [10, 20, 30])
        #expect(swapped.rawRows.map(\.user) == [1, 2, 1, 7])
    }

    @Test("MovieLens ratings.csv with half stars, timestamps and sparse movie IDs")
    func movieLensCSV() throws {
        let text = """
            userId,movieId,rating,timestamp
            1,1,4.0,964982703
            1,3,3.5,964981247
            2,193609,0.5,1537109082
            3,50,5.0,1147868053
            """
        let data = try RatingsLoader.load(text: text, format: .movieLensCSV)
        #expect(data.count == 4)
        #expect(data.ratings == [4.0, 3.5, 0.5, 5.0])
        #expect(data.timestamps == [964_982_703, 964_981_247, 1_537_109_082, 1_147_868_053])
        #expect(data.itemIDs.integerRawIDs! == [1, 3, 50, 193_609])
        #expect(data.itemCount == 4)
        #expect(data.rawRows.map(\.item) == [1, 3, 193_609, 50])
        #expect(data.rawRows.map(\.user) == [1, 1, 2, 3])
    }

    @Test("MovieLens 100K u.data (tab-separated, no header)")
    func movieLens100K() throws {
        let text = "196\t242\t3\t881250949\n186\t302\t3\t891717742\n22\t377\t1\t878887116\n"
        let data = try RatingsLoader.load(text: text, format: .movieLens100K)
        #expect(data.rawRows == [
            RawRow(user: 196, item: 242, rating: 3, timestamp: 881_250_949),
            RawRow(user: 186, item: 302, rating: 3, timestamp: 891_717_742),
            RawRow(user: 22, item: 377, rating: 1, timestamp: 878_887_116),
        ])
        #expect(data.userIDs.integerRawIDs! == [22, 186, 196])
    }

    @Test("MovieLens 1M ratings.dat (:: separated)")
    func movieLens1M() throws {
        let text = "1::1193::5::978300760\n1::661::3::978302109\n6040::1097::4::956715518"
        let data = try RatingsLoader.load(text: text, format: .movieLens1M)
        #expect(data.rawRows == [
            RawRow(user: 1, item: 1193, rating: 5, timestamp: 978_300_760),
            RawRow(user: 1, item: 661, rating: 3, timestamp: 978_302_109),
            RawRow(user: 6040, item: 1097, rating: 4, timestamp: 956_715_518),
        ])
    }

    @Test("delimited with a custom column mapping and an ignored column")
    func customDelimited() throws {
        let format = RatingsFileFormat.delimited(
            separator: ";", hasHeader: true, userColumn: 3, itemColumn: 0, ratingColumn: 1, timestampColumn: 4)
        let text = "item;score;note;who;when\n7;4.5;great;100;1000\n8;2;meh;101;999\n7;1.25;;101;5\n"
        let data = try RatingsLoader.load(text: text, format: format)
        #expect(data.rawRows == [
            RawRow(user: 100, item: 7, rating: 4.5, timestamp: 1000),
            RawRow(user: 101, item: 8, rating: 2, timestamp: 999),
            RawRow(user: 101, item: 7, rating: 1.25, timestamp: 5),
        ])
        // Without a header the first line is data.
        let noHeader = RatingsFileFormat.delimited(
            separator: ";", hasHeader: false, userColumn: 3, itemColumn: 0, ratingColumn: 1)
        let data2 = try RatingsLoader.load(text: "7;4.5;x;100\n8;2;y;101\n", format: noHeader)
        #expect(data2.rawRows == [RawRow(user: 100, item: 7, rating: 4.5), RawRow(user: 101, item: 8, rating: 2)])
    }

    @Test("separators that contain a space")
    func spaceSeparators() throws {
        let space = RatingsFileFormat.delimited(separator: " ", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        let data = try RatingsLoader.load(text: "1 2 3\n4 5 1.5\r\n", format: space)
        #expect(data.rawRows == [RawRow(user: 1, item: 2, rating: 3), RawRow(user: 4, item: 5, rating: 1.5)])
        // With a space separator, a double space is an empty field.
        expectFileError(file: "s", line: 1, kind: .invalidFormat("column 2: an empty ID")) {
            _ = try RatingsLoader.load(text: "1  2 3\n", name: "s", format: space)
        }
        let padded = RatingsFileFormat.delimited(
            separator: " | ", hasHeader: true, userColumn: 1, itemColumn: 0, ratingColumn: 2, timestampColumn: 3)
        let data2 = try RatingsLoader.load(text: "item | user | rating | ts\n7 | 100 | 4.5 | 99\n", format: padded)
        #expect(data2.rawRows == [RawRow(user: 100, item: 7, rating: 4.5, timestamp: 99)])
    }

    @Test("negative and exponent ratings parse like the standard library")
    func unusualNumbers() throws {
        var anyScale = RatingsFileFormat.goodbooks
        anyScale.ratingScale = nil
        let data = try RatingsLoader.load(
            text: "user,item,rating\n1,2,-1.5\n-3,4,2e0\n5,6, 3.75 \n", format: anyScale)
        #expect(data.ratings == [-1.5, 2, 3.75])
        #expect(data.userIDs.integerRawIDs! == [-3, 1, 5])
    }

    @Test("CRLF, UTF-8 BOM, blank lines and a missing final newline")
    func lineEndings() throws {
        let plain = try RatingsLoader.load(
            text: "userId,movieId,rating\n1,2,3\n4,5,1.5\n", format: .movieLensCSV)
        let messy = try RatingsLoader.load(
            text: "\u{FEFF}userId,movieId,rating\r\n\r\n1,2,3\r\n\r\n\n4,5,1.5", format: .movieLensCSV)
        #expect(messy.rawRows == plain.rawRows)
        #expect(messy.count == 2)

        let tabs = try RatingsLoader.load(
            bytes: [0xEF, 0xBB, 0xBF] + Array("\r\n1\t2\t3\t4\r\n\r\n5\t6\t2\t7\r\n".utf8),
            name: "bom.data", format: .movieLens100K)
        #expect(tabs.rawRows == [RawRow(user: 1, item: 2, rating: 3, timestamp: 4),
                                 RawRow(user: 5, item: 6, rating: 2, timestamp: 7)])
        let dat = try RatingsLoader.load(text: "1::2::3::4\r\n5::6::2::7", format: .movieLens1M)
        #expect(dat.rawRows == tabs.rawRows)
    }

    @Test("a file over 1 MiB parses in several chunks exactly like the sequential path")
    func parallelChunks() throws {
        var rng = SeededGenerator(seed: 7)
        var text = ""
        var expected: [RawRow] = []
        while text.utf8.count < 3 << 20 {
            let row = RawRow(user: .integer(Int64(rng.nextInt(below: 5000))), item: .integer(Int64(rng.nextInt(below: 200_000))),
                             rating: Float(1 + rng.nextInt(below: 10)) / 2,
                             timestamp: 900_000_000 + Int64(rng.nextInt(below: 100_000_000)))
            expected.append(row)
            text += "\(row.user)\t\(row.item)\t\(row.rating)\t\(row.timestamp!)\r\n"
            if expected.count % 1000 == 0 { text += "\n" }  // blank lines across chunk cuts
        }
        let bytes = Array(text.utf8)
        // u.data's layout with half stars (its own scale is 1–5).
        var format = RatingsFileFormat.movieLens100K
        format.ratingScale = 0.5...5
        format.duplicatePairs = .keepAll  // random pairs repeat now and then; every row is expected
        let sequential = try RatingsLoader.load(bytes: bytes, name: "big", format: format, parallelism: .sequential)
        for threads in [2, 3, 8] {
            let parallel = try RatingsLoader.load(bytes: bytes, name: "big", format: format,
                                                  parallelism: Parallelism(threads: threads))
            #expect(parallel.users == sequential.users)
            #expect(parallel.items == sequential.items)
            #expect(parallel.ratings == sequential.ratings)
            #expect(parallel.timestamps == sequential.timestamps)
            #expect(parallel.userIDs == sequential.userIDs)
            #expect(parallel.itemIDs == sequential.itemIDs)
        }
        #expect(sequential.count == expected.count)
        #expect(sequential.rawRows == expected)
        // The chunking really splits this input.
        let chunks = bytes.withUnsafeBufferPointer { RatingsLoader.chunkRanges($0, 0..<$0.count, parts: 4) }
        #expect(chunks.count == 4)
        #expect(chunks.first?.lowerBound == 0 && chunks.last?.upperBound == bytes.count)
        for (a, b) in zip(chunks, chunks.dropFirst()) { #expect(a.upperBound == b.lowerBound && bytes[b.lowerBound - 1] == 10) }
    }

    @Test("an error deep in a multi-chunk file reports its true line number")
    func parallelErrorLine() throws {
        var lines = (0..<120_000).map { "\($0 % 900 + 1)\t\($0 % 1700 + 1)\t\($0 % 5 + 1)\t\(880_000_000 + $0)" }
        lines[100_000] = "1\t2\tthree\t4"
        let text = lines.joined(separator: "\n")
        #expect(text.utf8.count > 1 << 20)
        expectFileError(file: "big.data", line: 100_001, kind: .notANumber(column: 2, text: "three")) {
            _ = try RatingsLoader.load(bytes: Array(text.utf8), name: "big.data", format: .movieLens100K,
                                       parallelism: Parallelism(threads: 4))
        }
    }

    @Test("ignored columns may be empty, however many there are")
    func emptyIgnoredColumns() throws {
        // The first line fixes ten columns; later rows leave the seven ignored ones empty, so a
        // row can be shorter than one byte per column.
        var text = "1,1,1,a,b,c,d,e,f,g\n"
        for k in 0..<5000 { text += "\(k % 10),\(k % 7),\(k % 5 + 1),,,,,,,\n" }
        // The rows repeat (user, item) pairs: keep them all, this test is about the parsing.
        var format = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        format.duplicatePairs = .keepAll
        let data = try RatingsLoader.load(text: text, format: format)
        #expect(data.count == 5001)
        #expect(data.rawRows.last == RawRow(user: 9, item: .integer(4999 % 7), rating: Float(4999 % 5 + 1)))
        #expect(data.ratings.reduce(0, +) == 1 + (0..<5000).reduce(Float(0)) { $0 + Float($1 % 5 + 1) })
    }

    @Test("loading from a path, and unreadable paths")
    func paths() throws {
        let dir = try TestSupport.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("u.data").path
        try Data("1\t2\t3\t4\n".utf8).write(to: URL(fileURLWithPath: path))
        let data = try RatingsLoader.load(path: path, format: .movieLens100K)
        #expect(data.rawRows == [RawRow(user: 1, item: 2, rating: 3, timestamp: 4)])

        let missing = dir.appendingPathComponent("nope.csv").path
        #expect(throws: FileError.cannotRead(path: missing, reason: "No such file or directory")) {
            _ = try RatingsLoader.load(path: missing, format: .goodbooks)
        }
        // A directory opens with fopen on Linux; it must be rejected, not read.
        #expect(throws: FileError.cannotRead(path: dir.path, reason: "is a directory, not a regular file")) {
            _ = try RatingsLoader.load(path: dir.path, format: .goodbooks)
        }
    }
}

@Suite("RatingsLoader: errors")
struct RatingsLoaderErrorTests {
    @Test("wrong column count (too few and too many)")
    func wrongColumnCount() {
        expectFileError(file: "u.data", line: 3, kind: .wrongColumnCount(expected: 4, found: 3)) {
            _ = try RatingsLoader.load(text: "1\t2\t3\t4\n5\t6\t2\t7\n8\t9\t1\n", name: "u.data", format: .movieLens100K)
        }
        expectFileError(file: "r.csv", line: 2, kind: .wrongColumnCount(expected: 3, found: 4)) {
            _ = try RatingsLoader.load(text: "user_id,book_id,rating\n1,2,3,4\n", name: "r.csv", format: .goodbooks)
        }
        // The first line has too few columns for the requested positions.
        expectFileError(file: "x", line: 1, kind: .wrongColumnCount(expected: 4, found: 3)) {
            _ = try RatingsLoader.load(text: "1::2::3\n", name: "x", format: .movieLens1M)
        }
    }

    @Test("a rating that is not a number")
    func notANumber() {
        expectFileError(file: "r.csv", line: 3, kind: .notANumber(column: 2, text: "abc")) {
            _ = try RatingsLoader.load(text: "userId,movieId,rating\n1,2,3\n1,3,abc\n", name: "r.csv", format: .movieLensCSV)
        }
        expectFileError(file: "r.csv", line: 2, kind: .notANumber(column: 2, text: "")) {
            _ = try RatingsLoader.load(text: "userId,movieId,rating\n1,2,\n", name: "r.csv", format: .movieLensCSV)
        }
    }

    @Test("fuzzing findings: a CR before a separator is data, a padded minus sign is no ID, padding is not digits")
    func fuzzFindings() throws {
        // "4.\r" read as 4: the CR was trimmed although no LF followed it.
        expectFileError(file: "r.csv", line: 2, kind: .notANumber(column: 2, text: "4.\r")) {
            _ = try RatingsLoader.load(text: "userId,movieId,rating,x\n2,1,4.\r,0\n", name: "r.csv", format: .movieLensCSV)
        }
        // " - " read as item 0: the padding after the sign was counted as its digits.
        // (Since text IDs: "-" is the text ID "-", padding trimmed.)
        #expect(try RatingsLoader.load(text: "userId, movieId, rating\n 1 , - , 4.5 \n", name: "r.csv", format: .movieLensCSV)
            .itemIDs.rawIDs.first == .text("-"))
        // 18 digits and two spaces of padding are an ID (they counted as 20 digits).
        let data = try RatingsLoader.load(text: "userId,movieId,rating\n123456789012345678  ,1,4\n", format: .movieLensCSV)
        #expect(data.userIDs.integerRawIDs! == [123_456_789_012_345_678])
        // A header comma followed by a combining mark still separates (the header was split
        // as a String, by graphemes, so it had a column fewer than its rows had fields).
        expectFileError(file: "r.csv", line: 2, kind: .wrongColumnCount(expected: 4, found: 3)) {
            _ = try RatingsLoader.load(text: "userId,movieId,rating,\u{301}x\n1,2,4\n", name: "r.csv", format: .movieLensCSV)
        }
        #expect(try RatingsLoader.load(text: "userId,movieId,rating,\u{301}x\n1,2,4,a\n", format: .movieLensCSV).ratings == [4])
        // A CR before the line's LF is still ignored.
        #expect(try RatingsLoader.load(text: "userId,movieId,rating\r\n1,2,4.5\r\n", format: .movieLensCSV).ratings == [4.5])
    }

    @Test("IDs that are not integers are text IDs; a timestamp must be an integer")
    func nonIntegerID() throws {
        let decimal = try RatingsLoader.load(text: "1\t2\t3\t4\n1.5\t2\t3\t4\n", name: "u.data", format: .movieLens100K)
        #expect(Array(decimal.userIDs.rawIDs) == [.text("1"), .text("1.5")] && decimal.itemIDs.integerRawIDs == [2])
        let isbn = try RatingsLoader.load(text: "user_id,book_id,rating\n1,b7,3\n2,034545104X,4\n3,10,5\n", name: "r.csv", format: .goodbooks)
        #expect(Array(isbn.itemIDs.rawIDs) == [.text("034545104X"), .text("10"), .text("b7")])
        // An integer typed by a person finds its spelling in a text column.
        #expect(isbn.itemIDs.index(of: 10) == isbn.itemIDs.index(of: "10") && isbn.itemIDs.index(of: 10) != nil)
        expectFileError(file: "t", line: 1, kind: .notAnInteger(column: 3, text: "12:30")) {
            _ = try RatingsLoader.load(text: "1::2::3::12:30\n", name: "t", format: .movieLens1M)
        }
        // Too many digits for Int64: text, as written.
        let long = try RatingsLoader.load(text: "99999999999999999999\t1\t1\t1\n", name: "t", format: .movieLens100K)
        #expect(Array(long.userIDs.rawIDs) == [.text("99999999999999999999")])
    }

    @Test("NaN and infinite ratings", arguments: ["nan", "NaN", "inf", "-inf", "infinity", "1e39"])
    func nonFinite(_ value: String) {
        expectFileError(file: "r.csv", line: 3, kind: .nonFiniteRating(text: value)) {
            _ = try RatingsLoader.load(text: "user,item,rating\n1,1,4\n1,2,\(value)\n", name: "r.csv", format: .goodbooks)
        }
    }

    @Test("empty files", arguments: ["", "\n\n", "\r\n", "\u{FEFF}"])
    func emptyFile(_ text: String) {
        expectFileError(file: "e", line: 0, kind: .emptyFile) {
            _ = try RatingsLoader.load(text: text, name: "e", format: .goodbooks)
        }
        expectFileError(file: "e", line: 0, kind: .emptyFile) {
            _ = try RatingsLoader.load(text: text, name: "e", format: .movieLens100K)
        }
    }

    @Test("a header and no data")
    func headerOnly() {
        for text in ["user_id,book_id,rating", "user_id,book_id,rating\n", "user_id,book_id,rating\r\n\r\n"] {
            expectFileError(file: "h", line: 0, kind: .headerOnly) {
                _ = try RatingsLoader.load(text: text, name: "h", format: .goodbooks)
            }
        }
        let format = RatingsFileFormat.delimited(separator: ",", hasHeader: true, userColumn: 0, itemColumn: 1, ratingColumn: 2)
        expectFileError(file: "h", line: 0, kind: .headerOnly) {
            _ = try RatingsLoader.load(text: "a,b,c\n", name: "h", format: format)
        }
    }

    @Test("unknown or ambiguous header names")
    func unknownHeader() {
        let error = captureFileError {
            _ = try RatingsLoader.load(text: "a,b,c\n1,2,3\n", name: "r.csv", format: .goodbooks)
        }
        #expect(error?.file == "r.csv")
        #expect(error?.line == 1)
        if case .unknownHeader(let why)? = error?.kind { #expect(why.contains("user")) } else {
            Issue.record("expected unknownHeader, got \(String(describing: error))")
        }
        // A rating column is required too.
        let noRating = captureFileError {
            _ = try RatingsLoader.load(text: "user_id,book_id,stars_given\n1,2,3\n", name: "r.csv", format: .goodbooks)
        }
        if case .unknownHeader(let why)? = noRating?.kind { #expect(why.contains("rating")) } else {
            Issue.record("expected unknownHeader, got \(String(describing: noRating))")
        }
        // Two user columns are ambiguous.
        let twice = captureFileError {
            _ = try RatingsLoader.load(text: "user,user_id,item,rating\n1,1,2,3\n", name: "r.csv", format: .goodbooks)
        }
        if case .unknownHeader? = twice?.kind {} else { Issue.record("expected unknownHeader, got \(String(describing: twice))") }
    }

    @Test("a bad header after leading blank lines reports the header's own line")
    func headerLineAfterBlankLines() {
        let error = captureFileError {
            _ = try RatingsLoader.load(text: "\n\nfoo,bar,baz\n1,2,3\n", name: "r.csv", format: .goodbooks)
        }
        #expect(error?.line == 3)
    }

    @Test("descriptions name file:line")
    func descriptions() {
        let error = captureFileError {
            _ = try RatingsLoader.load(text: "1\t2\t3\t4\n1\t2\tx\t4\n", name: "data/u.data", format: .movieLens100K)
        }
        #expect(error?.description.hasPrefix("data/u.data:2:") == true)
        #expect(error?.description.contains("'x'") == true)
        #expect(RatingsFileError(file: "f", line: 0, kind: .emptyFile).description == "f: file is empty")
        #expect(RatingsFileError(file: "f", line: 9, kind: .nonFiniteRating(text: "nan")).description.hasPrefix("f:9:"))
    }

    @Test("an empty separator and bad column positions are rejected")
    func invalidFormats() {
        let emptySep = RatingsFileFormat(separator: "", columns: .byHeaderNames)
        expectFileError(file: "x", line: 0, kind: .invalidFormat("separator is empty")) {
            _ = try RatingsLoader.load(text: "1,2,3\n", name: "x", format: emptySep)
        }
        let clash = RatingsFileFormat.delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 0, ratingColumn: 2)
        let error = captureFileError { _ = try RatingsLoader.load(text: "1,2,3\n", name: "x", format: clash) }
        if case .invalidFormat? = error?.kind {} else { Issue.record("expected invalidFormat, got \(String(describing: error))") }
    }

    @Test("random garbage bytes never trap: every input parses or throws RatingsFileError")
    func garbage() {
        let formats: [RatingsFileFormat] = [
            .goodbooks, .movieLens100K, .movieLens1M,
            .delimited(separator: ",", hasHeader: false, userColumn: 0, itemColumn: 1, ratingColumn: 2),
            .delimited(separator: "|", hasHeader: true, userColumn: 2, itemColumn: 0, ratingColumn: 1, timestampColumn: 3),
        ]
        // Mostly bytes that matter to the parsers, so that many inputs get far.
        let alphabet: [UInt8] = Array("0123456789\t,:|\n\r.-+e\"nai user_id book_id rating ".utf8) + [0xEF, 0xBB, 0xBF, 0x00, 0xFF, 0xC3]
        var rng = SeededGenerator(seed: 2024)
        var parsed = 0, thrown = 0
        let separators = [",", "\t", "::", "|"]
        for round in 0..<3000 {
            var bytes: [UInt8]
            if round % 2 == 0 {
                // Well-formed rows in a random layout, then a few random byte changes.
                let sep = separators[rng.nextInt(below: separators.count)]
                var text = ""
                for _ in 0..<rng.nextInt(below: 6) {
                    text += (0..<4).map { _ in String(rng.nextInt(below: 1000) - 10) }.joined(separator: sep) + "\n"
                }
                bytes = Array(text.utf8)
                for _ in 0..<rng.nextInt(below: 3) where !bytes.isEmpty {
                    bytes[rng.nextInt(below: bytes.count)] = alphabet[rng.nextInt(below: alphabet.count)]
                }
            } else {
                bytes = (0..<rng.nextInt(below: 120)).map { _ in
                    rng.nextInt(below: 8) == 0 ? UInt8(truncatingIfNeeded: rng.next()) : alphabet[rng.nextInt(below: alphabet.count)]
                }
            }
            if round % 3 == 0 { bytes = Array("user_id,book_id,rating\n".utf8) + bytes }
            for format in formats {
                do {
                    let data = try RatingsLoader.load(bytes: bytes, name: "garbage", format: format, parallelism: .sequential)
                    parsed += 1
                    #expect(data.users.count == data.count && data.items.count == data.count)
                    #expect(data.users.allSatisfy { $0 >= 0 && Int($0) < data.userCount })
                    #expect(data.items.allSatisfy { $0 >= 0 && Int($0) < data.itemCount })
                    #expect(data.ratings.allSatisfy { $0.isFinite })
                } catch let error as RatingsFileError {
                    thrown += 1
                    #expect(error.file == "garbage")
                    #expect(error.line >= 0)
                    #expect(error.line <= bytes.filter { $0 == 10 }.count + 1)
                } catch {
                    Issue.record("unexpected error type: \(error)")
                }
            }
        }
        #expect(thrown > 0)
        #expect(parsed > 0)
    }
}
