import Foundation
import Testing
@testable import EmbedRec
import _EmbedRecFuzzing

/// The parser's fast path for plain rows gives exactly what the general path gives, row for
/// row and error for error, on files that mix plain rows with every shape it must hand over.
@Suite("Plain-row scanner")
struct PlainRowScannerTests {
    /// Parses `bytes` (no header) with `layout`, with or without the scanner, on `chunks`
    /// line-aligned pieces as the loader cuts them.
    static func parse(_ bytes: [UInt8], layout: RatingsParser.Layout, scale: ClosedRange<Float>?, scanner: Bool, chunks: Int)
        -> [(rows: [(Int64, Int64, Float, Int64)]?, failure: RatingsParser.Failure?)]
    {
        var parser = RatingsParser(layout: layout, scale: scale)
        parser.scansPlainRows = scanner
        return bytes.withUnsafeBufferPointer { buffer in
            RatingsLoader.chunkRanges(buffer, 0..<buffer.count, parts: chunks).map { range in
                let capacity = parser.capacity(for: range)
                let users = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
                let items = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
                let ratings = UnsafeMutablePointer<Float>.allocate(capacity: capacity)
                let times = UnsafeMutablePointer<Int64>.allocate(capacity: capacity)
                defer { users.deallocate(); items.deallocate(); ratings.deallocate(); times.deallocate() }
                let wantsTime = layout.timestamp != nil
                switch parser.parse(buffer, range, into: .init(users: users, items: items, ratings: ratings, times: wantsTime ? times : nil)) {
                case .success(let n): return ((0..<n).map { (users[$0], items[$0], ratings[$0], wantsTime ? times[$0] : 0) }, nil)
                case .failure(let failure): return (nil, failure)
                }
            }
        }
    }

    /// A random field of the kind `role` reads: usually plain, sometimes one of the shapes the
    /// scanner must hand to the general parser (or that the general parser refuses).
    static func field(role: UInt8, text: Bool, messy: Bool, using random: inout SeededGenerator) -> String {
        let odd = messy && random.next() % 6 == 0
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(random.next() % 10)) }) }
        func number(_ n: Int) -> String { n <= 1 ? digits(1) : String(1 + random.next() % 9) + digits(n - 1) }
        if odd {
            let shapes = [" 17", "17 ", "\"17\"", "-3", "0012", "+4", "", "1e3", "4.", ".5", "12345678901234567890",
                          "99999999999999999", "3\r", "ab", "1 2", "\"a,b\"", "4.25.1", "-0", "0"]
            return shapes[Int(random.next() % UInt64(shapes.count))]
        }
        switch role {
        case 3:
            let whole = number(1 + Int(random.next() % 3))
            return random.next() % 2 == 0 ? whole : whole + "." + digits(1 + Int(random.next() % 8))
        case 1, 2 where text:
            let letters = "abcXYZ-_09é"
            return String((0..<(1 + random.next() % 14)).map { _ in letters.randomElement(using: &random)! })
        case 0:
            return random.next() % 2 == 0 ? "" : "note " + digits(3)
        default:
            // 1–12 digits: across the one-word limit of 8 (timestamps have 9–10).
            return number(1 + Int(random.next() % 12))
        }
    }

    @Test("random files of plain and not-plain rows: the scanner's results equal the general parser's, in 1 and 3 chunks")
    func agreesWithGeneralParser() {
        var random = SeededGenerator(seed: 7)
        var plainRows = 0
        for trial in 0..<400 {
            let separator: UInt8 = [44, 9, 59, 124][trial % 4]
            let columnCount = 3 + trial % 3
            var roles: [UInt8] = [1, 2, 3, 4, 0].prefix(columnCount).shuffled(using: &random)
            if trial % 7 == 0 { roles = roles.map { $0 == 3 ? 0 : $0 } }  // no value column
            let layout = RatingsParser.Layout(
                separator: [separator], user: roles.firstIndex(of: 1)!, item: roles.firstIndex(of: 2)!,
                rating: roles.firstIndex(of: 3), timestamp: roles.firstIndex(of: 4), columnCount: columnCount,
                userIsText: trial % 3 == 1, itemIsText: trial % 5 == 2)
            let scale: ClosedRange<Float>? = trial % 2 == 0 ? 0...500 : nil
            // Two files in three are all plain rows (long runs for the scanner, ending where
            // the data ends), one in three mixes in every shape it must hand over.
            let messy = trial % 3 == 0
            var lines: [String] = []
            for _ in 0..<(1 + random.next() % 120) {
                var fields = roles.map { role in
                    Self.field(role: role, text: role == 1 ? layout.userIsText : layout.itemIsText, messy: messy, using: &random)
                }
                if messy && random.next() % 40 == 0 { fields.removeLast() }
                if messy && random.next() % 40 == 0 { fields.append("9") }
                let sep = String(UnicodeScalar(separator))
                // Mostly clean rows, so that long plain runs reach the scanner.
                if random.next() % 3 != 0 { fields = fields.map { $0.contains(" ") || $0.contains("\"") || $0.isEmpty ? "5" : $0 } }
                lines.append(fields.joined(separator: sep) + (messy && random.next() % 30 == 0 ? "\r" : ""))
                if messy && random.next() % 50 == 0 { lines.append("") }
            }
            let text = lines.joined(separator: "\n") + (random.next() % 4 == 0 ? "" : "\n")
            let bytes = Array(text.utf8)
            for chunks in [1, 3] {
                let fast = Self.parse(bytes, layout: layout, scale: scale, scanner: true, chunks: chunks)
                let general = Self.parse(bytes, layout: layout, scale: scale, scanner: false, chunks: chunks)
                #expect(fast.count == general.count)
                for (f, g) in zip(fast, general) {
                    #expect((f.failure?.offset, f.failure?.kind) == (g.failure?.offset, g.failure?.kind), "trial \(trial)\n\(text)")
                    #expect(f.rows?.count == g.rows?.count, "trial \(trial)\n\(text)")
                    guard let fr = f.rows, let gr = g.rows, fr.count == gr.count else { continue }
                    plainRows += fr.count
                    for (a, b) in zip(fr, gr) where !(a.0 == b.0 && a.1 == b.1 && a.2.bitPattern == b.2.bitPattern && a.3 == b.3) {
                        Issue.record("trial \(trial): \(a) != \(b)\n\(text)")
                        break
                    }
                }
            }
        }
        #expect(plainRows > 5_000)
    }

    @Test("a large plain file: the loader's rows (scanner on) equal the fuzzers' reference reading")
    func largeFileMatchesReference() throws {
        var random = SeededGenerator(seed: 11)
        var text = "user_id,book_id,rating,timestamp\n"
        for row in 0..<20_000 {
            let rating = random.next() % 4 == 0 ? "\(1 + random.next() % 4).5" : "\(1 + random.next() % 5)"
            text += "\(random.next() % 100_000),\(row * 131 + Int(random.next() % 131)),\(rating),\(900_000_000 + random.next() % 100_000_000)\n"
        }
        let format = RatingsFileFormat.movieLensCSV
        let bytes = Array(text.utf8)
        let data = try RatingsLoader.load(bytes: bytes, name: "big.csv", format: format, parallelism: Parallelism(threads: 2))
        let reference = try #require(ReferenceRatingsParser.rows(bytes, format: format))
        #expect(data.count == reference.count)
        #expect(data.rawRows.map(\.user) == reference.map(\.user))
        #expect(data.rawRows.map(\.item) == reference.map(\.item))
        #expect(data.ratings == reference.map(\.rating))
    }

    @Test("the word helpers, known answers: digit runs and values for every length, every byte value as a non-digit")
    func wordHelpers() {
        var random = SeededGenerator(seed: 3)
        for count in 1...8 {
            for _ in 0..<200 {
                let digits = (0..<count).map { _ in UInt8(48 + random.next() % 10) }
                let tail = (count..<8).map { _ in UInt8(random.next() % 256) }
                let word = (digits + tail).enumerated().reduce(UInt64(0)) { $0 | UInt64($1.element) << (8 * UInt64($1.offset)) }
                #expect(PlainRowScanner.digitValue(word, count: count) == UInt64(String(decoding: digits, as: UTF8.self))!)
                let run = PlainRowScanner.nonDigitBytes(word).trailingZeroBitCount / 8
                let expected = count + ((digits + tail)[count...].prefix { (48...57).contains($0) }.count)
                #expect(run == min(expected, 8))
            }
        }
        for byte in 0...255 {
            for position in 0..<8 {
                let word = (0..<8).reduce(UInt64(0)) { $0 | UInt64($1 == position ? UInt8(byte) : 0x35) << (8 * UInt64($1)) }
                let flagged = PlainRowScanner.nonDigitBytes(word) != 0
                #expect(flagged == !(48...57).contains(byte), "byte \(byte) at \(position)")
            }
        }
    }
}
